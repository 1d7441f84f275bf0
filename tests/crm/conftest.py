"""The in-process emulator fixtures of the client tests, shared: Zoho's ``backend`` and ``rig``, GHL's
``emulator`` and ``ghl`` (a module that runs an emulator process names its own ``emulator``)."""

from tests.ghl.conftest import emulator, ghl
from tests.zoho.conftest import backend, rig

__all__ = ["backend", "emulator", "ghl", "rig"]
