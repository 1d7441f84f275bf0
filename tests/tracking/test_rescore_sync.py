"""Engagement changes segments at the targets: both emulators as processes over real sockets, GHL's signed
engagement webhooks into leadflow's app, the worker, the incremental re-score of the people touched and a sync of
those people only — a complaint or an unsubscribe becomes GHL's DND, a reply enrols the person in the segment's GHL
workflow once, and a burst of events for one person costs one re-score and one sync."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from leadflow.config import SegmentSpec, SegmentsSettings, Settings, TrackingSettings
from leadflow.ghl import GhlClient
from leadflow.pipeline.emulator import DEMO_GHL_LOCATION, DEMO_GHL_TOKEN, EmulatorProcess
from leadflow.pipeline.ghl_sync import ghl_sync
from leadflow.pipeline.score import run_score_stage
from leadflow.pipeline.sync import zoho_sync
from leadflow.pipeline.track import tracking_worker
from leadflow.store import open_store
from tests.sync import golden
from tests.sync.emulator import Emulator, settings_for
from tests.web.test_webhook_intake import Server

WORKFLOW = {"id": "wf-replied-0000-0001", "name": "Replied sequence", "status": "published", "version": 1}
PEOPLE = 8


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Settings, sa.Engine, EmulatorProcess, Emulator]]:
    url = f"sqlite:///{tmp_path / 'leadflow.db'}"
    engine = open_store(url)
    golden.populate(engine, PEOPLE, companies=2)
    zoho = Emulator(db=tmp_path / "zoho.db")
    ghl = EmulatorProcess(tmp_path / "ghl.db", kind="ghl")
    try:
        ghl.http.post(
            "/_emulator/seed", content=json.dumps({"kind": "workflow", "record": WORKFLOW})
        ).raise_for_status()
        keys = ghl.http.get("/_emulator/webhooks/keys").json()
        base = settings_for(zoho, url)
        settings = base.model_copy(
            update={
                "ghl": base.ghl.model_copy(
                    update={
                        "api_base_url": ghl.base_url,
                        "token": SecretStr(DEMO_GHL_TOKEN),
                        "location_id": DEMO_GHL_LOCATION,
                        "webhook_public_key": keys["ed25519"],
                        "webhook_legacy_public_key": keys["rsa"],
                    }
                ),
                "segments": SegmentsSettings(
                    segment=[
                        SegmentSpec(
                            name="replied",
                            rule="engagement >= 10 and not suppressed",
                            ghl_tags=["replied"],
                            zoho_tags=["replied"],
                            ghl_workflow=WORKFLOW["name"],
                        )
                    ]
                ),
                "tracking": TrackingSettings(sync_after_rescore=True, rescore_delay_seconds=0.0),
            }
        )
        run_score_stage(engine, settings)
        for name in ("zoho", "ghl", "zoho"):  # Zoho again: the GHL contact ids (cross-links)
            with (ghl_sync if name == "ghl" else zoho_sync)(settings, engine) as runner:
                assert not runner.run().stopped
        yield settings, engine, ghl, zoho
    finally:
        ghl.stop()
        zoho.stop()
        engine.dispose()


def _contact_of(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("select golden_id, remote_id from sync_records where target = 'ghl' and kind = 'person'")
        ).all()
    return {str(golden_id): str(remote_id) for golden_id, remote_id in rows}


def _contact(settings: Settings, engine: sa.Engine, contact_id: str) -> dict[str, Any]:
    with GhlClient.from_settings(settings, engine) as client:
        return dict(client.contacts.get(contact_id))


def _deliver(settings: Settings, ghl: EmulatorProcess, events: list[tuple[str, str]]) -> None:
    """GHL's engagement simulation for (kind, contact) pairs, its signed webhooks received by leadflow's app."""
    server = Server(settings)
    try:
        ghl.http.post("/_emulator/webhooks", json={"urls": [f"{server.url}/webhooks/ghl"]}).raise_for_status()
        for kind, contact in events:
            ghl.http.post("/_emulator/engagement", json={"kind": kind, "contactId": contact}).raise_for_status()
        ghl.http.post("/_emulator/webhooks/flush", json={"timeout": 10}).raise_for_status()
    finally:
        server.close()


def _send_email(settings: Settings, engine: sa.Engine, contacts: list[str]) -> None:
    with GhlClient.from_settings(settings, engine) as client:
        for contact in contacts:
            client.conversations.send(contact, "Email", subject="Quick question", html="<p>Hi</p>")


def _scores(engine: sa.Engine) -> dict[str, tuple[bool, list[str]]]:
    with engine.connect() as connection:
        rows = connection.execute(sa.text("select golden_person_id, suppressed, segments from scores")).all()
    return {
        str(pid): (bool(suppressed), json.loads(segments) if isinstance(segments, str) else list(segments or []))
        for pid, suppressed, segments in rows
    }


def test_complaint_and_unsubscribe_set_dnd_and_a_reply_enrols_once(
    world: tuple[Settings, sa.Engine, EmulatorProcess, Emulator],
) -> None:
    settings, engine, ghl, zoho = world
    people = sorted(_contact_of(engine))
    contact_of = _contact_of(engine)
    replier, complainer, leaver = people[0], people[1], people[2]
    before = _scores(engine)
    assert not any(segments for _, segments in before.values())
    assert not ghl.http.get("/_emulator/state").json()["enrolments"]
    _send_email(settings, engine, [contact_of[p] for p in (replier, complainer, leaver)])
    zoho_writes_before = zoho.state()["operations"]

    # a burst for the replier (opens, a click, the reply), a complaint, an unsubscribe
    _deliver(
        settings,
        ghl,
        [
            ("open", contact_of[replier]),
            ("open", contact_of[replier]),
            ("click", contact_of[replier]),
            ("reply", contact_of[replier]),
            ("complaint", contact_of[complainer]),
            ("unsubscribe", contact_of[leaver]),
        ],
    )
    worker, rescore = tracking_worker(engine, settings)
    tally = worker.drain()
    assert tally.failed == 0
    assert {replier, complainer, leaver} <= tally.people
    rescore.flush()
    assert rescore.runs == 1  # the whole burst: one re-score ...
    assert rescore.syncs == 1  # ... and one sync
    assert rescore.rescored == {replier, complainer, leaver}

    after = _scores(engine)
    assert after[replier] == (False, ["replied"])
    assert after[complainer][0] is True
    assert after[leaver][0] is True
    assert {p: v for p, v in after.items() if p not in rescore.rescored} == {
        p: v for p, v in before.items() if p not in rescore.rescored
    }

    # GHL: the complainer's DND is leadflow's doing (the emulator sets DND itself only for an unsubscribe)
    dnd = _contact(settings, engine, contact_of[complainer]).get("dndSettings") or {}
    assert dnd["Email"]["status"] == "active"
    assert "spam_complaint" in dnd["Email"]["message"]
    assert (_contact(settings, engine, contact_of[leaver]).get("dndSettings") or {})["Email"]["status"] == "active"
    assert (
        not (_contact(settings, engine, contact_of[people[3]]).get("dndSettings") or {}).get("Email", {}).get("status")
    )
    # the replier: owned tag and one enrolment in the segment's workflow
    assert "lf-replied" in (_contact(settings, engine, contact_of[replier]).get("tags") or [])
    enrolments = ghl.http.get("/_emulator/state").json()["enrolments"]
    assert [(e["contactId"], e["workflowId"], e["status"]) for e in enrolments] == [
        (contact_of[replier], WORKFLOW["id"], "active")
    ]
    # only the three were planned: every other person was neither read nor written
    for name, report in rescore.last_sync.items():
        planned = report.plan.tally
        looked_at = planned.unchanged + planned.by_kind["person"] + planned.by_kind["account"]
        assert looked_at <= 3 + 2, (name, planned.counts())  # three people, at most both companies
    zoho_ops = zoho.state()["operations"]
    assert zoho_ops["Leads"].get("created", 0) == zoho_writes_before["Leads"].get("created", 0)

    # more engagement by the replier later: re-scored again, still enrolled once
    _deliver(settings, ghl, [("click", contact_of[replier])])
    assert worker.drain().people == {replier}
    rescore.flush()
    assert rescore.runs == 2
    enrolments = ghl.http.get("/_emulator/state").json()["enrolments"]
    assert len(enrolments) == 1


def test_a_sync_that_fails_keeps_the_people_waiting_and_a_restarted_worker_sends_them(
    world: tuple[Settings, sa.Engine, EmulatorProcess, Emulator],
) -> None:
    settings, engine, ghl, _zoho = world
    contact_of = _contact_of(engine)
    person = sorted(contact_of)[4]
    _send_email(settings, engine, [contact_of[person]])
    _deliver(settings, ghl, [("complaint", contact_of[person])])
    worker, rescore = tracking_worker(engine, settings)
    worker.drain()
    ghl.http.post("/_emulator/faults", json={"error_rate": 1.0}).raise_for_status()  # GHL down for the first push
    rescore.flush()
    assert rescore.runs == 1
    assert rescore.syncs == 0
    ghl.http.delete("/_emulator/faults").raise_for_status()
    assert not (_contact(settings, engine, contact_of[person]).get("dndSettings") or {}).get("Email")
    # the worker process ends here; a new one finds the person waiting for a sync (not for a re-score)
    _, restarted = tracking_worker(engine, settings)
    restarted.tick()
    assert restarted.runs == 0
    assert restarted.syncs == 1
    assert (_contact(settings, engine, contact_of[person]).get("dndSettings") or {})["Email"]["status"] == "active"
    _, third = tracking_worker(engine, settings)
    assert third.flush() == 0  # nobody waits any more
    assert third.syncs == 0


def test_people_whose_worker_died_before_their_rescore_are_rescored_by_the_next_worker(
    world: tuple[Settings, sa.Engine, EmulatorProcess, Emulator],
) -> None:
    settings, engine, ghl, _zoho = world
    contact_of = _contact_of(engine)
    person = sorted(contact_of)[5]
    _send_email(settings, engine, [contact_of[person]])
    _deliver(settings, ghl, [("complaint", contact_of[person])])
    worker, rescore = tracking_worker(engine, settings)
    assert worker.drain().people == {person}
    assert rescore.pending == {person}  # ... and the process ends before the re-score
    _, restarted = tracking_worker(engine, settings)
    restarted.tick()  # due at once
    assert restarted.rescored == {person}
    assert restarted.syncs == 1
    assert _scores(engine)[person][0] is True
    assert (_contact(settings, engine, contact_of[person]).get("dndSettings") or {})["Email"]["status"] == "active"
