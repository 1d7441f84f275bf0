"""Tracking actions against the Zoho emulator (its own process, a real socket): each rule writes its record in
Zoho with the right fields and links, a Lead is converted once, rules can be turned off, a crash between Zoho's
answer and the outbox commit writes nothing twice, and failures are retried, then failed, then retried by hand."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from leadflow.config.tracking import TrackingRules
from leadflow.pipeline.track import action_runner
from leadflow.store import tracking_actions as actions_repo
from leadflow.tracking.actions import ActionRunner, ActionTally, marker
from leadflow.tracking.rules import rules_planner
from leadflow.tracking.worker import TrackingWorker
from leadflow.tracking.zoho_actions import conversion_event_id
from leadflow.zoho.activities import RecordRef
from tests.sync.emulator import Emulator, env_for
from tests.tracking import world as w

LEADFLOW = [sys.executable, "-m", "leadflow"]


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    running = Emulator()
    yield running
    running.stop()


@pytest.fixture
def zoho_world(emulator: Emulator, tmp_path: Path) -> w.World:
    emulator.http.post("/_emulator/reset")
    emulator.clear_faults()
    return w.build(f"sqlite:///{tmp_path / 'leadflow.db'}", emulator, 6, companies=2)


def _run(world: w.World, rules: TrackingRules | None = None, **tracking: Any) -> tuple[ActionTally, ActionRunner]:
    """Store what is waiting (queueing actions by ``rules``), then perform every due action."""
    settings = world.settings
    if rules is not None or tracking:
        updated = settings.tracking.model_copy(update={"rules": rules or settings.tracking.rules, **tracking})
        settings = settings.model_copy(update={"tracking": updated})
    TrackingWorker(world.engine, planners=[rules_planner(settings.tracking.rules)]).drain()
    zoho = world.zoho()
    runner = action_runner(world.engine, settings, zoho)
    try:
        return runner.drain(), runner
    finally:
        zoho.close()


def _actions(world: w.World) -> list[dict[str, Any]]:
    with world.engine.connect() as connection:
        return actions_repo.actions_of(connection)


def test_reply_becomes_a_note_and_a_follow_up_task_for_the_owner(zoho_world: w.World) -> None:
    world = zoho_world
    person = world.people[0]
    world.set_grade(person, "C3")  # not qualified: no conversion here
    world.store([w.reply(world.ghl_id[person], 1, subject="Re: Pricing", text="Can you send the deck?")])
    tally, _ = _run(world)
    assert (tally.done, tally.failed) == (2, 0)
    assert tally.skipped == 1  # the conversion: grade C3 does not qualify
    with world.zoho() as zoho:
        [note] = zoho.activities.notes(world.lead(person))
        [task] = list(zoho.activities.related(world.lead(person), "Tasks"))
        lead = zoho.leads.get(world.lead_id[person], fields=["Owner"])
    assert note["Note_Title"] == "Reply: Re: Pricing"
    assert "Can you send the deck?" in note["Note_Content"]
    assert f"conversations/conv-{world.ghl_id[person]}" in note["Note_Content"]
    assert w.LOCATION in note["Note_Content"]
    keys = {a["kind"]: a["key"] for a in _actions(world)}
    assert marker(keys["note"]) in note["Note_Content"]
    assert task["Subject"] == "Follow up: Re: Pricing"
    assert task["Due_Date"] == "2026-12-03"  # replied 2026-12-01, follow_up_days = 2
    assert task["Priority"] == "High"
    assert task["Owner"]["id"] == lead["Owner"]["id"]
    assert task["What_Id"]["id"] == world.lead_id[person]
    assert task["$se_module"] == "Leads"
    assert marker(keys["task"]) in task["Description"]
    # the same delivery stored again (a replay) queues and writes nothing more
    assert world.store([w.reply(world.ghl_id[person], 1)]) == 0
    again, _ = _run(world)
    assert again.claimed == 0


def test_call_booking_and_opt_out_write_their_records(zoho_world: w.World) -> None:
    world = zoho_world
    caller, booker, leaver, bouncer = world.people[:4]
    world.store(
        [
            w.call(world.ghl_id[caller], 1, seconds=185),
            w.call(world.ghl_id[caller], 2, seconds=0, status="no-answer"),
            w.booking(world.ghl_id[booker], 3, title="Demo with the team"),
            w.email_stat(world.ghl_id[leaver], 4, "unsubscribed"),
            w.email_stat(world.ghl_id[bouncer], 5, "failed"),
            w.email_stat(world.ghl_id[bouncer], 6, "opened"),  # engagement only: no action
        ]
    )
    tally, _ = _run(world)
    assert tally.failed == 0
    assert tally.by_kind == {"call": 2, "meeting": 1, "opt_out": 2}
    with world.zoho() as zoho:
        calls = sorted(zoho.activities.related(world.lead(caller), "Calls"), key=lambda c: c["Call_Start_Time"])
        [event] = list(zoho.activities.related(world.lead(booker), "Events"))
        opted = {p: zoho.leads.get(world.lead_id[p], fields=["Email_Opt_Out"]) for p in (leaver, bouncer, caller)}
    assert [(c["Call_Type"], c["Call_Duration"], c["Call_Result"]) for c in calls] == [
        ("Inbound", "03:05", "completed"),
        ("Missed", "00:00", "no-answer"),
    ]
    assert calls[0]["Call_Start_Time"].startswith("2026-12-01T09:01:00")
    assert event["Event_Title"] == "Demo with the team"
    assert event["Start_DateTime"].startswith("2026-12-02T09:03:00")
    assert event["End_DateTime"].startswith("2026-12-02T09:48:00")
    assert "appt-3" in event["Description"]
    assert opted[leaver]["Email_Opt_Out"] is True
    assert opted[bouncer]["Email_Opt_Out"] is True
    assert not opted[caller].get("Email_Opt_Out")


def test_a_qualified_lead_is_converted_once_and_its_link_moves_to_the_contact(zoho_world: w.World) -> None:
    world = zoho_world
    person, by_hand, unqualified = world.people[:3]
    for p in (person, by_hand):
        world.set_grade(p, "A1")
    world.set_grade(unqualified, "C3")
    with world.zoho() as zoho:  # a salesperson converted this one in Zoho already
        manual = zoho.leads.convert(world.lead_id[by_hand])
    rules = TrackingRules(deal_stage="Needs Analysis", deal_amount=5000, deal_name="{company}: {full_name}")
    world.store(
        [
            w.reply(world.ghl_id[person], 1),
            w.booking(world.ghl_id[person], 2),
            w.reply(world.ghl_id[by_hand], 3),
            w.reply(world.ghl_id[unqualified], 4),
        ]
    )
    _run(world, rules)
    world.store([w.reply(world.ghl_id[person], 5)])  # a later qualifying event: no second conversion
    _run(world, rules)
    state = world.emulator.state()
    assert state["operations"]["Leads"]["converted"] == 2  # one by leadflow, one by hand before
    with world.engine.connect() as connection:
        converted = dict(
            connection.execute(
                sa.text("select golden_person_id, payload from engagement_events where event_type = 'lead_converted'")
            ).all()
        )
        links = dict(
            connection.execute(
                sa.text("select golden_id, module || ':' || remote_id from sync_records where target = 'zoho'")
            ).all()
        )
        ids = connection.execute(
            sa.text("select vendor_event_id from engagement_events where event_type = 'lead_converted'")
        ).scalars()
        assert set(ids) == {conversion_event_id(person), conversion_event_id(by_hand)}
    assert set(converted) == {person, by_hand}
    mine = _payload(converted[person])
    assert links[person] == f"Contacts:{mine['contact_id']}"
    assert links[unqualified].startswith("Leads:")
    assert _payload(converted[by_hand])["contact_id"] == manual.contact_id
    assert _payload(converted[by_hand])["found_converted"] is True
    assert links[by_hand] == f"Contacts:{manual.contact_id}"
    with world.zoho() as zoho:
        deal = zoho.deals.get(mine["deal_id"])
        contact = zoho.contacts.get(mine["contact_id"])
        # the reply after the conversion is noted on the Contact, not the converted Lead
        contact_notes = zoho.activities.notes(RecordRef("Contacts", mine["contact_id"]))
    assert deal is not None
    assert contact is not None
    assert deal["Stage"] == "Needs Analysis"
    assert deal["Amount"] == 5000
    assert deal["Deal_Name"].endswith(f"{contact['First_Name']} {contact['Last_Name']}")
    assert deal["Contact_Name"]["id"] == mine["contact_id"]
    assert contact["Email"] == world.email[person]
    assert any("Sounds good" in note["Note_Content"] for note in contact_notes)
    states = {(a["golden_person_id"], a["state"], a["error"]) for a in _actions(world) if a["kind"] == "convert"}
    assert (person, "skipped", "converted before") in states
    assert (unqualified, "skipped", "grade C3 does not qualify") in states


def _payload(value: Any) -> dict[str, Any]:
    import json

    return dict(json.loads(value) if isinstance(value, str) else value)


def test_rules_can_be_turned_off(zoho_world: w.World) -> None:
    world = zoho_world
    person = world.people[0]
    world.store([w.reply(world.ghl_id[person], 1), w.call(world.ghl_id[person], 2)])
    off = TrackingRules(reply_task=False, call=False, convert=False)
    tally, _ = _run(world, off)
    assert tally.by_kind == {"note": 1}
    assert {a["kind"] for a in _actions(world)} == {"note"}
    world.store([w.booking(world.ghl_id[person], 3), w.email_stat(world.ghl_id[person], 4, "unsubscribed")])
    tally, _ = _run(world, TrackingRules(booking=False, opt_out=False, reply_note=False, convert=False))
    assert tally.claimed == 0
    state = world.emulator.state()["records"]
    assert (state.get("Events", 0), state.get("Tasks", 0), state.get("Calls", 0)) == (0, 0, 0)


def test_a_crash_after_zoho_wrote_adopts_the_record_instead_of_writing_it_again(zoho_world: w.World) -> None:
    world = zoho_world
    person = world.people[0]
    world.store([w.reply(world.ghl_id[person], 1), w.call(world.ghl_id[person], 2), w.booking(world.ghl_id[person], 3)])
    rules = TrackingRules(convert=False)
    TrackingWorker(world.engine, planners=[rules_planner(rules)]).drain()
    zoho = world.zoho()
    # uncertain_settle_seconds 0: the lost answer here is dropped after Zoho committed, nothing is on its way
    quick = world.settings.tracking.model_copy(update={"action_retry_seconds": 0.001, "uncertain_settle_seconds": 0})
    runner = action_runner(world.engine, world.settings.model_copy(update={"tracking": quick}), zoho)
    # A runner claims the actions and performs them in Zoho, then dies before its outbox commit.
    with world.engine.begin() as connection:
        claimed = actions_repo.claim(connection, worker="doomed", limit=10, lease=runner.lease)
    for action in claimed:
        handler = runner.registry.get(action.kind)
        assert handler is not None
        target = handler.target(action, runner.context)
        with world.engine.begin() as connection:
            actions_repo.set_target(connection, action_id=action.id, module=target.module, record_id=target.id)
        handler.perform(action, target, runner.context)
    with world.engine.begin() as connection:  # its lease runs out
        connection.execute(
            sa.text("update tracking_actions set lease_until = :t"), {"t": datetime(2000, 1, 1, tzinfo=UTC)}
        )
    # And a write whose answer is lost (Zoho committed, the connection dropped).
    world.store([w.reply(world.ghl_id[person], 4, subject="Re: later")])
    TrackingWorker(world.engine, planners=[rules_planner(rules)]).drain()
    world.emulator.faults(drop_after_commit=1, path_prefix="/crm", drop_methods=["POST"])
    first = runner.drain()
    state = world.emulator.state()
    world.emulator.clear_faults()
    zoho.close()
    assert first.adopted == 5  # four from the dead runner, one after the lost answer
    assert state["faults"]["dropped"] == 1
    assert state["records"]["Notes"] == 2
    assert state["records"]["Tasks"] == 2
    assert state["records"]["Calls"] == 1
    assert state["records"]["Events"] == 1
    assert {a["state"] for a in _actions(world)} == {"done"}


@pytest.mark.parametrize(("fault", "adopted"), [("error_after_commit", 1), ("error_before_commit", 0)])
def test_a_note_answered_500_is_looked_up_before_it_is_sent_again(
    zoho_world: w.World, fault: str, adopted: int
) -> None:
    """Zoho answers the Note's create with 500 INTERNAL_ERROR, having stored it or not: the runner never
    resends blindly; it finds the stored Note by its marker (adopts it) or, finding none, writes it once."""
    world = zoho_world
    person = world.people[0]
    world.set_grade(person, "C3")  # not qualified: no conversion here
    world.store([w.reply(world.ghl_id[person], 1, subject="Re: Pricing")])
    world.emulator.faults(**{fault: 1}, path_prefix="/crm", path_contains="/Notes")
    tally, _ = _run(world, action_retry_seconds=0.001, uncertain_settle_seconds=0)
    assert world.emulator.state()["faults"]["errors_injected"] == 1
    assert (tally.retried, tally.adopted, tally.done, tally.failed) == (1, adopted, 2, 0)  # the Note and its Task
    with world.zoho() as zoho:
        [note] = zoho.activities.notes(world.lead(person))  # exactly one Note
    keys = {a["kind"]: a["key"] for a in _actions(world)}
    assert marker(keys["note"]) in note["Note_Content"]
    assert {a["state"] for a in _actions(world) if a["kind"] in ("note", "task")} == {"done"}


def test_failures_are_retried_then_failed_then_retried_by_hand(zoho_world: w.World, tmp_path: Path) -> None:
    world = zoho_world
    person = world.people[0]
    world.store([w.call(world.ghl_id[person], 1)])
    world.emulator.faults(error_rate=1.0, path_prefix="/crm")
    tally = ActionTally()
    for _ in range(3):
        done, _runner = _run(world, action_max_attempts=3, action_retry_seconds=0.001, uncertain_settle_seconds=0)
        tally.add(done)
    world.emulator.clear_faults()
    assert (tally.retried, tally.failed, tally.done) == (2, 1, 0)
    [action] = _actions(world)
    assert action["state"] == "failed"
    assert action["attempts"] == 3
    assert action["error"]  # Zoho's message, with its code beside it
    assert action["error_code"]
    with world.engine.begin() as connection:
        assert actions_repo.failures_by_reason(connection) == {f"call: {action['error']}": 1}
    env = {**env_for(world.emulator, world.settings.database_url), "COLUMNS": "400"}
    status = subprocess.run([*LEADFLOW, "track", "status"], env=env, capture_output=True, text=True, timeout=120)
    assert status.returncode == 0, status.stderr
    assert "call       failed 1" in status.stdout
    assert f"failed action: 1 x call: {action['error']}" in status.stdout
    retried = subprocess.run(
        [*LEADFLOW, "track", "retry", "--failed"], env=env, capture_output=True, text=True, timeout=120
    )
    assert retried.returncode == 0, retried.stderr
    assert "1 Zoho actions queued again" in retried.stdout
    again, _ = _run(world)
    assert (again.done, again.failed) == (1, 0)
    assert world.emulator.state()["records"]["Calls"] == 1


def test_a_dead_runners_late_write_is_adopted_not_written_again(zoho_world: w.World) -> None:
    """A runner sends a Note and a Task and dies; Zoho, busy, applies them only after the runner's lease ran out.
    The next runner must not look them up (and find nothing) before they can no longer land: it takes the
    actions over only once ``uncertain_settle_seconds`` passed after the lease, and then adopts both."""
    world = zoho_world
    person = world.people[0]
    world.store([w.reply(world.ghl_id[person], 1)])
    rules = TrackingRules(convert=False)
    TrackingWorker(world.engine, planners=[rules_planner(rules)]).drain()
    zoho = world.zoho()
    settle = 3.0
    tracking = world.settings.tracking.model_copy(update={"uncertain_settle_seconds": settle})
    runner = action_runner(world.engine, world.settings.model_copy(update={"tracking": tracking}), zoho)
    with world.engine.begin() as connection:
        claimed = actions_repo.claim(connection, worker="doomed", limit=10, lease=timedelta(seconds=0.3))
    started = time.monotonic()
    late_writes = []
    for action in claimed:
        handler = runner.registry.get(action.kind)
        assert handler is not None
        target = handler.target(action, runner.context)
        with world.engine.begin() as connection:
            actions_repo.set_target(connection, action_id=action.id, module=target.module, record_id=target.id)
        late_writes.append((handler, action, target))
    time.sleep(0.5)  # the lease ran out; the requests are still queued in Zoho
    early = runner.run_once()
    assert early.claimed == 0
    for handler, action, target in late_writes:  # now Zoho applies them
        handler.perform(action, target, runner.context)
    time.sleep(max(0.0, 0.3 + settle + 0.1 - (time.monotonic() - started)))
    tally = runner.drain()
    zoho.close()
    assert (tally.adopted, tally.done) == (2, 2)
    state = world.emulator.state()
    assert (state["records"]["Notes"], state["records"]["Tasks"]) == (1, 1)
    assert {a["state"] for a in _actions(world)} == {"done"}


def test_an_earlier_note_is_found_past_the_first_page_of_the_records_notes(zoho_world: w.World) -> None:
    world = zoho_world
    person = world.people[0]
    world.store([w.reply(world.ghl_id[person], 1)])
    TrackingWorker(world.engine, planners=[rules_planner(TrackingRules(convert=False, reply_task=False))]).drain()
    zoho = world.zoho()
    runner = action_runner(world.engine, world.settings, zoho)
    with world.engine.begin() as connection:
        [action] = actions_repo.claim(connection, worker="doomed", limit=1, lease=timedelta(seconds=1))
    handler = runner.registry.get(action.kind)
    assert handler is not None
    lead = world.lead(person)
    handler.perform(action, lead, runner.context)  # the oldest note: the last page, newest first
    parent = {"module": {"api_name": "Leads"}, "id": lead.id}
    for start in range(0, 230, 100):
        made = zoho.module("Notes").insert(
            [{"Note_Content": f"other {n}", "Parent_Id": parent} for n in range(start, min(230, start + 100))]
        )
        assert all(result.ok for result in made)
    found = handler.find(action, lead, runner.context)
    zoho.close()
    assert found is not None
    assert world.emulator.state()["records"]["Notes"] == 231
