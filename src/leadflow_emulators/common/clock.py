"""An injectable clock: real time plus an offset that the control plane can advance.

Example:
    >>> clock = Clock(start=datetime(2026, 1, 1, tzinfo=UTC), frozen=True)
    >>> clock.advance(3600)
    >>> clock.now().isoformat()
    '2026-01-01T01:00:00+00:00'
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class Clock:
    """Current time for an emulator; ``advance`` moves it forward (token expiry, credit windows).

    A frozen clock only moves when advanced, which makes tests deterministic.
    """

    def __init__(self, *, start: datetime | None = None, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._frozen = frozen
        self._base_wall = time.time()
        self._base = (start or datetime.now(UTC)).astimezone(UTC)
        self._offset = 0.0

    def now(self) -> datetime:
        """The current UTC time (aware)."""
        with self._lock:
            elapsed = 0.0 if self._frozen else time.time() - self._base_wall
            return self._base + timedelta(seconds=elapsed + self._offset)

    def timestamp(self) -> float:
        """The current time as POSIX seconds."""
        return self.now().timestamp()

    def advance(self, seconds: float) -> None:
        """Move the clock forward (or back, with a negative value)."""
        with self._lock:
            self._offset += seconds

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (an aware datetime); a running clock keeps running from there."""
        if moment.tzinfo is None:
            raise ValueError("the clock needs an aware datetime (with a UTC offset)")
        self.advance((moment - self.now()).total_seconds())


def iso(moment: datetime) -> str:
    """Zoho's datetime format: ISO 8601 to the second with an explicit offset.

    Example:
        >>> iso(datetime(2026, 11, 26, 10, 30, 0, 999, tzinfo=UTC))
        '2026-11-26T10:30:00+00:00'
    """
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()
