"""The runner with the real Zoho client against the real emulator (its own process)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from leadflow.config import Settings
from leadflow.pipeline.sync import plan_sync, zoho_sync
from leadflow.store import open_store, runs, sync_ledger, sync_outbox
from leadflow.store.sync_outbox import OutboxState
from leadflow.sync.mapping import comparable
from leadflow.sync.planfile import read_plan, write_plan
from leadflow.sync.runner import SyncReport
from leadflow.zoho.client import ZohoClient
from tests.sync import golden
from tests.sync.emulator import Emulator, settings_for


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    running = Emulator()
    yield running
    running.stop()


@pytest.fixture
def zoho(emulator: Emulator) -> Emulator:
    emulator.http.post("/_emulator/reset")
    return emulator


def _sync(settings: Settings, engine: sa.Engine, **kwargs: Any) -> SyncReport:
    with zoho_sync(settings, engine) as runner:
        return runner.run(**kwargs)


def remote(settings: Settings, engine: sa.Engine, module: str, fields: list[str]) -> dict[str, dict[str, Any]]:
    """The module's records in the emulator, by Leadflow_ID."""
    with ZohoClient.from_settings(settings, engine) as client:
        records = list(client.module(module).iter(["Leadflow_ID", *fields]))
    by_id: dict[str, dict[str, Any]] = {}
    for record in records:
        assert record["Leadflow_ID"] not in by_id, f"two {module} records for {record['Leadflow_ID']}"
        by_id[record["Leadflow_ID"]] = record
    return by_id


def assert_matches_plan(
    settings: Settings, engine: sa.Engine, expected: dict[str, dict[str, Any]], module: str
) -> None:
    fields = sorted({name for values in expected.values() for name in values if name != "Leadflow_ID"})
    found = remote(settings, engine, module, fields)
    assert set(found) == set(expected)
    for golden_id, values in expected.items():
        for name, value in values.items():
            if isinstance(value, dict):
                continue
            assert comparable(found[golden_id].get(name)) == comparable(value), (golden_id, name)


def test_first_sync_creates_everything_and_a_second_makes_no_call(zoho: Emulator, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    engine = open_store(url)
    golden.populate(engine, 250, companies=30)
    settings = settings_for(zoho, url)
    desired = {op.golden_id: op.desired for op in plan_sync(settings, engine).operations if op.kind == "person"}
    tags = {op.golden_id: op.desired["tags"] for op in plan_sync(settings, engine).operations if op.kind == "tags"}

    first = _sync(settings, engine)
    assert first.counts["Leads created"] == 250
    assert first.counts["Accounts created"] == 30
    assert first.counts["Leads tags added"] == 250
    state = zoho.state()
    assert state["records"]["Leads"] == 250
    assert state["operations"]["Leads"]["created"] == 250
    assert_matches_plan(settings, engine, desired, "Leads")
    leads = remote(settings, engine, "Leads", ["Tag"])
    assert {gid: sorted(t["name"] for t in (r.get("Tag") or [])) for gid, r in leads.items()} == tags

    some_id = next(iter(desired))
    with engine.connect() as connection:
        history = sync_ledger.record_history(connection, target="zoho", golden_id=some_id)
    (entry,) = [e for e in history if e["action"] != "tags"]
    assert entry["outcome"] == "created"
    assert entry["response"]["action"] == "insert"
    assert entry["response"]["id"] == entry["remote_id"]
    assert entry["payload_hash"]

    credits_before = zoho.state()["credits"]["used"]
    second = _sync(settings, engine)
    assert second.calls == 0
    assert second.wrote_nothing
    assert zoho.state()["credits"]["used"] == credits_before
    assert plan_sync(settings, engine).operations == []


def test_changes_update_only_what_changed_and_tags_follow(zoho: Emulator, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    engine = open_store(url)
    ids = golden.populate(engine, 20, companies=4)
    settings = settings_for(zoho, url)
    _sync(settings, engine)
    with engine.begin() as connection:
        golden.update_person(connection, ids[0], city="Hamburg")
        golden.set_score(connection, ids[1], fit=99.0, persona_influence=10.0, grade="A1", priority=True, summary="x")
        golden.set_tags(connection, ids[2], ["lf-hot", "lf-nurture"])
    planned = plan_sync(settings, engine).counts()
    report = _sync(settings, engine)
    assert report.counts["Leads updated"] == 2
    # The plan and the sync count the same thing: tags added to (and removed from) records.
    for name in ("Leads tags added", "Leads tags removed"):
        assert report.counts[name] == planned.get(name, 0)
    assert report.counts["Leads tags added"] + report.counts["Leads tags removed"] >= 2
    assert zoho.state()["operations"]["Leads"].get("updated") == 2
    leads = remote(settings, engine, "Leads", ["City", "Leadflow_Fit", "Leadflow_Grade", "Tag"])
    assert leads[ids[0]]["City"] == "Hamburg"
    assert leads[ids[1]]["Leadflow_Fit"] == 99.0
    assert sorted(t["name"] for t in leads[ids[2]]["Tag"]) == ["lf-hot", "lf-nurture"]
    with engine.begin() as connection:
        golden.set_tags(connection, ids[2], ["lf-nurture"])
    _sync(settings, engine)
    leads = remote(settings, engine, "Leads", ["Tag"])
    assert [t["name"] for t in leads[ids[2]]["Tag"]] == ["lf-nurture"]


def test_contacts_look_up_their_account(zoho: Emulator, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    engine = open_store(url)
    golden.populate(engine, 12, companies=3)
    settings = settings_for(zoho, url, new_people_module="Contacts")
    report = _sync(settings, engine)
    assert report.counts["Contacts created"] == 12
    with engine.connect() as connection:
        accounts = {
            r["golden_id"]: r["remote_id"] for r in sync_ledger.iter_sync_map(connection) if r["module"] == "Accounts"
        }
        people = {r["id"]: r["company_id"] for r in golden.rows(connection, "golden_people")}
    contacts = remote(settings, engine, "Contacts", ["Account_Name"])
    for golden_id, record in contacts.items():
        assert record["Account_Name"]["id"] == accounts[people[golden_id]]


def test_a_plan_file_is_applied_exactly_and_dry_run_writes_nothing(zoho: Emulator, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    engine = open_store(url)
    ids = golden.populate(engine, 10, companies=2)
    settings = settings_for(zoho, url)
    dry = _sync(settings, engine, dry_run=True)
    assert dry.dry_run
    assert zoho.state()["credits"]["used"] == 0
    path = tmp_path / "plan.jsonl"
    write_plan(plan_sync(settings, engine), path)
    with engine.begin() as connection:
        golden.update_person(connection, ids[0], last_name="Changed After Planning")
    report = _sync(settings, engine, plan=read_plan(path))
    assert report.counts["Leads created"] == 10
    leads = remote(settings, engine, "Leads", ["Last_Name"])
    assert leads[ids[0]]["Last_Name"] != "Changed After Planning"  # exactly the plan, not the newer state
    follow_up = plan_sync(settings, engine)
    assert [(op.golden_id, op.action) for op in follow_up.operations] == [(ids[0], "update")]


def test_refused_records_fail_with_zohos_answer_and_retry_when_asked(zoho: Emulator, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    engine = open_store(url)
    ids = golden.populate(engine, 5, companies=1)
    with engine.begin() as connection:
        golden.update_person(connection, ids[0], email="not an email")
    settings = settings_for(zoho, url)
    report = _sync(settings, engine)
    assert report.counts["Leads failed"] == 1
    assert report.counts["Leads created"] == 4
    with engine.connect() as connection:
        failed = sync_outbox.page(connection, target="zoho", states=[OutboxState.FAILED])
    assert [(op.golden_id, op.error_code) for op in failed] == [(ids[0], "INVALID_DATA")]
    assert (failed[0].error_details or {})["api_name"] == "Email"
    again = _sync(settings, engine)
    assert again.calls == 0  # a refused record waits for a change or --retry-failed
    assert again.counts["failed earlier, not retried"] == 1
    forced = _sync(settings, engine, retry_failed=True)
    assert forced.counts["Leads failed"] == 1
    with engine.begin() as connection:
        golden.update_person(connection, ids[0], email="fixed@example.com")
    fixed = _sync(settings, engine)
    assert fixed.counts["Leads created"] == 1
    assert zoho.state()["records"]["Leads"] == 5


@pytest.mark.parametrize(
    ("fault", "counter"), [("drop_after_commit", "dropped"), ("error_after_commit", "errors_injected")]
)
def test_a_lost_response_is_reconciled_not_resent(zoho: Emulator, tmp_path: Path, fault: str, counter: str) -> None:
    # The upsert is applied, then its answer is lost (connection dropped) or is a 500 INTERNAL_ERROR.
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    engine = open_store(url)
    golden.populate(engine, 150, companies=1, seed=3)
    settings = settings_for(zoho, url, sync_accounts=False)
    zoho.faults(**{fault: 1}, path_contains="/Leads/upsert")
    report = _sync(settings, engine)
    assert zoho.state()["faults"][counter] == 1
    assert report.counts["reconciled after an unanswered write"] == 100
    assert report.counts["confirmed by look-up"] == 100
    assert report.counts["Leads created"] == 150
    state = zoho.state()
    assert state["records"]["Leads"] == 150
    assert state["operations"]["Leads"]["created"] == 150
    assert "updated" not in state["operations"]["Leads"]  # confirmed by look-up, not written again


def test_an_upsert_refused_with_500_is_looked_up_then_sent_again(zoho: Emulator, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    engine = open_store(url)
    golden.populate(engine, 150, companies=1, seed=3)
    settings = settings_for(zoho, url, sync_accounts=False)
    zoho.faults(error_before_commit=1, path_contains="/Leads/upsert")
    report = _sync(settings, engine)
    assert zoho.state()["faults"]["errors_injected"] == 1
    assert report.counts["reconciled after an unanswered write"] == 100
    assert report.counts["confirmed by look-up"] == 0  # not there: sent again in the same run
    assert report.counts["Leads created"] == 150
    state = zoho.state()
    assert state["records"]["Leads"] == 150
    assert state["operations"]["Leads"]["created"] == 150


def test_the_credit_budget_stops_cleanly_and_the_next_run_resumes(zoho: Emulator, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    engine = open_store(url)
    golden.populate(engine, 500, companies=1)
    tight = settings_for(zoho, url, credit_reserve=0, sync_accounts=False)
    tight.zoho.daily_credit_budget = 35
    report = _sync(tight, engine)
    assert report.stopped is not None
    assert "credit budget" in report.stopped
    assert report.credits <= 35
    with engine.connect() as connection:
        counts = sync_ledger.outbox_counts(connection, target="zoho")
    assert counts.get("in_flight", 0) == 0
    assert counts["pending"] > 0
    roomy = settings_for(zoho, url, sync_accounts=False)
    resumed = _sync(roomy, engine)
    assert resumed.stopped is None
    assert zoho.state()["records"]["Leads"] == 500
    assert plan_sync(roomy, engine).operations == []


def test_bulk_write_when_it_is_cheaper(zoho: Emulator, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    engine = open_store(url)
    golden.populate(engine, 300, companies=1)
    settings = settings_for(zoho, url, write_method="bulk", sync_accounts=False)
    report = _sync(settings, engine)
    assert report.methods == {"Leads upsert": "bulk write"}
    assert report.counts["Leads created"] == 300
    assert plan_sync(settings, engine).operations == []
    assert zoho.state()["records"]["Leads"] == 300


def test_a_batch_zoho_refuses_for_good_fails_with_its_code_and_is_not_resent(zoho: Emulator, tmp_path: Path) -> None:
    """Regression: a request-level 400 (not per record) used to be taken for a lost answer: looked up, left
    pending, the run reported succeeded, and the same batch sent again on every run."""
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    engine = open_store(url)
    golden.populate(engine, 30, companies=1)
    # Zoho refuses the whole upsert: a duplicate-check field the module does not have (INVALID_DATA, HTTP 400).
    settings = settings_for(zoho, url, sync_accounts=False, duplicate_check_fields={"Leads": ["No_Such_Field"]})
    report = _sync(settings, engine)
    assert report.counts["Leads failed"] == 30
    assert "reconciled after an unanswered write" not in report.counts
    with engine.connect() as connection:
        failed = sync_outbox.page(connection, target="zoho", states=[OutboxState.FAILED])
        (run,) = runs.list_runs(connection, kind="sync", limit=1)
    assert len(failed) == 30
    assert {row.error_code for row in failed} == {"INVALID_DATA"}
    assert all(row.error_message for row in failed)
    assert (failed[0].error_details or {}).get("api_name") == "No_Such_Field"
    assert run["counters"]["Leads failed"] == 30
    upserts = zoho.state()["credits"]["used"]
    again = _sync(settings, engine)
    assert again.counts["failed earlier, not retried"] == 30
    assert again.calls == 0
    assert zoho.state()["credits"]["used"] == upserts


def test_zoho_duplicate_check_updates_what_it_holds_and_a_contacts_email_is_not_made_a_lead(
    zoho: Emulator, tmp_path: Path
) -> None:
    """With a stale (here: never loaded) mirror, a person Zoho already holds as a Lead is matched by Email
    and updated, not created twice; one whose e-mail a Contact holds is reported, not created."""
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    engine = open_store(url)
    ids = golden.populate(engine, 12, companies=1)
    with engine.connect() as connection:
        emails = {row["id"]: row["email"] for row in golden.rows(connection, "golden_people")}
    seed = [
        {"module": "Leads", "record": {"Last_Name": "Held", "Email": emails[ids[0]]}},
        {"module": "Contacts", "record": {"Last_Name": "Customer", "Email": emails[ids[1]]}},
    ]
    zoho.http.post("/_emulator/seed", content="\n".join(json.dumps(item) for item in seed))
    settings = settings_for(zoho, url, sync_accounts=False)
    report = _sync(settings, engine)
    assert report.counts["Leads created"] == 10
    assert report.counts["Leads updated"] == 1
    assert report.counts["Leads not created: held in Contacts"] == 1
    state = zoho.state()
    assert state["records"]["Leads"] == 11  # the held Lead updated, no second one; no Lead for the Contact
    leads = remote(settings, engine, "Leads", ["Email", "Last_Name"])
    assert leads[ids[0]]["Email"] == emails[ids[0]]
    assert ids[1] not in leads
    with engine.connect() as connection:
        (refused,) = sync_outbox.page(connection, target="zoho", states=[OutboxState.FAILED])
    assert refused.golden_id == ids[1]
    assert refused.error_code == "DUPLICATE_ELSEWHERE"
    assert "Contacts" in (refused.error_message or "")
