"""``leadflow crm dedupe`` against the Zoho emulator: duplicates of one golden person merged through Zoho's
merge API (related records to the master, the others in the recycle bin), exactly once across a lost answer,
Contacts never merged into Leads, and a dry run that changes nothing (asserted on the emulator's state)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select
from starlette.testclient import TestClient

from leadflow.config import Settings
from leadflow.errors import InputError
from leadflow.pipeline.crm_dedupe import DedupeResult, crm_dedupe
from leadflow.store import record_merges, sync_ledger
from leadflow.store.runs import utcnow
from leadflow.store.schema import crm_cluster_members, crm_records, golden_people, runs, sync_records
from leadflow.sync.merge_plan import read_merge_plan
from leadflow.zoho import ClientOptions
from leadflow_emulators.zoho.models import ZohoBackend
from tests.emulators.zoho.conftest import token_for
from tests.zoho.conftest import EMULATOR, Rig, zoho_settings


@pytest.fixture
def api(rig: Rig) -> Iterator[TestClient]:
    """A client of the same emulator with its own token, to set records up and look at them."""
    with TestClient(rig.app, base_url=EMULATOR) as client:
        client.headers["Authorization"] = f"Zoho-oauthtoken {token_for(client)}"
        yield client


def _create(api: TestClient, module: str, row: dict[str, Any]) -> str:
    reply = api.post(f"/crm/v8/{module}", json={"data": [row]})
    assert reply.status_code == 201, reply.json()
    return str(reply.json()["data"][0]["details"]["id"])


def _later(rig: Rig, api: TestClient, seconds: int = 3600) -> None:
    """An hour later on the emulator's clock (the next record is younger); a fresh token for ``api``."""
    rig.control("POST", "clock", json={"advance_seconds": seconds})
    api.headers["Authorization"] = f"Zoho-oauthtoken {token_for(api)}"


def _golden(engine: Engine, golden_id: str, records: list[tuple[str, str]], **values: Any) -> None:
    """A golden person whose cluster holds ``records`` (as resolve --against-crm leaves them)."""
    with engine.begin() as connection:
        module, crm_id = records[0]
        connection.execute(
            insert(golden_people).values(
                id=golden_id, emails=[], provenance={}, updated_at=utcnow(), crm_module=module, crm_id=crm_id, **values
            )
        )
        for module, crm_id in records:
            connection.execute(
                insert(crm_cluster_members).values(
                    crm_module=module, crm_id=crm_id, golden_person_id=golden_id, match_reason="email"
                )
            )
            connection.execute(insert(crm_records).values(module=module, crm_id=crm_id, fields={}, loaded_at=utcnow()))


def _dedupe(rig: Rig, **kwargs: Any) -> DedupeResult:
    settings: Settings = zoho_settings(rig.database_url)
    options = ClientOptions(sleep=rig.sleeps, seed=1)
    return crm_dedupe(settings, rig.engine, http_client=rig.http, options=options, **kwargs)


def _merged(backend: ZohoBackend, module: str) -> int:
    return int(backend.stats()["operations"].get(module, {}).get("merged", 0))


def _alive(api: TestClient, module: str, record_id: str) -> bool:
    return api.get(f"/crm/v8/{module}/{record_id}").status_code == 200


@pytest.fixture
def duplicates(rig: Rig, api: TestClient) -> dict[str, str]:
    """Ada held by three Contacts (the oldest is the master) with a Note, a Task, a Call and a Deal on the others."""
    oldest = _create(api, "Contacts", {"Last_Name": "Lovelace", "Email": "ada@old.example", "First_Name": "Ada"})
    _later(rig, api)
    second = _create(api, "Contacts", {"Last_Name": "Lovelace", "Email": "ada@analytical.example", "Title": "CTO"})
    _later(rig, api)
    third = _create(api, "Contacts", {"Last_Name": "Lovelace", "Phone": "+441234567890"})
    note = {"Note_Content": "met at the fair", "Parent_Id": {"module": {"api_name": "Contacts"}, "id": second}}
    _create(api, "Notes", note)
    task = {"Subject": "send the deck", "Who_Id": {"id": third}, "$se_module": "Contacts"}
    _create(api, "Tasks", task)
    deal = _create(api, "Deals", {"Deal_Name": "Engine", "Stage": "Qualification", "Contact_Name": {"id": second}})
    api.post(f"/crm/v8/Contacts/{third}/actions/add_tags", json={"tags": [{"name": "fair-2026"}]})
    _golden(
        rig.engine,
        "gp_ada",
        [("Contacts", second), ("Contacts", oldest), ("Contacts", third)],
        email="ada@analytical.example",
        last_name="Lovelace",
    )
    with rig.engine.begin() as connection:  # the sync pushed the person to the second record
        connection.execute(
            insert(sync_records).values(
                target="zoho", golden_id="gp_ada", kind="person", module="Contacts", remote_id=second,
                payload={"Email": "ada@analytical.example"}, payload_hash="h", version=1, synced_at=utcnow(),
            )
        )  # fmt: skip
    return {"oldest": oldest, "second": second, "third": third, "deal": deal}


def test_dry_run_plans_and_changes_nothing(
    rig: Rig, api: TestClient, backend: ZohoBackend, duplicates: dict[str, str], tmp_path: Path
) -> None:
    records_before = backend.stats()["records"]
    plan_path = tmp_path / "merges.jsonl"

    result = _dedupe(rig, plan_file=plan_path)

    merges = result.plan.merges
    assert [(m.action, m.module, m.master_id) for m in merges] == [("merge", "Contacts", duplicates["oldest"])]
    assert sorted(merges[0].loser_ids) == sorted([duplicates["second"], duplicates["third"]])  # two at most a call
    assert merges[0].keep == {"Email": duplicates["second"]}  # the golden e-mail is the second record's
    assert backend.stats()["records"] == records_before
    assert _merged(backend, "Contacts") == 0
    assert all(_alive(api, "Contacts", duplicates[name]) for name in ("oldest", "second", "third"))
    assert read_merge_plan(plan_path).plan_id == result.plan.plan_id
    with rig.engine.connect() as connection:
        assert record_merges.counts(connection) == {}
        assert connection.execute(select(runs.c.id).where(runs.c.kind == "crm_dedupe")).first() is None


def test_apply_moves_notes_tasks_deals_and_tags_to_the_master(
    rig: Rig, api: TestClient, backend: ZohoBackend, duplicates: dict[str, str]
) -> None:
    master, second, third = duplicates["oldest"], duplicates["second"], duplicates["third"]

    result = _dedupe(rig, apply=True)

    assert result.report is not None
    assert not result.report.failures
    assert result.report.counts["Contacts merged"] == 2
    assert (result.report.calls, result.report.credits) == (4, 4)  # three records read, one merge
    kept = api.get(f"/crm/v8/Contacts/{master}").json()["data"][0]
    assert kept["Email"] == "ada@analytical.example"  # the golden record's value, from a loser
    assert [t["name"] for t in kept["Tag"]] == ["fair-2026"]
    notes = api.get(f"/crm/v8/Contacts/{master}/Notes").json()["data"]
    assert [n["Note_Content"] for n in notes] == ["met at the fair"]
    assert [t["Subject"] for t in api.get(f"/crm/v8/Contacts/{master}/Tasks").json()["data"]] == ["send the deck"]
    deal = api.get(f"/crm/v8/Deals/{duplicates['deal']}").json()["data"][0]
    assert deal["Contact_Name"]["id"] == master
    assert not _alive(api, "Contacts", second)
    assert not _alive(api, "Contacts", third)
    binned = {item["id"] for item in api.get("/crm/v8/Contacts/deleted", params={"type": "recycle"}).json()["data"]}
    assert {second, third} <= binned
    with rig.engine.connect() as connection:
        person = connection.execute(select(golden_people).where(golden_people.c.id == "gp_ada")).mappings().one()
        assert (person["crm_module"], person["crm_id"]) == ("Contacts", master)
        mirrored = {row.crm_id for row in connection.execute(select(crm_records.c.crm_id))}
        assert mirrored == {master}
        synced = connection.execute(select(sync_records).where(sync_records.c.golden_id == "gp_ada")).mappings().one()
        assert (synced["remote_id"], synced["payload_hash"]) == (master, None)  # the next sync writes it anew
        run = connection.execute(select(runs).where(runs.c.id == result.run_id)).mappings().one()
        assert run["status"] == "succeeded"
        assert run["counters"]["Contacts merged"] == 2

    again = _dedupe(rig, apply=True)  # nothing left to merge
    assert again.plan.merges == []
    assert again.report is not None
    assert again.report.calls == 0
    assert _merged(backend, "Contacts") == 2


@pytest.mark.parametrize("fault", ["drop_after_commit", "error_after_commit"])
def test_a_lost_answer_is_checked_at_zoho_and_never_merged_twice(
    rig: Rig, api: TestClient, backend: ZohoBackend, duplicates: dict[str, str], fault: str
) -> None:
    # Zoho merged, then the connection dropped or the answer was a 500 INTERNAL_ERROR.
    rig.control("POST", "faults", json={fault: 1, "path_contains": "/actions/merge"})

    first = _dedupe(rig, apply=True)

    assert first.report is not None
    assert first.report.uncertain == 1
    assert _merged(backend, "Contacts") == 2  # Zoho made the merge; its answer never came
    with rig.engine.connect() as connection:
        assert record_merges.counts(connection, target="zoho") == {"in_flight": 1}

    second = _dedupe(rig, apply=True)

    assert second.report is not None
    assert second.report.counts["merges found done (not sent again)"] == 1
    assert _merged(backend, "Contacts") == 2  # not merged twice
    with rig.engine.connect() as connection:
        assert record_merges.counts(connection, target="zoho") == {"confirmed": 1}
        person = connection.execute(select(golden_people.c.crm_id).where(golden_people.c.id == "gp_ada")).scalar_one()
        assert person == duplicates["oldest"]


def test_a_contact_is_never_merged_into_a_lead(rig: Rig, api: TestClient, backend: ZohoBackend) -> None:
    lead = _create(api, "Leads", {"Last_Name": "Hopper", "Email": "grace@navy.example", "Company": "Navy"})
    _later(rig, api)
    contact = _create(api, "Contacts", {"Last_Name": "Hopper", "Email": "grace@navy.example"})
    _golden(rig.engine, "gp_grace", [("Leads", lead), ("Contacts", contact)], email="grace@navy.example")

    result = _dedupe(rig, apply=True)

    assert [(m.action, m.module, m.master_id, m.loser_ids) for m in result.plan.merges] == [
        ("convert_into_contact", "Leads", contact, [lead])
    ]
    assert result.report is not None
    assert not result.report.failures
    assert _merged(backend, "Contacts") == 0
    assert _merged(backend, "Leads") == 0
    assert _alive(api, "Contacts", contact)
    assert backend.get_record("Leads", lead)["Converted__s"] is True
    assert backend.stats()["records"]["Contacts"] == 1  # converted into the existing Contact, none created
    with rig.engine.connect() as connection:
        person = connection.execute(select(golden_people).where(golden_people.c.id == "gp_grace")).mappings().one()
        assert (person["crm_module"], person["crm_id"]) == ("Contacts", contact)


def test_a_refused_merge_is_reported_with_zohos_code(
    rig: Rig, api: TestClient, duplicates: dict[str, str], tmp_path: Path
) -> None:
    plan_path = tmp_path / "merges.jsonl"
    _dedupe(rig, plan_file=plan_path)
    api.delete(f"/crm/v8/Contacts/{duplicates['third']}")  # gone between plan and apply

    result = _dedupe(rig, apply=True, plan_file=plan_path)

    assert result.report is not None
    codes = [code for _key, code, _message in result.report.failures]
    assert codes == ["INVALID_DATA"]
    assert result.report.counts["Contacts merged"] == 0
    assert _alive(api, "Contacts", duplicates["second"])  # a refused merge loses nothing
    with rig.engine.connect() as connection:
        run = connection.execute(select(runs).where(runs.c.id == result.run_id)).mappings().one()
        assert run["status"] == "failed"
        assert run["counters"]["failures"][0][1] == "INVALID_DATA"
        logged = sync_ledger.run_log(connection, run_id=int(result.run_id or 0), outcomes=["failed"])
        assert [(row["module"], row["action"], row["code"]) for row in logged] == [
            ("Contacts", "merge", "INVALID_DATA")
        ]

    replanned = _dedupe(rig, apply=True)  # planned from what Zoho holds now

    assert replanned.report is not None
    assert not replanned.report.failures
    assert [m.loser_ids for m in replanned.plan.merges] == [[duplicates["second"]]]
    assert not _alive(api, "Contacts", duplicates["second"])


def test_a_plan_file_that_is_not_one_is_refused(rig: Rig, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "plan", "counts": {}}\n')
    with pytest.raises(InputError, match="not a merge plan header"):
        _dedupe(rig, apply=True, plan_file=bad)


def test_a_lead_leadflow_wrote_is_left_to_the_syncs_lead_to_contact_conversion(
    rig: Rig, api: TestClient, backend: ZohoBackend
) -> None:
    lead = _create(api, "Leads", {"Last_Name": "Hopper", "Email": "grace@navy.example", "Company": "Navy"})
    contact = _create(api, "Contacts", {"Last_Name": "Hopper", "Email": "grace@navy.example"})
    _golden(rig.engine, "gp_grace", [("Contacts", contact), ("Leads", lead)], email="grace@navy.example")
    with rig.engine.begin() as connection:  # week 1's sync created the Lead
        connection.execute(
            insert(sync_records).values(
                target="zoho", golden_id="gp_grace", kind="person", module="Leads", remote_id=lead,
                payload={}, payload_hash="h", version=1, synced_at=utcnow(),
            )
        )  # fmt: skip

    result = _dedupe(rig, apply=True)

    assert result.plan.merges == []
    assert [line.split(":")[0] for line in result.plan.left] == ["gp_grace"]
    assert "lead_matched_to_contact" in result.plan.left[0]
    assert not backend.get_record("Leads", lead).get("Converted__s")
