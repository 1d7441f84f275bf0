"""Exactly once to both targets under faults: ``leadflow sync`` (Zoho, then GoHighLevel) SIGKILLed at random points
and resumed while both emulators answer 500s (before and after a write is applied), 429 bursts and
commit-then-drop. Every process is a real one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from leadflow.pipeline.emulator import DEMO_GHL_LOCATION, DEMO_GHL_TOKEN, EmulatorProcess
from leadflow.pipeline.ghl_sync import plan_ghl_sync
from leadflow.pipeline.sync import plan_sync
from leadflow.store import open_store, sync_ledger
from tests.sync import golden
from tests.sync.emulator import Emulator, env_for, settings_for
from tests.sync.kill_loop import KillLoop, kill_and_resume
from tests.sync.test_sync_emulator import remote

SYNC = [sys.executable, "-m", "leadflow", "sync", "--wait", "60"]
PEOPLE = 2_000
COMPANIES = 200
KILLS = 20
WORKFLOW = {"id": "wf-fault-test-0000-0001", "name": "Fault test sequence", "status": "published", "version": 1}


@pytest.mark.slow
def test_sigkilled_two_target_syncs_end_with_one_record_and_one_contact_per_person(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'leadflow.db'}"
    engine = open_store(url)
    people = golden.populate(engine, PEOPLE, companies=COMPANIES)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "insert into record_tags (golden_person_id, target, desired, applied, custom_fields, updated_at)"
                " select golden_person_id, 'ghl', desired, '[]', custom_fields, updated_at from record_tags"
            )
        )
        # every tenth person is also in a segment with a GHL workflow (a membership kept with the owned tags)
        for person in people[::10]:
            connection.execute(
                sa.text(
                    "update record_tags set desired = json_insert(desired, '$[#]', :m)"
                    " where golden_person_id = :p and target = 'ghl'"
                ),
                {"m": f"lf-workflow:{WORKFLOW['name']}", "p": person},
            )
        desired = {
            row[0]: json.loads(row[1]) if isinstance(row[1], str) else row[1]
            for row in connection.execute(
                sa.text("select golden_person_id, desired from record_tags where target = 'ghl'")
            )
        }
    zoho = Emulator(db=tmp_path / "zoho.db")
    ghl = EmulatorProcess(tmp_path / "ghl.db", kind="ghl")
    try:
        ghl.http.post("/_emulator/limits", json={"burst": 5_000}).raise_for_status()
        ghl.http.post(
            "/_emulator/seed", content=json.dumps({"kind": "workflow", "record": WORKFLOW})
        ).raise_for_status()
        settings = settings_for(zoho, url)
        settings = settings.model_copy(
            update={
                "ghl": settings.ghl.model_copy(
                    update={"api_base_url": ghl.base_url, "token": DEMO_GHL_TOKEN, "location_id": DEMO_GHL_LOCATION}
                )
            }
        )
        env = env_for(zoho, url) | {
            "LEADFLOW_GHL_API_BASE_URL": ghl.base_url,
            "LEADFLOW_GHL_TOKEN": DEMO_GHL_TOKEN,
            "LEADFLOW_GHL_LOCATION_ID": DEMO_GHL_LOCATION,
        }

        def faulty() -> None:
            zoho.faults(error_rate=0.1, burst_429=2, drop_after_commit=2, error_after_commit=1, path_prefix="/crm")
            ghl.http.post(
                "/_emulator/faults",
                json={"error_rate": 0.1, "burst_429": 2, "drop_after_commit": 2, "error_after_commit": 1},
            )

        def done() -> bool:
            return not plan_sync(settings, engine).operations and not plan_ghl_sync(settings, engine).operations

        loop = KillLoop(SYNC, env, kills=KILLS, seed=20261204, delay=(1.0, 8.0), final_timeout=900, max_finished=30)
        kill_and_resume(loop, before_each=faulty, done=done)
        ghl_faults = ghl.http.get("/_emulator/faults").json()
        zoho_state = zoho.state()
        zoho.clear_faults()
        ghl.http.delete("/_emulator/faults")
        # the faults really hit both targets
        assert zoho_state["faults"]["dropped"] > 0
        assert ghl_faults["dropped"] > 0
        # Zoho: one Lead per person, never created twice
        assert zoho_state["records"]["Leads"] == PEOPLE
        assert zoho_state["operations"]["Leads"]["created"] == PEOPLE
        # GHL: one contact per person, holding that person's id, with the planned owned tags
        contacts = _ghl_contacts(ghl)
        assert len(contacts) == PEOPLE
        field_id = {
            f["fieldKey"]: f["id"]
            for f in ghl.http.get(f"/locations/{DEMO_GHL_LOCATION}/customFields", headers=_headers()).json()[
                "customFields"
            ]
        }["contact.leadflow_id"]
        owners = {
            next(str(c["value"]) for c in contact["customFields"] if c["id"] == field_id): contact
            for contact in contacts
        }
        assert set(owners) == set(people)
        for person, contact in owners.items():
            tags = sorted(t for t in desired[person] if not t.startswith("lf-workflow:"))
            assert sorted(t for t in contact.get("tags") or [] if t.startswith("lf-")) == tags
        # enrolled once each, exactly the people of the workflow's segment
        enrolments = ghl.http.get("/_emulator/state").json()["enrolments"]
        assert sorted(e["contactId"] for e in enrolments if e["status"] == "active") == sorted(
            str(owners[person]["id"]) for person in people[::10]
        )
        assert len(enrolments) == len(people[::10])
        # cross-links both ways: the GHL contact id in Zoho, the Zoho record id in GHL
        leads = remote(settings, engine, "Leads", ["Leadflow_GHL_ID"])
        zoho_field = {
            f["fieldKey"]: f["id"]
            for f in ghl.http.get(f"/locations/{DEMO_GHL_LOCATION}/customFields", headers=_headers()).json()[
                "customFields"
            ]
        }["contact.leadflow_zoho_id"]
        for person, contact in owners.items():
            assert leads[person]["Leadflow_GHL_ID"] == contact["id"]
            zoho_id = next(str(c["value"]) for c in contact["customFields"] if c["id"] == zoho_field)
            assert zoho_id == str(leads[person]["id"])
        with engine.connect() as connection:
            for target in ("zoho", "ghl"):
                counts = sync_ledger.outbox_counts(connection, target=target)
                assert counts.get("in_flight", 0) == 0, (target, counts)
                assert counts.get("pending", 0) == 0, (target, counts)
                assert counts.get("failed", 0) == 0, (target, counts)
    finally:
        ghl.stop()
        zoho.stop()


def _headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {DEMO_GHL_TOKEN}", "Version": "2021-07-28"}


def _ghl_contacts(ghl: EmulatorProcess) -> list[dict[str, object]]:
    contacts: list[dict[str, object]] = []
    after: list[object] | None = None
    while True:
        body: dict[str, object] = {"locationId": DEMO_GHL_LOCATION, "pageLimit": 500}
        if after is not None:
            body["searchAfter"] = after
        page = ghl.http.post("/contacts/search", json=body, headers=_headers()).json()["contacts"]
        contacts.extend(page)
        if len(page) < 500:
            return contacts
        after = page[-1]["searchAfter"]
