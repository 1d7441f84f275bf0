"""A Lead leadflow created in week 1, the person matched to an existing Contact in week 2: converted into that
Contact in Zoho (or merged, or reported, by ``[sync.zoho] lead_matched_to_contact``), exactly once, against the
Zoho emulator (issue 18)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from leadflow import pipeline
from leadflow.config import Settings
from leadflow.config.sync import SyncSettings, ZohoSyncSettings
from leadflow.sampledata.formats import APOLLO_2025_HEADER
from leadflow.store import lead_conversions, open_store
from leadflow.store.lead_conversions import ConversionState, LeadMatch
from leadflow.sync.runner import SyncReport
from leadflow.zoho.client import ZohoClient
from tests.pipeline.test_resolve_stage import apollo, write_csv
from tests.sync.emulator import Emulator, settings_for

ACCOUNT_ID = "4876876000000002001"
CONTACT_ID = "4876876000000002002"
SLUG = {"Person Linkedin Url": "http://www.linkedin.com/in/ava-hernandez"}
SEED = [
    {"module": "Accounts", "record": {"id": ACCOUNT_ID, "Account_Name": "Nova Labs", "Website": "https://novalabs.co"}},
    {"module": "Contacts", "record": {"id": CONTACT_ID, "First_Name": "Ava", "Last_Name": "Hernandez",
                                      "Email": "ava@novalabs.co", "Title": "CTO",
                                      "Account_Name": {"name": "Nova Labs", "id": ACCOUNT_ID},
                                      "Modified_Time": "2025-06-01T09:00:00+00:00"}},
]  # fmt: skip


@pytest.fixture
def zoho() -> Iterator[Emulator]:
    running = Emulator()
    assert running.http.post("/_emulator/seed", content="\n".join(json.dumps(s) for s in SEED)).status_code == 200
    yield running
    running.stop()


def week_one(folder: Path) -> Path:
    """Ava at her new employer, nothing Zoho holds: sync creates a Lead."""
    row = {**apollo("Ava", "Hernandez", "ava.hernandez@firstbio.io", "VP Engineering", **SLUG),
           "Company Name": "First Bio", "Website": "https://firstbio.io"}  # fmt: skip
    return write_csv(folder / "week1.csv", APOLLO_2025_HEADER, [row])


def week_two(folder: Path) -> Path:
    """Her LinkedIn (week 1's row) with the Contact's address: the evidence that she is that Contact."""
    row = {**apollo("Ava", "Hernandez", "ava@novalabs.co", "CTO", **SLUG),
           "Company Name": "Nova Labs", "Website": "https://novalabs.co"}  # fmt: skip
    return write_csv(folder / "week2.csv", APOLLO_2025_HEADER, [row])


def _settings(zoho: Emulator, tmp_path: Path, action: str = "convert") -> Settings:
    base = settings_for(zoho, f"sqlite:///{tmp_path / 'lf.db'}")
    return base.model_copy(
        update={"sync": SyncSettings(zoho=ZohoSyncSettings(lead_matched_to_contact=action))}  # type: ignore[arg-type]
    )


def _people(settings: Settings, engine: sa.Engine) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Zoho's live (not converted) Leads and its Contacts."""
    with ZohoClient.from_settings(settings, engine) as client:

        def fields(module: str, *wanted: str) -> list[str]:  # Leadflow_ID exists once the sync wrote the module
            have = {str(f["api_name"]) for f in client.metadata.fields(module)}
            return [name for name in ("Email", "Last_Name", "Leadflow_ID", *wanted) if name in have]

        leads = list(client.leads.iter(fields("Leads", "Designation"), converted=False))
        return leads, list(client.contacts.iter(fields("Contacts", "Title")))


def _converted(zoho: Emulator) -> int:
    return int(zoho.state()["operations"].get("Leads", {}).get("converted", 0))


def _week_one(zoho: Emulator, tmp_path: Path, settings: Settings) -> tuple[sa.Engine, str]:
    engine = open_store(settings.database_url)
    first = pipeline.run(settings, engine, files=[week_one(tmp_path)])
    assert first.sync is not None
    assert first.sync.counts["Leads created"] == 1
    leads, _ = _people(settings, engine)
    (lead,) = leads
    return engine, str(lead["id"])


def test_the_lead_is_converted_into_the_contact_once_and_the_person_is_one_record(
    zoho: Emulator, tmp_path: Path
) -> None:
    settings = _settings(zoho, tmp_path)
    engine, lead_id = _week_one(zoho, tmp_path, settings)

    second = pipeline.run(settings, engine, files=[week_two(tmp_path)])
    assert second.sync is not None
    assert second.sync.counts["Leads converted into their Contact"] == 1
    assert _converted(zoho) == 1
    leads, contacts = _people(settings, engine)
    assert leads == []  # the Lead is gone from the Leads list
    (contact,) = contacts
    with engine.connect() as connection:
        (golden_id,) = connection.execute(sa.text("select id from golden_people")).scalars()
        (row,) = lead_conversions.all_conversions(connection)
        synced = connection.execute(
            sa.text("select module, remote_id from sync_records where golden_id = :g"), {"g": golden_id}
        ).one()
        mirrored = connection.execute(sa.text("select count(*) from crm_records where crm_id = :i"), {"i": lead_id})
        assert mirrored.scalar_one() == 0
    assert (contact["id"], contact["Leadflow_ID"]) == (CONTACT_ID, golden_id)
    assert tuple(synced) == ("Contacts", CONTACT_ID)  # the person's link points at the Contact
    assert (row.lead_id, row.contact_id, row.golden_id) == (lead_id, CONTACT_ID, golden_id)
    assert (row.state, row.attempts, row.action) == (ConversionState.DONE, 1, "convert")

    third = pipeline.run(settings, engine)  # nothing new: no second conversion, nothing written
    assert third.sync is not None
    assert third.sync.wrote_nothing
    assert _converted(zoho) == 1
    engine.dispose()


def _week_two_with_a_fault(zoho: Emulator, tmp_path: Path, fault: str) -> tuple[Settings, sa.Engine, SyncReport]:
    """Week one synced, then week two's run with ``fault`` on the first Lead conversion."""
    settings = _settings(zoho, tmp_path)
    engine, _ = _week_one(zoho, tmp_path, settings)
    zoho.faults(**{fault: 1}, path_contains="actions/convert")
    second = pipeline.run(settings, engine, files=[week_two(tmp_path)])
    assert second.sync is not None
    return settings, engine, second.sync


def test_a_lost_answer_is_looked_up_not_resent_and_a_crash_before_the_call_sends_it_once(
    zoho: Emulator, tmp_path: Path
) -> None:
    settings, engine, second = _week_two_with_a_fault(zoho, tmp_path, "drop_after_commit")
    assert second.counts["Leads converted into their Contact (found converted after a lost answer)"] == 1
    assert zoho.faults()["dropped"] == 1
    assert _converted(zoho) == 1
    zoho.clear_faults()

    # a crash between "in flight" and the call: the next run finds the Lead not converted and sends it once
    with engine.begin() as connection:
        connection.execute(sa.text("delete from lead_conversions"))
        lead_conversions.record_matches(
            connection, [LeadMatch("gp_x", "4876876000000009999", CONTACT_ID)], action="convert", run_id=None
        )
        lead_conversions.mark(connection, lead_id="4876876000000009999", state=ConversionState.IN_FLIGHT)
    with ZohoClient.from_settings(settings, engine) as client:
        (created,) = client.leads.insert([{"Last_Name": "Crash", "Company": "Nova Labs"}])
    with engine.begin() as connection:
        connection.execute(
            sa.text("update lead_conversions set lead_id = :new"), {"new": created.id}
        )  # the Lead the crashed run was about to convert
    third = pipeline.run(settings, engine)
    assert third.sync is not None
    assert third.sync.counts["Leads converted into their Contact"] == 1
    assert _converted(zoho) == 2
    with engine.connect() as connection:
        assert {r.state for r in lead_conversions.all_conversions(connection)} == {ConversionState.DONE}
    engine.dispose()


def test_a_conversion_answered_500_is_looked_up_and_sent_once_only_when_not_done(
    zoho: Emulator, tmp_path: Path
) -> None:
    # Zoho failed before converting, answering 500
    settings, engine, second = _week_two_with_a_fault(zoho, tmp_path, "error_before_commit")
    assert second.counts["Lead conversions unanswered (checked before any resend)"] == 1
    assert _converted(zoho) == 0
    with engine.connect() as connection:
        assert [r.state for r in lead_conversions.all_conversions(connection)] == [ConversionState.IN_FLIGHT]

    zoho.faults(error_after_commit=1, path_contains="actions/convert")  # converted, then answered 500
    third = pipeline.run(settings, engine)
    assert third.sync is not None
    assert third.sync.counts["Leads converted into their Contact (found converted after a lost answer)"] == 1
    assert zoho.faults()["errors_injected"] == 2
    assert _converted(zoho) == 1

    fourth = pipeline.run(settings, engine)  # nothing left: no second conversion
    assert fourth.sync is not None
    assert _converted(zoho) == 1
    with engine.connect() as connection:
        assert [r.state for r in lead_conversions.all_conversions(connection)] == [ConversionState.DONE]
    engine.dispose()


def test_report_lists_the_pair_and_sends_nothing_merge_gives_the_contact_the_leads_values(
    zoho: Emulator, tmp_path: Path
) -> None:
    settings = _settings(zoho, tmp_path / "report", "report")
    (tmp_path / "report").mkdir()
    engine, lead_id = _week_one(zoho, tmp_path / "report", settings)
    second = pipeline.run(settings, engine, files=[week_two(tmp_path / "report")])
    assert second.sync is not None
    assert second.sync.counts["Leads matched to a Contact (reported, not converted)"] == 1
    assert _converted(zoho) == 0
    with engine.connect() as connection:
        (row,) = lead_conversions.all_conversions(connection)
    assert (row.lead_id, row.state) == (lead_id, ConversionState.REPORTED)
    again = pipeline.run(settings, engine)
    assert again.sync is not None
    assert "Leads matched to a Contact (reported, not converted)" not in again.sync.counts  # reported once
    engine.dispose()

    zoho.http.post("/_emulator/reset").raise_for_status()
    assert zoho.http.post("/_emulator/seed", content="\n".join(json.dumps(s) for s in SEED)).status_code == 200
    (tmp_path / "merge").mkdir()
    settings = _settings(zoho, tmp_path / "merge", "merge")
    engine, _ = _week_one(zoho, tmp_path / "merge", settings)
    merged = pipeline.run(settings, engine, files=[week_two(tmp_path / "merge")])
    assert merged.sync is not None
    assert merged.sync.counts["Leads merged into their Contact"] == 1
    leads, (contact,) = _people(settings, engine)
    assert leads == []
    assert contact["Title"] == "VP Engineering"  # the Lead's Designation, written over the Contact's "CTO"
    engine.dispose()
