"""The in-process Zoho emulator fixtures of the client tests, shared."""

from tests.zoho.conftest import backend, rig

__all__ = ["backend", "rig"]
