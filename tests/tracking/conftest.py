"""The GHL emulator fixture of the client tests, shared."""

from tests.ghl.conftest import emulator

__all__ = ["emulator"]
