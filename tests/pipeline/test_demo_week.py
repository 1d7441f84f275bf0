"""The demo's week: the plan (seeded, causal, inside the week, realistic rates), its rounds, the week's end kept
in the store, what counts as a score change, and waiting for the service failing loudly."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from leadflow.errors import LeadflowError
from leadflow.pipeline.demo_week import (
    ScoreChange,
    ScoreLine,
    SimulatedWeek,
    rounds,
    score_changes,
    simulate,
    wait_until_settled,
    week_end,
)
from leadflow.sampledata.week import WeekContact, plan_week
from leadflow.store import open_store
from leadflow.store import tracking as deliveries_repo

END = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
PEOPLE = [WeekContact(f"contact{i:05d}", has_email=i % 20 != 0, has_phone=i % 3 == 0) for i in range(3_000)]


def test_the_week_is_seeded_causal_inside_the_week_and_realistic() -> None:
    week = plan_week(PEOPLE, end=END, seed=7)
    assert week == plan_week(list(reversed(PEOPLE)), end=END, seed=7)  # the order of the contacts does not matter
    assert week != plan_week(PEOPLE, end=END, seed=8)
    assert len({step["key"] for step in week}) == len(week)
    moments = [datetime.fromisoformat(step["at"]) for step in week]
    assert moments == sorted(moments)
    assert all(END - timedelta(days=7) <= moment < END for moment in moments)
    kinds = Counter(step["kind"] for step in week)
    emailed = sum(1 for person in PEOPLE if person.has_email)
    assert kinds["send"] == emailed
    openers = {step["contactId"] for step in week if step["kind"] == "open"}
    assert 0.35 < len(openers) / emailed < 0.45
    assert 0.05 < kinds["click"] / emailed < 0.11
    assert 0.015 < kinds["reply"] / emailed < 0.045
    assert 0.01 < kinds["bounce"] / emailed < 0.03
    assert kinds["unsubscribe"] == 1
    assert {step["severity"] for step in week if step["kind"] == "bounce"} == {"permanent", "temporary"}
    assert 0 < kinds["booking"] <= kinds["reply"]
    assert kinds["stage_change"] > 0
    assert kinds["call"] > 0
    by_contact: dict[str, list[str]] = defaultdict(list)
    for step in week:
        by_contact[step["contactId"]].append(step["kind"])
    no_email = {person.contact_id for person in PEOPLE if not person.has_email}
    for contact, done in by_contact.items():
        if contact in no_email:
            assert set(done) <= {"call"}
            continue
        email_steps = [kind for kind in done if kind != "call"]
        assert email_steps[0] == "send"
        if "bounce" in done:
            assert email_steps == ["send", "bounce"]
        for effect, cause in (("click", "open"), ("reply", "open"), ("booking", "reply"), ("opportunity", "booking")):
            if effect in done:
                assert done.index(cause) < done.index(effect), (contact, done)
        if "stage_change" in done:
            assert done.index("opportunity") < done.index("stage_change")
    unsubscribed = next(step["contactId"] for step in week if step["kind"] == "unsubscribe")
    assert "open" in by_contact[unsubscribed]
    assert "reply" not in by_contact[unsubscribed]


def test_rounds_put_stage_moves_after_everything_else_and_second_moves_last() -> None:
    week = plan_week(PEOPLE, end=END, seed=7)
    everything, first, second = rounds(week)
    assert {step["kind"] for step in first} | {step["kind"] for step in second} == {"stage_change"}
    assert "stage_change" not in {step["kind"] for step in everything}
    assert all(step["key"].endswith(":0") for step in first)
    assert all(step["key"].endswith(":1") for step in second)
    assert len(everything) + len(first) + len(second) == len(week)
    assert rounds([step for step in week if step["kind"] != "stage_change"]) == [everything]


def test_the_weeks_end_is_kept_so_later_runs_replay_the_same_week(sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    first = week_end(engine, datetime(2026, 12, 5, 9, 30, 12, 345678, tzinfo=UTC))
    assert first == datetime(2026, 12, 5, 9, 30, 12, tzinfo=UTC)
    assert week_end(engine, datetime(2026, 12, 9, tzinfo=UTC)) == first
    engine.dispose()


def test_an_email_sent_is_not_a_score_change_but_a_grade_or_points_are() -> None:
    unscored = ScoreLine("Ada", None, "B4", False)
    before = {"a": unscored, "b": unscored, "c": ScoreLine("Cy", 10.0, "B3", False), "d": unscored}
    after = {
        "a": ScoreLine("Ada", 0.0, "B4", False),  # sent an email: no points
        "b": ScoreLine("Bo", 29.5, "B2", False),
        "c": ScoreLine("Cy", 0.0, "B4", True),
        "e": ScoreLine("Eve", 5.0, "C3", False),  # not scored before: not a change of this week
    }
    changes = score_changes(before, after)
    assert [change.golden_id for change in changes] == ["b", "c"]
    assert changes[0].before.text() == "B4 (engagement unscored)"
    assert changes[1].after.text() == "B4 (engagement 0), suppressed"
    assert isinstance(changes[0], ScoreChange)


def _control(handler: Any) -> httpx.Client:
    return httpx.Client(base_url="http://emulator", transport=httpx.MockTransport(handler))


def test_the_emulators_answers_are_counted_applied_duplicate_and_refused() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        results: list[dict[str, Any]] = [
            {"index": 0, "outcome": {"messageId": "m1"}},
            {"index": 1, "outcome": {"messageId": "m0", "duplicate": True}},
            {"index": 2, "error": "the contact has been sent no email"},
        ]
        return httpx.Response(200, json={"results": results})

    steps = [{"kind": k, "contactId": "c", "key": k} for k in ("send", "open", "click")]
    done: list[int] = []
    with _control(answer) as control:
        week = simulate(control, steps, done.append)
    assert (week.new, week.duplicates, week.refused, done) == (
        1,
        1,
        ["click c: the contact has been sent no email"],
        [3],
    )
    assert week.add(SimulatedWeek(steps=2, duplicates=2)).steps == 5
    refusing = _control(lambda request: httpx.Response(400, json={"error": "bad"}))
    with refusing as control, pytest.raises(LeadflowError, match="refused the week: 400"):
        simulate(control, steps, done.append)


def _ghl(pending: int, lost: int) -> Any:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"pending": pending, "outcomes": {"delivered": 3, "lost": lost}})

    return answer


def _zoho(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"sent": 0, "outcomes": {}})


def test_waiting_for_the_service_returns_once_settled_and_fails_loudly_otherwise(sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    seen: list[Any] = []
    with _control(_ghl(0, 0)) as ghl, _control(_zoho) as zoho:
        settled = wait_until_settled(engine, ghl, zoho, timeout=5, on_progress=seen.append, poll=0.01)
    assert settled.settled
    assert len(seen) == 2  # quiet twice in a row
    with engine.begin() as connection:
        deliveries_repo.store_delivery(
            connection,
            source="ghl",
            vendor_event_id="w1",
            event_type="InboundMessage",
            contact_key="c1",
            headers={},
            body=b"{}",
        )
    late = pytest.raises(LeadflowError, match="did not catch up within 0 s: 1 deliveries waiting, 2 webhooks")
    with _control(_ghl(2, 0)) as ghl, _control(_zoho) as zoho, late:
        wait_until_settled(engine, ghl, zoho, timeout=0.05, on_progress=seen.append, poll=0.01)
    lost = iter([0, 4])

    def losing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"pending": 0, "outcomes": {"lost": next(lost)}})

    refused = pytest.raises(LeadflowError, match="refused 4 of GoHighLevel's webhooks")
    with _control(losing) as ghl, _control(_zoho) as zoho, refused:
        wait_until_settled(engine, ghl, zoho, timeout=5, on_progress=seen.append, poll=0.01)
    engine.dispose()
