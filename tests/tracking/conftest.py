"""The GHL and Zoho emulator fixtures of the client tests, shared."""

from tests.ghl.conftest import emulator
from tests.zoho.conftest import backend, live, rig

__all__ = ["backend", "emulator", "live", "rig"]
