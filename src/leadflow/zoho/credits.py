"""Zoho API credits: what each call costs, and a meter over the rolling 24 hours kept in the store.

Costs follow Zoho's published table: 1 per call; inserts, updates and upserts 1 per 10 records; COQL 1, 2
or 3 by limit (up to 200, 1,000, 2,000); lead convert 5; a bulk read job 50; a bulk write job 500.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Engine

from leadflow.errors import CreditBudgetExceeded
from leadflow.store import zoho as repo
from leadflow.store.runs import utcnow

WINDOW = timedelta(hours=24)
CONVERT_COST = 5
BULK_READ_COST = 50
BULK_WRITE_COST = 500
_REMAINING_HEADERS = (
    "x-ratelimit-day-remaining",
    "x-api-credits-remaining",
    "x-ratelimit-remaining",
    "x-credits-remaining",
)


def write_cost(records: int) -> int:
    """Credits for inserting, updating or upserting ``records`` records in one call.

    Example:
        >>> [write_cost(n) for n in (1, 10, 11, 100)]
        [1, 1, 2, 10]
    """
    return max(1, math.ceil(records / 10))


def coql_cost(limit: int) -> int:
    """Credits for one COQL call asking for ``limit`` rows.

    Example:
        >>> [coql_cost(n) for n in (200, 201, 1000, 2000)]
        [1, 2, 2, 3]
    """
    if limit <= 200:
        return 1
    if limit <= 1000:
        return 2
    return 3


@dataclass(frozen=True)
class CreditFigures:
    """Credits spent in the rolling 24 hours against the configured budget.

    Example:
        >>> CreditFigures(spent=120, calls=40, budget=1000, server_remaining=None, frees_up_at=None).remaining
        880
    """

    spent: int
    calls: int
    budget: int
    server_remaining: int | None
    frees_up_at: datetime | None

    @property
    def remaining(self) -> int:
        return max(0, self.budget - self.spent)


@dataclass(frozen=True)
class Reservation:
    """Credits booked for one attempt, in the ledger's one-minute bucket (given back by ``release``)."""

    bucket: datetime
    cost: int


class CreditMeter:
    """Books credits in the store before each call and refuses calls the daily budget cannot afford.

    The in-process total is re-read from the store every ``refresh_seconds`` (and whenever a call gets
    close to the budget), so several processes sharing one store share one budget.

    Example:
        >>> from leadflow.store import open_store
        >>> meter = CreditMeter(open_store("sqlite://"), budget=10)
        >>> _ = meter.reserve(4, "insert")
        >>> meter.figures().remaining
        6
    """

    def __init__(
        self,
        engine: Engine,
        *,
        budget: int,
        clock: Callable[[], datetime] = utcnow,
        refresh_seconds: float = 5.0,
    ) -> None:
        self.engine = engine
        self.budget = budget
        self.clock = clock
        self.refresh_seconds = refresh_seconds
        self.server_remaining: int | None = None
        self._lock = threading.Lock()
        self._spent = 0
        self._calls = 0
        self._loaded_at: datetime | None = None

    def reserve(self, cost: int, label: str) -> Reservation:
        """Book ``cost`` credits now, or raise :class:`CreditBudgetExceeded` without booking anything."""
        with self._lock:
            now = self.clock()
            if self._stale(now) or self._spent + cost > self.budget:
                self._reload(now)
            if self._spent + cost > self.budget:
                raise self._exceeded(cost, label)
            bucket = now.replace(second=0, microsecond=0)
            with self.engine.begin() as connection:
                repo.add_credits(connection, bucket=bucket, credits=cost, calls=1)
            self._spent += cost
            self._calls += 1
            return Reservation(bucket=bucket, cost=cost)

    def release(self, reservation: object) -> None:
        """Give back a reservation for a call the server refused without doing work."""
        if not isinstance(reservation, Reservation):
            return
        with self._lock:
            with self.engine.begin() as connection:
                repo.add_credits(connection, bucket=reservation.bucket, credits=-reservation.cost, calls=-1)
            self._spent -= reservation.cost
            self._calls -= 1

    def observe(self, response: httpx.Response) -> None:
        """Remember the remaining credits the server reports, when it does."""
        for name in _REMAINING_HEADERS:
            value = response.headers.get(name)
            if value is not None:
                try:
                    self.server_remaining = int(float(value))
                except ValueError:
                    continue
                return

    def figures(self) -> CreditFigures:
        """The current figures, fresh from the store."""
        with self._lock:
            now = self.clock()
            self._reload(now)
            with self.engine.connect() as connection:
                oldest = repo.oldest_bucket_since(connection, since=now - WINDOW)
            return CreditFigures(
                spent=self._spent,
                calls=self._calls,
                budget=self.budget,
                server_remaining=self.server_remaining,
                frees_up_at=oldest + WINDOW if oldest else None,
            )

    def _stale(self, now: datetime) -> bool:
        return self._loaded_at is None or (now - self._loaded_at).total_seconds() >= self.refresh_seconds

    def _reload(self, now: datetime) -> None:
        with self.engine.begin() as connection:
            repo.prune_credits(connection, before=now - WINDOW - timedelta(hours=1))
            self._spent, self._calls = repo.credits_since(connection, since=now - WINDOW)
        self._loaded_at = now

    def _exceeded(self, cost: int, label: str) -> CreditBudgetExceeded:
        remaining = max(0, self.budget - self._spent)
        return CreditBudgetExceeded(
            f"Zoho credit budget: {label or 'this call'} needs {cost} credits but {self._spent} of the"
            f" daily_credit_budget {self.budget} were spent in the last 24 hours ({remaining} left);"
            " wait for older calls to age out of the 24-hour window or raise [zoho] daily_credit_budget",
            cost=cost,
            spent=self._spent,
            budget=self.budget,
        )
