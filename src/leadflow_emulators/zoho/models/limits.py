"""Zoho's API limits: credits on a rolling 24 hours, and the concurrency and sub-concurrency caps.

``ZohoLimits`` holds the limits a test or benchmark may change (``/_emulator/limits``, or
``ZohoBackend(limits=...)``); the ledger, the gate and bulk read read it on every call. The caps Zoho
never lets a client change (100 records per write, 200 per page...) stay constants where they apply.

Costs (Zoho's table): 1 credit per call; insert/update/upsert 1 per 10 records; COQL 1/2/3 by limit
(<= 200 / <= 1000 / <= 2000); convert 5; bulk read 50; bulk write 500.

Example:
    >>> from leadflow_emulators.common.clock import Clock
    >>> ledger = CreditLedger(Clock(frozen=True), ZohoLimits(daily_credits=10))
    >>> ledger.charge(write_cost(25))
    >>> ledger.remaining()
    7
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass

from leadflow_emulators.common.backend import LimitSettings
from leadflow_emulators.common.clock import Clock
from leadflow_emulators.zoho.exceptions import ZohoError

WINDOW_SECONDS = 24 * 3600
CONVERT_COST = 5
BULK_READ_COST = 50
BULK_WRITE_COST = 500


@dataclass
class ZohoLimits(LimitSettings):
    """Limits of one emulated org; the defaults are Zoho's (Enterprise edition credits)."""

    daily_credits: int = 100_000
    concurrency: int = 10
    sub_concurrency: int = 10
    bulk_read_page_size: int = 200_000
    bulk_read_max_page: int = 50


def write_cost(records: int) -> int:
    """Credits for an insert/update/upsert call of ``records`` records."""
    return max(1, math.ceil(records / 10))


def coql_cost(limit: int) -> int:
    """Credits for a COQL query by its ``limit``."""
    if limit <= 200:
        return 1
    if limit <= 1000:
        return 2
    return 3


class CreditLedger:
    """Credits spent in the last 24 hours against ``limits.daily_credits``."""

    def __init__(self, clock: Clock, limits: ZohoLimits) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.limits = limits
        self._spent: deque[tuple[float, int]] = deque()
        self._total = 0

    @property
    def daily_allowance(self) -> int:
        return self.limits.daily_credits

    def _expire(self, now: float) -> None:
        while self._spent and self._spent[0][0] <= now - WINDOW_SECONDS:
            _, cost = self._spent.popleft()
            self._total -= cost

    def charge(self, cost: int) -> None:
        """Spend ``cost`` credits or raise Zoho's LIMIT_EXCEEDED when the allowance would be passed."""
        now = self._clock.timestamp()
        with self._lock:
            self._expire(now)
            if self._total + cost > self.daily_allowance:
                raise ZohoError(
                    400,
                    "LIMIT_EXCEEDED",
                    "API credits exhausted for the 24 hour window",
                    {"limit": self.daily_allowance, "remaining": self.daily_allowance - self._total, "cost": cost},
                    headers=self.headers_locked(now),
                )
            self._spent.append((now, cost))
            self._total += cost

    def used(self) -> int:
        with self._lock:
            self._expire(self._clock.timestamp())
            return self._total

    def remaining(self) -> int:
        return max(0, self.daily_allowance - self.used())

    def reset_at(self) -> float:
        """When the oldest spent credit leaves the window (now when nothing is spent)."""
        now = self._clock.timestamp()
        with self._lock:
            self._expire(now)
            return self._spent[0][0] + WINDOW_SECONDS if self._spent else now

    def headers_locked(self, now: float) -> dict[str, str]:
        reset = self._spent[0][0] + WINDOW_SECONDS if self._spent else now
        remaining = str(max(0, self.daily_allowance - self._total))
        # Zoho reports the 24-hour credit window both as X-RATELIMIT-DAY-* and X-RATELIMIT-*.
        return {
            "X-RATELIMIT-DAY-LIMIT": str(self.daily_allowance),
            "X-RATELIMIT-DAY-REMAINING": remaining,
            "X-RATELIMIT-LIMIT": str(self.daily_allowance),
            "X-RATELIMIT-REMAINING": remaining,
            "X-RATELIMIT-RESET": str(int(reset)),
        }

    def headers(self) -> dict[str, str]:
        """Response headers reporting the allowance, what is left and when the oldest credit frees up."""
        now = self._clock.timestamp()
        with self._lock:
            self._expire(now)
            return self.headers_locked(now)

    def clear(self) -> None:
        with self._lock:
            self._spent.clear()
            self._total = 0


@dataclass
class GateStats:
    in_flight: int = 0
    heavy_in_flight: int = 0
    max_in_flight: int = 0
    max_heavy_in_flight: int = 0
    rejected: int = 0


class ConcurrencyGate:
    """Counts requests in flight; refuses (429 TOO_MANY_REQUESTS) past ``limit`` or ``sub_limit`` for heavy ones.

    Heavy calls (Zoho's sub-concurrency): search, COQL, writes of more than 10 records, bulk.
    """

    def __init__(self, limits: ZohoLimits) -> None:
        self.limits = limits
        self.stats = GateStats()
        self._lock = threading.Lock()

    @property
    def limit(self) -> int:
        return self.limits.concurrency

    @property
    def sub_limit(self) -> int:
        return self.limits.sub_concurrency

    def enter(self) -> None:
        with self._lock:
            if self.stats.in_flight >= self.limit:
                self.stats.rejected += 1
                raise ZohoError.too_many_requests("concurrency", self.limit)
            self.stats.in_flight += 1
            self.stats.max_in_flight = max(self.stats.max_in_flight, self.stats.in_flight)

    def leave(self) -> None:
        with self._lock:
            self.stats.in_flight -= 1

    def enter_heavy(self) -> None:
        with self._lock:
            if self.stats.heavy_in_flight >= self.sub_limit:
                self.stats.rejected += 1
                raise ZohoError.too_many_requests("sub_concurrency", self.sub_limit)
            self.stats.heavy_in_flight += 1
            self.stats.max_heavy_in_flight = max(self.stats.max_heavy_in_flight, self.stats.heavy_in_flight)

    def leave_heavy(self) -> None:
        with self._lock:
            self.stats.heavy_in_flight -= 1

    def reset_stats(self) -> None:
        with self._lock:
            self.stats = GateStats(in_flight=self.stats.in_flight, heavy_in_flight=self.stats.heavy_in_flight)
