"""The shared fault injector, aimed at GHL's API: every path at the root except the control plane.

Example:
    >>> faults = GhlFaults()
    >>> faults.applies("/contacts/"), faults.applies("/_emulator/state")
    (True, False)
"""

from __future__ import annotations

from leadflow_emulators.common.faults import Faults


class GhlFaults(Faults):
    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.config.path_prefix = "/"

    def clear(self) -> None:
        super().clear()
        self.config.path_prefix = "/"

    def applies(self, path: str) -> bool:
        return not path.startswith("/_emulator") and super().applies(path)
