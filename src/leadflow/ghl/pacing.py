"""Staying inside GoHighLevel's limits: 100 requests per 10 seconds and 200,000 per day, per location.

The :class:`RequestPacer` is the transport's credit hook for GHL. Before each attempt it waits until the
sliding window has room (so no 10-second window ever holds more than ``burst`` requests sent by this
process), books the request against the daily budget in the store (shared by every process on that store)
and raises :class:`~leadflow.errors.CreditBudgetExceeded` when the budget is spent, so a sync stops cleanly
and resumes the next day. After each answer it reads GHL's ``X-RateLimit-*`` headers: it keeps to the window
the server announces (``X-RateLimit-Max`` per ``X-RateLimit-Interval-Milliseconds``), and when the server
counts fewer requests left than we do (another client of the same app and location), it waits for the window.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Engine

from leadflow.errors import CreditBudgetExceeded
from leadflow.store import ghl as repo
from leadflow.store.runs import utcnow

BURST = 100
INTERVAL_SECONDS = 10.0
DAILY_LIMIT = 200_000
DAY = timedelta(hours=24)


@dataclass(frozen=True)
class UsageFigures:
    """Requests booked in the last 24 hours against the daily budget, and what the server last said.

    Example:
        >>> UsageFigures(requests=10, budget=100, server_daily_remaining=None, server_burst_remaining=None).remaining
        90
    """

    requests: int
    budget: int
    server_daily_remaining: int | None
    server_burst_remaining: int | None

    @property
    def remaining(self) -> int:
        return max(0, self.budget - self.requests)


@dataclass(frozen=True)
class Booking:
    """One request booked in the ledger's one-minute bucket (given back by ``release``)."""

    bucket: datetime


class RequestPacer:
    """Paces one location's requests and books them against the daily budget.

    Example:
        >>> from leadflow.store import open_store
        >>> pacer = RequestPacer(open_store("sqlite://"), location_id="loc", budget=5)
        >>> _ = pacer.reserve(1, "GET /contacts/")
        >>> pacer.figures().remaining
        4
    """

    def __init__(
        self,
        engine: Engine,
        *,
        location_id: str,
        budget: int = DAILY_LIMIT,
        burst: int = BURST,
        interval: float = INTERVAL_SECONDS,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        refresh_seconds: float = 5.0,
    ) -> None:
        self.engine = engine
        self.location_id = location_id
        self.budget = budget
        self.burst = burst
        self.interval = interval
        self.clock = clock
        self.monotonic = monotonic
        self.sleep = sleep
        self.refresh_seconds = refresh_seconds
        self.server_daily_remaining: int | None = None
        self.server_burst_remaining: int | None = None
        self.waited = 0.0
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self._booked = 0
        self._loaded_at: datetime | None = None
        self._pause_until = 0.0

    # --- the transport's credit hook -------------------------------------------------------------------------

    def reserve(self, cost: int, label: str) -> Booking:
        """Wait for room in the burst window, then book one request (or refuse past the daily budget)."""
        with self._lock:
            now = self.clock()
            if self._stale(now) or self._booked + 1 > self.budget:
                self._reload(now)
            if self._booked + 1 > self.budget:
                raise CreditBudgetExceeded(
                    f"GoHighLevel request budget: {label or 'this call'} would pass the daily_request_budget"
                    f" {self.budget:,} of location {self.location_id} ({self._booked:,} used in the last 24 hours);"
                    " the rest waits for the next run, or raise [ghl] daily_request_budget"
                )
            self._wait_for_room()
            bucket = now.replace(second=0, microsecond=0)
            with self.engine.begin() as connection:
                repo.add_requests(connection, location_id=self.location_id, bucket=bucket, requests=1)
            self._booked += 1
            self._sent.append(self.monotonic())
            return Booking(bucket)

    def release(self, reservation: object) -> None:
        """Give back the daily booking of a request that never reached GHL (the window slot stays used)."""
        if not isinstance(reservation, Booking):
            return
        with self._lock, self.engine.begin() as connection:
            repo.add_requests(connection, location_id=self.location_id, bucket=reservation.bucket, requests=-1)
            self._booked -= 1

    def observe(self, response: httpx.Response) -> None:
        """Read GHL's rate-limit headers; pause for a window when the server says none are left."""
        headers = response.headers
        daily = _int(headers.get("x-ratelimit-daily-remaining"))
        burst = _int(headers.get("x-ratelimit-remaining"))
        interval_ms = _int(headers.get("x-ratelimit-interval-milliseconds"))
        most = _int(headers.get("x-ratelimit-max"))
        with self._lock:
            if most and interval_ms:  # the window the server says it enforces is the one to keep to
                self.burst, self.interval = most, interval_ms / 1000
            if daily is not None:
                self.server_daily_remaining = daily
            if burst is not None:
                self.server_burst_remaining = burst
                if burst <= 0 or response.status_code == 429:
                    window = interval_ms / 1000 if interval_ms else self.interval
                    self._pause_until = max(self._pause_until, self.monotonic() + window)

    # --- figures -------------------------------------------------------------------------------------------

    def figures(self) -> UsageFigures:
        with self._lock:
            self._reload(self.clock())
            return UsageFigures(self._booked, self.budget, self.server_daily_remaining, self.server_burst_remaining)

    def max_in_any_window(self) -> int:
        """The most requests this pacer ever let into one ``interval`` (for tests and benchmarks)."""
        with self._lock:
            times = list(self._sent)
        most, start = 0, 0
        for end, sent_at in enumerate(times):
            while sent_at - times[start] >= self.interval:
                start += 1
            most = max(most, end - start + 1)
        return most

    # --- internals -----------------------------------------------------------------------------------------

    def _wait_for_room(self) -> None:
        while True:
            now = self.monotonic()
            wait = self._pause_until - now
            # forget what left the window, but keep enough history for max_in_any_window
            while len(self._sent) > 4 * self.burst and now - self._sent[0] >= self.interval:
                self._sent.popleft()
            recent = [t for t in list(self._sent)[-self.burst :] if now - t < self.interval]
            if len(recent) >= self.burst:
                wait = max(wait, recent[0] + self.interval - now)
            if wait <= 0:
                return
            self.waited += wait
            self.sleep(wait)

    def _stale(self, now: datetime) -> bool:
        return self._loaded_at is None or (now - self._loaded_at).total_seconds() >= self.refresh_seconds

    def _reload(self, now: datetime) -> None:
        with self.engine.begin() as connection:
            repo.prune_requests(connection, before=now - DAY - timedelta(hours=1))
            self._booked = repo.requests_since(connection, location_id=self.location_id, since=now - DAY)
        self._loaded_at = now


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None
