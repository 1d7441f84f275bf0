"""State and rules of the GoHighLevel emulator (moto's ``models``): no HTTP in here."""

from leadflow_emulators.ghl.models.backend import GhlBackend

__all__ = ["GhlBackend"]
