"""Exactly once under faults: 5,000 GHL deliveries for a few hundred synced people, ``leadflow worker``
SIGKILLed at 20 random points and restarted, the Zoho emulator answering 500s (before and after committing a
write), bursts of 429s and dropping connections after committing writes. Afterwards each event was applied
once: every Note, Task, Call and Event exists once in Zoho (asserted on the emulator's own records, by the
marker each carries), each qualified Lead was converted once (and its Deal got one GHL opportunity), every
opt-out is set, every GHL stage change of a linked opportunity moved its Zoho Deal once (Stage_History holds
each move once), and nothing is left in flight.

The worker and the Zoho emulator run as processes of their own, as a user would run them; the GHL emulator
(opportunities, pipelines) is served over a socket from this process.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from leadflow.store import tracking as deliveries_repo
from leadflow.store import tracking_actions as actions_repo
from leadflow.store.deal_links import link
from leadflow.tracking.actions import marker
from leadflow.zoho.activities import RecordRef
from leadflow_emulators.ghl.models.backend import DEFAULT_LOCATION_ID, DEFAULT_TOKEN
from tests.ghl.conftest import Emulator as GhlEmulator
from tests.ghl.conftest import make_client
from tests.sync.emulator import Emulator, env_for
from tests.tracking import world as w
from tests.zoho.conftest import serve

PEOPLE = 300
EVENTS = 5_000
KILLS = 20
WORKER = [sys.executable, "-m", "leadflow", "worker"]
# Share of each kind of delivery (the rest are opens and clicks, which write nothing in Zoho).
MIX = {
    "reply": 0.12,
    "call": 0.08,
    "booking": 0.06,
    "unsubscribed": 0.02,
    "failed": 0.02,
    "complained": 0.01,
    "stage": 0.04,
}
# Zoho records each action kind writes, and the related list it is found in (stage moves: see _assert_stages).
WRITES = {"note": "Notes", "task": "Tasks", "call": "Calls", "meeting": "Events"}
# uncertain_settle_seconds: a killed worker's last request can still be queued in the (loaded) emulator when its
# lease runs out; its action is looked up only once that request has landed, else the look-up misses it.
# sync_after_rescore off: this test is about the actions, so the kills and the injected faults should land on
# them; the sync after a re-score is the sync engine's, whose own fault test is tests/sync/test_two_target_faults.py
CONFIG = """
[tracking]
sync_after_rescore = false
lease_seconds = 2
uncertain_settle_seconds = 5
action_max_attempts = 60
action_retry_seconds = 0.2

[tracking.rules]
convert_grades = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "C1", "C2", "C3", "C4", "D1", "D2", "D3", "D4"]

[[tracking.stages.pipelines]]
ghl_pipeline = "Sales"
stages = { "New" = "Qualification", "Proposal" = "Proposal/Price Quote", "Won" = "Closed Won" }

[[tracking.stages.pipelines]]
ghl_pipeline = "Renewals"
zoho_pipeline = "Renewals (not a conversion's)"
[tracking.stages.pipelines.stages]
Open = "Qualification"
Quoted = "Proposal/Price Quote"
Review = "Proposal/Price Quote"
Signed = "Closed Won"
"""
# Deals linked to GHL opportunities before the run (in the Renewals pipeline, apart from conversions' Sales)
LINKED = 30
SALES = {"id": "pipeSales", "name": "Sales", "stages": [{"id": f"s{n}", "name": n} for n in ("New", "Proposal", "Won")]}
RENEWALS = {
    "id": "pipeRenewals",
    "name": "Renewals",
    "stages": [{"id": f"r{n}", "name": n} for n in ("Open", "Quoted", "Review", "Signed", "Lost")],
}
# rLost is not mapped: a change to it moves nothing
RENEWAL_STAGE = {
    "rOpen": "Qualification",
    "rQuoted": "Proposal/Price Quote",
    "rReview": "Proposal/Price Quote",
    "rSigned": "Closed Won",
}


def _faulty(emulator: Emulator) -> None:
    emulator.faults(error_rate=0.1, burst_429=2, drop_after_commit=2, error_after_commit=1, path_prefix="/crm")


def _deliveries(world: w.World, rng: random.Random, linked: Mapping[str, tuple[str, str]]) -> list[dict[str, Any]]:
    kinds = [*MIX, "opened", "clicked"]
    weights = [*MIX.values(), (1 - sum(MIX.values())) / 2, (1 - sum(MIX.values())) / 2]
    bodies = []
    for n in range(EVENTS):
        person = world.people[rng.randrange(len(world.people))]
        contact = world.ghl_id[person]
        kind = rng.choices(kinds, weights)[0]
        if kind == "stage":
            person = sorted(linked)[rng.randrange(len(linked))]
            stage = rng.choice([s["id"] for s in RENEWALS["stages"]])  # type: ignore[index]
            bodies.append(_stage_update(world.ghl_id[person], linked[person][1], stage, n))
        elif kind == "reply":
            bodies.append(w.reply(contact, n, subject=f"Re: note {n}"))
        elif kind == "call":
            bodies.append(w.call(contact, n, seconds=rng.choice([0, 30, 185, 600])))
        elif kind == "booking":
            bodies.append(w.booking(contact, n))
        else:
            bodies.append(w.email_stat(contact, n, kind, email=world.email[person]))
    return bodies


def _stage_update(contact: str, opportunity: str, stage: str, n: int) -> dict[str, Any]:
    return {
        "type": "OpportunityStageUpdate",
        "webhookId": f"wh-stage-{n}",
        "locationId": w.LOCATION,
        "id": opportunity,
        "contactId": contact,
        "pipelineId": RENEWALS["id"],
        "pipelineStageId": stage,
        "status": "open",
        "name": f"Renewal {contact}",
    }


def _link_deals(world: w.World, ghl: GhlEmulator, rng: random.Random, tmp_path: Path) -> dict[str, tuple[str, str]]:
    """GHL contacts for every person, and ``LINKED`` people with a Zoho Deal linked to a Renewals opportunity
    (golden id -> (deal id, opportunity id))."""
    ghl.backend.set_limits({"enabled": False})  # GHL's rate limits are not what this test is about
    ghl.seed([{"kind": "pipeline", "record": SALES}, {"kind": "pipeline", "record": RENEWALS}])
    ghl.seed(
        [
            {"kind": "contact", "record": {"id": contact, "email": world.email[person], "firstName": "P"}}
            for person, contact in world.ghl_id.items()
        ]
    )
    client = make_client(ghl, tmp_path / "ghl-client")
    chosen = rng.sample(world.people, LINKED)
    linked: dict[str, tuple[str, str]] = {}
    with world.zoho() as zoho:
        made = zoho.deals.insert([{"Deal_Name": f"Renewal {n}", "Stage": "Qualification"} for n in range(LINKED)])
    with world.engine.begin() as connection:
        for person, result in zip(chosen, made, strict=True):
            opportunity = client.opportunities.create(
                pipeline_id=str(RENEWALS["id"]), contact_id=world.ghl_id[person], name="Renewal", stage_id="rOpen"
            )
            link(
                connection, zoho_deal_id=str(result.id), ghl_opportunity_id=str(opportunity["id"]),
                ghl_pipeline_id=str(RENEWALS["id"]), golden_person_id=person, zoho_stage="Qualification",
                ghl_stage_id="rOpen",
            )  # fmt: skip
            linked[person] = (str(result.id), str(opportunity["id"]))
    return linked


def _done(engine: sa.Engine) -> bool:
    with engine.connect() as connection:
        waiting = deliveries_repo.counts(connection)
        actions = actions_repo.counts(connection)
    busy = waiting.get(deliveries_repo.RECEIVED, 0) + waiting.get(deliveries_repo.PROCESSING, 0)
    return busy == 0 and actions.get(actions_repo.PENDING, 0) + actions.get(actions_repo.IN_FLIGHT, 0) == 0


@pytest.mark.slow
def test_sigkilled_workers_under_faults_apply_every_event_exactly_once(tmp_path: Path) -> None:
    emulator = Emulator()
    ghl = GhlEmulator()
    ghl_live = serve(ghl.app)
    try:
        url = f"sqlite:///{tmp_path / 'leadflow.db'}"
        world = w.build(url, emulator, PEOPLE, companies=60)
        rng = random.Random(20261205)
        linked = _link_deals(world, ghl, rng, tmp_path)
        bodies = _deliveries(world, rng, linked)
        assert world.store(bodies) == EVENTS
        (tmp_path / "leadflow.toml").write_text(CONFIG)
        env = {
            **env_for(emulator, url),
            "LEADFLOW_CONFIG": str(tmp_path / "leadflow.toml"),
            "LEADFLOW_GHL_API_BASE_URL": ghl_live.url,
            "LEADFLOW_GHL_AUTH": "pit",
            "LEADFLOW_GHL_TOKEN": DEFAULT_TOKEN,
            "LEADFLOW_GHL_LOCATION_ID": DEFAULT_LOCATION_ID,
        }
        kills, log = 0, []
        while kills < KILLS:
            _faulty(emulator)
            process = subprocess.Popen(WORKER, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            delay = rng.uniform(2.0, 5.0)
            try:
                process.wait(timeout=delay)
                log.append(f"worker ended by itself rc={process.returncode}: {process.stdout.read()[-2000:]}")  # type: ignore[union-attr]
                pytest.fail("\n".join(log))
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait()
                kills += 1
                log.append(f"killed after {delay:.1f}s")
        _faulty(emulator)
        for _ in range(30):  # the last runs finish what the dead ones left (leases run out, backoffs end)
            finished = subprocess.run([*WORKER, "--once"], env=env, capture_output=True, text=True, timeout=300)
            assert finished.returncode == 0, finished.stdout + finished.stderr
            log.append(finished.stdout.strip())
            if _done(world.engine):
                break
            time.sleep(1.0)
        state = emulator.state()
        emulator.clear_faults()
        assert _done(world.engine), "\n".join(log)
        _assert_exactly_once(world, bodies, state, state["faults"])  # fault counters add up over the run
        _assert_stages(world, bodies, linked, ghl)
    finally:
        emulator.stop()
        ghl_live.server.should_exit = True
        ghl_live.thread.join(timeout=10)
        ghl.close()


def _assert_exactly_once(
    world: w.World, bodies: list[dict[str, Any]], state: Mapping[str, Any], faults: Mapping[str, Any]
) -> None:
    engine = world.engine
    with engine.connect() as connection:
        delivered = deliveries_repo.counts(connection)
        actions = actions_repo.actions_of(connection)
        events = Counter(
            dict(
                connection.execute(
                    sa.text("select event_type, count(*) from engagement_events group by event_type")
                ).all()
            )
        )
        converted = dict(
            connection.execute(
                sa.text("select golden_person_id, payload from engagement_events where event_type = 'lead_converted'")
            ).all()
        )
    # every delivery processed once, nothing failed or stuck
    assert delivered == {"processed": EVENTS}
    kinds = Counter(str(body["type"]) + ":" + str(body.get("messageType") or "") for body in bodies)
    replies, calls = kinds["InboundMessage:Email"], kinds["InboundMessage:CALL"]
    bookings = kinds["AppointmentCreate:"]
    assert events["email_replied"] == replies
    assert events["call_connected"] + events["call_missed"] == calls
    assert events["meeting_booked"] == bookings
    by_state = Counter((a["kind"], a["state"]) for a in actions)
    assert {state_ for _, state_ in by_state} <= {"done", "skipped"}, by_state
    assert by_state[("note", "done")] == by_state[("task", "done")] == replies
    assert by_state[("call", "done")] == calls
    assert by_state[("meeting", "done")] == bookings
    # the faults really hit, and some writes were recognised in Zoho rather than sent again
    assert faults["dropped"] > 0
    assert faults["errors_injected"] > 0
    adopted = [a for a in actions if (a["result"] or {}).get("adopted")]
    assert adopted, "no action was found in Zoho after an uncertain attempt"
    # Zoho holds each written record once: one per action, each action's marker exactly once
    records = state["records"]
    for kind, module in WRITES.items():
        expected = by_state[(kind, "done")]
        assert records.get(module, 0) == expected, (module, records.get(module), expected)
        assert state["operations"][module]["created"] == expected
    with world.zoho() as zoho:
        for kind, module in WRITES.items():
            field = "Note_Content" if module == "Notes" else "Description"
            texts = [str(r.get(field) or "") for r in zoho.module(module).iter(["id", field])]
            keys = [a["key"] for a in actions if a["kind"] == kind]
            found = Counter(key for key in keys for text in texts if marker(key) in text)
            assert all(found[key] == 1 for key in keys), [k for k in keys if found[k] != 1][:5]
        # each qualified Lead converted once: one Contact, one Deal; the person's link is the Contact
        assert len(converted) == events["lead_converted"] > 0
        assert state["operations"]["Leads"]["converted"] == len(converted)
        assert records.get("Contacts", 0) == records.get("Deals", 0) - LINKED == len(converted)
        with engine.connect() as connection:
            links = dict(
                connection.execute(
                    sa.text("select golden_id, module || ':' || remote_id from sync_records where target = 'zoho'")
                ).all()
            )
        for person, payload in converted.items():
            ids = _json(payload)
            assert links[person] == f"Contacts:{ids['contact_id']}"
        # every opt-out is set on the person's record (Lead or, once converted, Contact)
        opted = {a["golden_person_id"] for a in actions if a["kind"] == "opt_out" and a["state"] == "done"}
        assert opted
        for person in opted:
            module, _, record_id = links[person].partition(":")
            record = zoho.module(module).get(record_id, fields=["Email_Opt_Out"])
            assert record is not None
            assert record["Email_Opt_Out"] is True, (person, links[person])
        # the notes were written on the Lead, or on the Contact after the conversion; a Lead's notes moved to its
        # Contact when it was converted later (as in Zoho): each is now on the person's current record
        notes = [a for a in actions if a["kind"] == "note"]
        assert Counter(a["module"] for a in notes)["Leads"] > 0
        on_contacts = [a for a in notes if a["module"] == "Contacts"]
        on_leads = [a for a in notes if a["module"] == "Leads" and a["golden_person_id"] not in converted]
        moved = [a for a in notes if a["module"] == "Leads" and a["golden_person_id"] in converted]
        assert on_contacts
        assert moved
        for some in on_leads[:15] + on_contacts[:15] + moved[:15]:
            if some["module"] == "Contacts":
                assert links[some["golden_person_id"]] == f"Contacts:{some['record_id']}"
            module, _, record_id = links[some["golden_person_id"]].partition(":")
            found = zoho.activities.notes(RecordRef(module, record_id))
            assert any(marker(some["key"]) in str(n.get("Note_Content")) for n in found), (module, some)


def _json(value: Any) -> dict[str, Any]:
    import json

    return dict(json.loads(value) if isinstance(value, str) else value)


def _assert_stages(
    world: w.World, bodies: list[dict[str, Any]], linked: Mapping[str, tuple[str, str]], ghl: GhlEmulator
) -> None:
    """Each GHL stage change moved its Deal once (none twice, none lost): replayed in delivery order, every
    change to a different mapped stage is one move, in ``tracking_actions`` and in the Deal's Stage_History.
    Each conversion's Deal got one GHL opportunity in Sales, linked to it."""
    deal_of = {opportunity: deal for deal, opportunity in linked.values()}
    expected: Counter[str] = Counter()
    final: dict[str, str] = {}
    for body in bodies:
        if body["type"] != "OpportunityStageUpdate":
            continue
        deal = deal_of[str(body["id"])]
        mapped = RENEWAL_STAGE.get(str(body["pipelineStageId"]))
        if mapped is not None and mapped != final.get(deal, "Qualification"):
            expected[deal] += 1
            final[deal] = mapped
    assert sum(expected.values()) > 20  # the mix really moved deals
    with world.engine.connect() as connection:
        actions = actions_repo.actions_of(connection)
        converted = connection.execute(
            sa.text("select count(*) from engagement_events where event_type = 'lead_converted'")
        ).scalar_one()
        links = connection.execute(sa.text("select count(*) from deal_links")).scalar_one()
    moves = Counter(
        deal_of[str(a["payload"]["opportunity_id"])]
        for a in actions
        if a["kind"] == "zoho_deal_stage" and a["state"] == "done"
    )
    assert moves == expected
    with world.zoho() as zoho:
        for deal, _ in linked.values():
            history = [h["Stage"] for h in zoho.deals.stage_history(deal)]
            assert len(history) == 1 + expected[deal], (deal, history, expected[deal])
            record = zoho.deals.get(deal, fields=["Stage"])
            assert record is not None
            assert record["Stage"] == final.get(deal, "Qualification")
    opportunities = sum(1 for a in actions if a["kind"] == "ghl_opportunity" and a["state"] == "done")
    assert opportunities == converted
    in_sales = [o for o in ghl.backend.docs.all("opportunity") if o["pipelineId"] == SALES["id"]]
    assert len(in_sales) == converted
    assert links == LINKED + converted
