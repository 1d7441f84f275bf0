"""Seedable id sources, so that two runs with the same seed hand out the same ids.

Example:
    >>> ids = IdGenerator(seed=1, prefix=5725767)
    >>> first = ids.next_id()
    >>> len(first), first.isdigit(), first.startswith("5725767")
    (19, True, True)
"""

from __future__ import annotations

import random
import threading


class IdGenerator:
    """Hands out Zoho-style ids: 19-digit numeric strings, increasing, starting at a seeded offset."""

    def __init__(self, *, seed: int = 0, prefix: int = 5725767) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._prefix = prefix
        # 7-digit org prefix + 12-digit counter, like real Zoho ids (e.g. 5725767000000524157).
        self._counter = 1_000_000 + self._random.randrange(0, 1_000_000)

    def next_id(self) -> str:
        """A new unique id."""
        with self._lock:
            self._counter += 1
            return f"{self._prefix}{self._counter:012d}"

    def bump_past(self, existing: str) -> None:
        """Make sure later ids sort after ``existing`` (used when records are loaded from disk)."""
        if len(existing) == 19 and existing.isdigit() and existing.startswith(str(self._prefix)):
            with self._lock:
                self._counter = max(self._counter, int(existing[len(str(self._prefix)) :]))

    def token(self, nbytes: int = 16) -> str:
        """A random hex string (tokens, grant codes), seeded too."""
        with self._lock:
            return f"{self._random.getrandbits(nbytes * 8):0{nbytes * 2}x}"

    def random(self) -> float:
        """A seeded float in [0, 1) for fault decisions."""
        with self._lock:
            return self._random.random()
