"""Zoho's limits and failures against the emulator: 429 storms, 500s, lost responses, the concurrency cap
(asserted on the emulator's side), credits matching the emulator's own count, and the daily budget."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from leadflow.errors import BatchInterrupted, CreditBudgetExceeded, RateLimited, ResponseLost
from leadflow.http import RetryPolicy
from leadflow.zoho import ClientOptions, Criteria, RecordResult, ZohoClient
from tests.zoho.conftest import Rig


def leads(n: int, start: int = 0) -> list[dict[str, object]]:
    return [{"Last_Name": f"L{i}", "Email": f"l{i}@example.com"} for i in range(start, start + n)]


def run_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    errors: list[BaseException] = []

    def wrapped(i: int) -> None:
        try:
            work(i)
        except BaseException as exc:  # collected for the caller's assertion
            errors.append(exc)

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_a_429_burst_is_waited_out_as_retry_after_says(zoho: ZohoClient, rig: Rig) -> None:
    rig.control("POST", "faults", json={"burst_429": 4})
    results = zoho.leads.insert(leads(1))
    assert results[0].ok
    assert rig.sleeps.seen == [1.0, 1.0, 1.0, 1.0]
    assert rig.state()["records"]["Leads"] == 1
    assert zoho.api.transport.stats.rate_limited == 4


def test_a_429_storm_across_threads(rig: Rig) -> None:
    options = ClientOptions(sleep=rig.sleeps, seed=3, retry=RetryPolicy(max_attempts=12))
    with rig.client(options=options) as zoho:
        rig.control("POST", "faults", json={"burst_429": 40})
        errors = run_threads(20, lambda i: zoho.leads.insert(leads(1, start=i)))
        assert errors == []
    assert rig.state()["records"]["Leads"] == 20
    assert rig.state()["faults"]["throttled"] == 40


def test_429s_past_the_retry_budget_raise_rate_limited(zoho: ZohoClient, rig: Rig) -> None:
    rig.control("POST", "faults", json={"burst_429": 50})
    with pytest.raises(RateLimited) as caught:
        zoho.org.get()
    assert caught.value.vendor_code == "TOO_MANY_REQUESTS"
    assert caught.value.status == 429


def test_500s_are_retried_for_reads(zoho: ZohoClient, rig: Rig) -> None:
    for start in range(0, 1_000, 100):
        rig.backend.insert("Leads", leads(100, start=start))
    rig.control("POST", "faults", json={"error_rate": 0.3})
    assert len(list(zoho.leads.iter(["Email"], per_page=100))) == 1_000
    assert rig.state()["faults"]["errors_injected"] > 0
    assert zoho.api.transport.stats.server_errors == rig.state()["faults"]["errors_injected"]


@pytest.mark.parametrize(("fault", "applied"), [("error_before_commit", 0), ("error_after_commit", 1)])
def test_a_write_answered_500_raises_and_is_not_resent(zoho: ZohoClient, rig: Rig, fault: str, applied: int) -> None:
    # Zoho's INTERNAL_ERROR does not say whether the insert happened: the caller looks before sending again.
    rig.control("POST", "faults", json={fault: 1, "path_contains": "/Leads"})
    with pytest.raises(ResponseLost, match="may have been applied") as caught:
        zoho.leads.insert(leads(1))
    assert caught.value.status == 500
    assert caught.value.vendor_code == "INTERNAL_ERROR"
    assert rig.state()["records"]["Leads"] == applied
    assert zoho.api.transport.stats.attempts == 1


def test_a_write_whose_answer_is_lost_raises_and_is_not_resent(zoho: ZohoClient, rig: Rig) -> None:
    zoho.leads.insert(leads(100))
    rig.control("POST", "faults", json={"drop_after_commit": 1, "path_contains": "/Leads"})
    with pytest.raises(ResponseLost):  # its first call: nothing answered, so the error itself
        zoho.leads.insert(leads(250, start=100))
    assert rig.state()["records"]["Leads"] == 200  # the first chunk was applied exactly once, nothing after it
    # The caller reconciles: the "lost" record is there.
    found = list(zoho.leads.search(Criteria.field("Email").equals("l100@example.com")))
    assert len(found) == 1


def test_a_read_whose_answer_is_lost_is_simply_asked_again(zoho: ZohoClient, rig: Rig) -> None:
    zoho.leads.insert(leads(3))
    rig.control("POST", "faults", json={"drop_after_commit": 2, "drop_methods": ["GET"]})
    assert len(list(zoho.leads.iter(["Email"]))) == 3
    assert rig.state()["faults"]["dropped"] == 2


def test_never_more_in_flight_than_the_limit_on_the_emulators_side(rig: Rig) -> None:
    rig.backend.insert("Leads", leads(50))
    rig.control("POST", "faults", json={"latency_ms": 40})
    with rig.client(concurrency=4) as zoho:
        errors = run_threads(30, lambda i: zoho.users.current())
        assert errors == []
        assert zoho.concurrency_peak == 4
    concurrency = rig.state()["concurrency"]
    assert 2 <= concurrency["max_in_flight"] <= 4
    assert concurrency["rejected"] == 0


def test_complex_calls_stay_under_the_sub_concurrency_limit(rig: Rig) -> None:
    rig.backend.insert("Leads", leads(20))
    rig.control("POST", "faults", json={"latency_ms": 30})
    with rig.client(concurrency=20) as zoho:
        errors = run_threads(
            40, lambda i: list(zoho.leads.search(Criteria.field("Email").equals(f"l{i % 20}@example.com")))
        )
        assert errors == []
    concurrency = rig.state()["concurrency"]
    assert concurrency["max_heavy_in_flight"] <= 10
    assert concurrency["rejected"] == 0


def test_credits_match_the_emulators_count(zoho: ZohoClient, rig: Rig) -> None:
    zoho.leads.insert(leads(250))  # 10 + 10 + 5
    list(zoho.leads.iter(["Email"]))  # 2 pages: 2
    list(zoho.coql("select Email from Leads where Email is not null limit 150"))  # 1
    list(zoho.leads.search(email="l1@example.com"))  # 1
    lead = zoho.leads.insert(leads(1, start=900))[0]  # 1
    zoho.leads.convert(lead.id or "")  # 5
    used = rig.state()["credits"]["used"]
    assert used == 25 + 2 + 1 + 1 + 1 + 5
    figures = zoho.credits
    assert figures.spent == used
    assert figures.server_remaining == rig.state()["credits"]["remaining"]


def test_the_daily_budget_stops_before_sending_and_keeps_what_was_done(rig: Rig) -> None:
    with rig.client(daily_credit_budget=25) as zoho:
        with pytest.raises(
            BatchInterrupted, match=r"stopped after 200 of 300 rows: .*daily_credit_budget 25"
        ) as caught:
            zoho.leads.insert(leads(300))
        stopped: BatchInterrupted[RecordResult] = caught.value
        assert isinstance(stopped.cause, CreditBudgetExceeded)
        assert stopped.__cause__ is stopped.cause
        assert stopped.exit_code == stopped.cause.exit_code
        assert stopped.partial.first_unconfirmed == 200
        assert [r.index for r in stopped.partial.results] == list(range(200))
        assert all(r.ok for r in stopped.partial.results)
        assert zoho.credits.remaining == 5
    assert rig.state()["records"]["Leads"] == 200
    assert rig.state()["credits"]["used"] == 20
