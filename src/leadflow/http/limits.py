"""Concurrency limits: at most ``limit`` calls in flight, and at most ``complex_limit`` complex ones among them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ConcurrencyLimiter:
    """Blocks a caller until a slot is free. Thread-safe; records the highest number seen in flight.

    Complex calls (Zoho: COQL, search, writes of more than 10 records, bulk) take a slot from both pools;
    the complex pool is taken first so a waiting complex call never sits on a general slot.

    Example:
        >>> limiter = ConcurrencyLimiter(limit=2, complex_limit=1)
        >>> with limiter.slot(complex_call=True):
        ...     limiter.in_flight
        1
    """

    def __init__(self, *, limit: int = 10, complex_limit: int = 10) -> None:
        if limit < 1 or complex_limit < 1:
            raise ValueError("concurrency limits must be at least 1")
        self.limit = limit
        self.complex_limit = min(complex_limit, limit)
        self._general = threading.BoundedSemaphore(limit)
        self._complex = threading.BoundedSemaphore(self.complex_limit)
        self._lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0

    @contextmanager
    def slot(self, *, complex_call: bool = False) -> Iterator[None]:
        """Hold one slot (two for a complex call) for the duration of the block."""
        if complex_call:
            self._complex.acquire()
        try:
            self._general.acquire()
            try:
                with self._lock:
                    self.in_flight += 1
                    self.peak = max(self.peak, self.in_flight)
                try:
                    yield
                finally:
                    with self._lock:
                        self.in_flight -= 1
            finally:
                self._general.release()
        finally:
            if complex_call:
                self._complex.release()
