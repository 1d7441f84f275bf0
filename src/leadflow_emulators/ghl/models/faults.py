"""The shared fault settings plus GHL's own: ``create_422_after_commit``, the reported GHL bug where a
contact create answers 422 although the contact was stored (the next n creates do so).

Example:
    >>> faults = Faults(config_type=GhlFaultConfig)
    >>> faults.configure({"create_422_after_commit": 1})
    >>> faults.take("create_422_after_commit"), faults.take("create_422_after_commit")
    (True, False)
"""

from __future__ import annotations

from dataclasses import dataclass

from leadflow_emulators.common.faults import FaultConfig, Faults

__all__ = ["Faults", "GhlFaultConfig"]


@dataclass
class GhlFaultConfig(FaultConfig):
    create_422_after_commit: int = 0
