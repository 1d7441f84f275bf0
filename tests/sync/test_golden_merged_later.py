"""Golden records merged later, end to end against both emulators (each its own process): two files a week
apart, the second proves that two people synced in week 1 are one. After week 2's sync one Zoho record and one
GHL contact hold that person, and what hung off the other (notes, tasks, deals / opportunities, tags) moved."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from leadflow.config import Settings
from leadflow.ghl import GhlClient
from leadflow.pipeline.emulator import EmulatorProcess
from leadflow.pipeline.run import run
from leadflow.sources.formats import APOLLO_2025_COLUMNS
from leadflow.store import open_store, record_merges
from leadflow.store.sync_source import count_orphaned
from leadflow.zoho.client import ZohoClient
from tests.sync.emulator import Emulator, settings_for

PIPELINE = {"id": "pipe-merge-0001", "name": "Sales", "stages": [{"id": "stage-new", "name": "New"}]}
COMMON = {"Country": "United Kingdom", "City": "London", "Email Status": "Verified"}
ADA_AT_WORK = {
    "First Name": "Ada", "Last Name": "Lovelace", "Title": "CTO", "Company Name": "Analytical Engines",
    "Email": "ada@analytical.example", "Website": "analytical.example", "Apollo Contact Id": "a0000000000000000000001",
}  # fmt: skip
ADA_ON_LINKEDIN = {
    "First Name": "Ada", "Last Name": "Lovelace", "Title": "Founder", "Company Name": "Babbage Labs",
    "Email": "ada.l@babbagelabs.example", "Website": "babbagelabs.example",
    "Person Linkedin Url": "http://www.linkedin.com/in/ada-lovelace-1815",
    "Apollo Contact Id": "a0000000000000000000002",
}  # fmt: skip
OTHERS = [
    {"First Name": "Grace", "Last Name": "Hopper", "Title": "Admiral", "Company Name": "Navy Systems",
     "Email": "grace@navysystems.example", "Website": "navysystems.example",
     "Apollo Contact Id": "a0000000000000000000003"},
    {"First Name": "Alan", "Last Name": "Turing", "Title": "Researcher", "Company Name": "Bletchley Works",
     "Email": "alan@bletchley.example", "Website": "bletchley.example", "Apollo Contact Id": "a0000000000000000000004"},
]  # fmt: skip
# week 2: Ada's work address and her LinkedIn profile on one row: the two golden people of week 1 are one
ADA_BOTH = {
    **ADA_AT_WORK, "Person Linkedin Url": ADA_ON_LINKEDIN["Person Linkedin Url"],
    "Apollo Contact Id": "a0000000000000000000005",
}  # fmt: skip


def _export(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(APOLLO_2025_COLUMNS), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({**COMMON, **row})
    return path


@pytest.fixture
def emulators(tmp_path: Path) -> Iterator[tuple[Emulator, EmulatorProcess]]:
    zoho = Emulator(db=tmp_path / "zoho.db")
    ghl = EmulatorProcess(tmp_path / "ghl.db", kind="ghl")
    try:
        ghl.http.post("/_emulator/seed", json=[{"kind": "pipeline", "record": PIPELINE}]).raise_for_status()
        yield zoho, ghl
    finally:
        zoho.stop()
        ghl.stop()


def _ada_leads(zoho: ZohoClient) -> list[dict[str, Any]]:
    return [
        r for r in zoho.leads.iter(fields=["Last_Name", "Email", "Leadflow_ID"]) if r.get("Last_Name") == "Lovelace"
    ]


def _ada_contacts(ghl: GhlClient) -> list[dict[str, Any]]:
    return [c for c in ghl.contacts.list_all() if (c.get("lastName") or "").lower() == "lovelace"]


@pytest.mark.slow
def test_the_second_file_merges_the_two_records_of_one_person_at_both_targets(
    emulators: tuple[Emulator, EmulatorProcess], tmp_path: Path
) -> None:
    zoho_emulator, ghl_emulator = emulators
    url = f"sqlite:///{tmp_path / 'leadflow.db'}"
    engine = open_store(url)
    settings: Settings = ghl_emulator.ghl_settings_for(settings_for(zoho_emulator, url))
    week1 = _export(tmp_path / "week1.csv", [ADA_AT_WORK, ADA_ON_LINKEDIN, *OTHERS])
    week2 = _export(tmp_path / "week2.csv", [ADA_BOTH])

    run(settings, engine, files=[week1], targets=("zoho", "ghl"))

    with ZohoClient.from_settings(settings, engine) as zoho, GhlClient.from_settings(settings, engine) as ghl:
        leads = _ada_leads(zoho)
        assert len(leads) == 2, leads  # week 1: two people as far as anyone knows
        contacts = _ada_contacts(ghl)
        assert len(contacts) == 2, contacts
        # a sales rep works the LinkedIn one in both systems
        linked_lead = next(r for r in leads if r["Email"] == ADA_ON_LINKEDIN["Email"])["id"]
        linked_contact = next(c for c in contacts if c.get("email") == ADA_ON_LINKEDIN["Email"])["id"]
        zoho.notes.insert(
            [{"Note_Content": "asked for pricing", "Parent_Id": {"module": {"api_name": "Leads"}, "id": linked_lead}}]
        )
        zoho.tasks.insert([{"Subject": "call back", "What_Id": {"id": linked_lead}, "$se_module": "Leads"}])
        zoho.tags.add("Leads", [linked_lead], ["webinar-2026"])
        ghl.notes.create(linked_contact, "asked for pricing")
        ghl.tasks.create(linked_contact, title="call back", due_date="2026-12-14T09:00:00Z")
        ghl.opportunities.create(pipeline_id=PIPELINE["id"], contact_id=linked_contact, name="Ada: pilot")
        ghl.contacts.add_tags(linked_contact, ["webinar-2026"])

    result = run(settings, engine, files=[week2], targets=("zoho", "ghl"))

    assert result.resolve.stats["synced_people_merged"] == 1
    assert result.sync is not None
    assert result.ghl_sync is not None
    assert result.sync.counts["Leads merged"] == 1
    assert result.ghl_sync.counts["contacts merged"] == 1
    with engine.connect() as connection:
        # one Ada left; her e-mail is the one the CRM held (a CRM person's address is kept like its name)
        survivor = connection.execute(
            sa.text("select id from golden_people where first_name = :f"), {"f": ADA_AT_WORK["First Name"]}
        ).scalar_one()
        assert count_orphaned(connection, target="zoho") == 0
        assert count_orphaned(connection, target="ghl") == 0
        assert record_merges.counts(connection) == {"confirmed": 2}
    with ZohoClient.from_settings(settings, engine) as zoho, GhlClient.from_settings(settings, engine) as ghl:
        leads = _ada_leads(zoho)
        assert len(leads) == 1, leads
        lead = leads[0]["id"]
        assert leads[0]["Leadflow_ID"] == survivor
        assert [n["Note_Content"] for n in zoho.api.call("GET", zoho.api.crm_url(f"Leads/{lead}/Notes")).data()] == [
            "asked for pricing"
        ]
        tasks = zoho.api.call("GET", zoho.api.crm_url(f"Leads/{lead}/Tasks")).data()
        assert [t["Subject"] for t in tasks] == ["call back"]
        assert "webinar-2026" in [t["name"] for t in zoho.leads.get(lead, fields=["Tag"])["Tag"]]  # type: ignore[index]
        contacts = _ada_contacts(ghl)
        assert len(contacts) == 1, contacts
        contact = contacts[0]["id"]
        assert [n["body"] for n in ghl.notes.list(contact)] == ["asked for pricing"]
        assert [t["title"] for t in ghl.tasks.list(contact)] == ["call back"]
        assert [o["name"] for o in ghl.opportunities.search(contact_id=contact, status="all")] == ["Ada: pilot"]
        assert "webinar-2026" in ghl.contacts.get(contact)["tags"]

    again = run(settings, engine, targets=("zoho", "ghl"))  # nothing left: no merge, no write
    assert again.sync is not None
    assert not again.sync.counts.get("Leads merged")
    assert again.sync.wrote_nothing
