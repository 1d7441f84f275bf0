"""GHL-style ids: 20 characters of ``[A-Za-z0-9]`` from a seeded generator (same seed, same ids).

Example:
    >>> ids = GhlIds(seed=1)
    >>> first = ids.next_id()
    >>> len(first), first.isalnum()
    (20, True)
"""

from __future__ import annotations

import random
import threading
import uuid

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


class GhlIds:
    """Ids for records, UUIDs for pipeline stages, hex for tokens: all from one seeded source."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._random = random.Random(seed)

    def continue_after(self, stored: int) -> None:
        """Go on from a file that already holds ``stored`` documents: a restarted emulator must not hand out the
        ids (and webhook ids) of its first life again, and the same file still gives the same ids."""
        with self._lock:
            self._random = random.Random(f"{self._seed}:{stored}")

    def next_id(self) -> str:
        with self._lock:
            number = self._random.getrandbits(120)  # 62**20 > 2**119: 20 base-62 digits
        digits = []
        for _ in range(20):
            number, digit = divmod(number, 62)
            digits.append(_ALPHABET[digit])
        return "".join(digits)

    def uuid(self) -> str:
        with self._lock:
            return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def token(self, nbytes: int = 20) -> str:
        with self._lock:
            return f"{self._random.getrandbits(nbytes * 8):0{nbytes * 2}x}"
