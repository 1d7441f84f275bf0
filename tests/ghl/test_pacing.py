"""The GHL request pacer: no 10-second window over the burst, the daily budget shared through the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from leadflow.errors import CreditBudgetExceeded
from leadflow.ghl.pacing import RequestPacer
from leadflow.store import open_store


class FakeTime:
    """A monotonic clock that only moves when the pacer sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.wall = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)

    def monotonic(self) -> float:
        return self.now

    def clock(self) -> datetime:
        return self.wall + timedelta(seconds=self.now - 1000.0)

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def pacer_for(engine, time: FakeTime, **kwargs) -> RequestPacer:  # type: ignore[no-untyped-def]
    return RequestPacer(
        engine, location_id="loc1", clock=time.clock, monotonic=time.monotonic, sleep=time.sleep, **kwargs
    )


def test_never_more_than_the_burst_in_any_window() -> None:
    time = FakeTime()
    pacer = pacer_for(open_store("sqlite://"), time)
    for _ in range(350):
        pacer.reserve(1, "GET /contacts/")
        time.now += 0.01  # a fast client: 100 requests a second if nothing held it back
    assert pacer.max_in_any_window() == 100
    assert time.now - 1000.0 >= 30.0  # 350 requests need at least three full windows after the first
    assert pacer.waited > 0


def test_daily_budget_stops_cleanly_and_is_shared_through_the_store(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    time = FakeTime()
    first = pacer_for(engine, time, budget=5)
    for _ in range(3):
        first.reserve(1, "POST /contacts/upsert")
    second = pacer_for(engine, time, budget=5)  # another process on the same store
    second.reserve(1, "POST /contacts/upsert")
    second.reserve(1, "POST /contacts/upsert")
    with pytest.raises(CreditBudgetExceeded, match="daily_request_budget 5"):
        second.reserve(1, "POST /contacts/upsert")
    assert second.figures().remaining == 0
    time.now += 24 * 3600 + 120  # a day later the window has moved on
    second.reserve(1, "POST /contacts/upsert")


def test_a_request_that_never_left_is_given_back() -> None:
    time = FakeTime()
    pacer = pacer_for(open_store("sqlite://"), time, budget=2)
    booking = pacer.reserve(1, "x")
    pacer.release(booking)
    pacer.reserve(1, "x")
    pacer.reserve(1, "x")
    assert pacer.figures().requests == 2


def test_server_saying_no_requests_left_pauses_for_its_interval() -> None:
    time = FakeTime()
    pacer = pacer_for(open_store("sqlite://"), time)
    pacer.reserve(1, "x")
    pacer.observe(
        httpx.Response(
            200,
            headers={
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Interval-Milliseconds": "10000",
                "X-RateLimit-Daily-Remaining": "199000",
            },
        )
    )
    before = time.now
    pacer.reserve(1, "x")
    assert time.now - before >= 10.0
    assert pacer.figures().server_daily_remaining == 199000
