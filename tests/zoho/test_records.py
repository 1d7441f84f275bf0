"""Record resources against the emulator: every method, per-record results, paging past 2,000, search."""

from __future__ import annotations

from datetime import timedelta

from leadflow.zoho import Criteria, ZohoClient
from tests.zoho.conftest import Rig


def people(n: int, start: int = 0) -> list[dict[str, object]]:
    return [
        {"Last_Name": f"Person{i}", "First_Name": "Ada", "Email": f"p{i}@example.com", "Company": f"Co {i}"}
        for i in range(start, start + n)
    ]


def test_insert_get_update_delete(zoho: ZohoClient, rig: Rig) -> None:
    results = zoho.leads.insert([*people(2), {"First_Name": "no last name"}])
    assert [r.ok for r in results] == [True, True, False]
    assert [r.index for r in results] == [0, 1, 2]
    assert results[0].action == "insert"
    assert results[2].code == "MANDATORY_NOT_FOUND"
    assert results[2].details["api_name"] == "Last_Name"
    lead_id = results[0].id
    assert lead_id is not None
    record = zoho.leads.get(lead_id)
    assert record is not None
    assert record["Email"] == "p0@example.com"
    updated = zoho.leads.update([{"id": lead_id, "Lead_Status": "Contacted"}])
    assert updated[0].ok
    assert updated[0].action == "update"
    assert zoho.leads.get(lead_id, fields=["Lead_Status"])["Lead_Status"] == "Contacted"  # type: ignore[index]
    deleted = zoho.leads.delete([lead_id, "1234567890123456789"])
    assert deleted[0].ok
    assert deleted[0].action == "delete"
    assert not deleted[1].ok
    assert zoho.leads.get(lead_id) is None
    assert lead_id in [d["id"] for d in zoho.leads.deleted()]
    assert rig.state()["records"]["Leads"] == 1


def test_writes_are_chunked_by_100_with_indexes_preserved(zoho: ZohoClient, rig: Rig) -> None:
    rows = [{k: v for k, v in row.items() if k != "Company"} for row in people(250)]
    rows[170]["Email"] = "not an email"
    results = zoho.contacts.insert(rows)
    assert len(results) == 250
    assert [r.index for r in results] == list(range(250))
    assert not results[170].ok
    assert results[170].details["api_name"] == "Email"
    assert sum(r.ok for r in results) == 249
    assert zoho.api.transport.stats.by_label["POST Contacts"] == 3
    assert rig.state()["records"]["Contacts"] == 249


def test_upsert_inserts_then_updates_by_duplicate_check_field(zoho: ZohoClient) -> None:
    first = zoho.leads.upsert(people(3), duplicate_check_fields=["Email"])
    assert [r.action for r in first] == ["insert"] * 3
    again = zoho.leads.upsert([{**people(1)[0], "Company": "Renamed"}, *people(1, start=10)])
    assert [r.action for r in again] == ["update", "insert"]
    assert again[0].duplicate_field == "Email"
    assert again[0].id == first[0].id
    assert zoho.leads.get(first[0].id or "")["Company"] == "Renamed"  # type: ignore[index]


def test_iter_pages_with_page_then_page_token_and_modified_since(zoho: ZohoClient, rig: Rig) -> None:
    for start in range(0, 2_300, 100):
        rig.backend.insert("Leads", people(100, start))
    seen = [r["Email"] for r in zoho.leads.iter(["Email", "Last_Name"], per_page=200)]
    assert len(seen) == 2_300
    assert len(set(seen)) == 2_300
    assert zoho.api.transport.stats.by_label["GET Leads"] == 12  # 10 pages by number, then 2 by token
    rig.control("POST", "clock", json={"advance_seconds": 600})
    since = rig.backend.clock.now() - timedelta(seconds=1)
    some = [r["id"] for r in zoho.leads.iter(["Email"], per_page=5)][:7]
    zoho.leads.update([{"id": i, "Lead_Status": "Contacted"} for i in some])
    changed = [r["id"] for r in zoho.leads.iter(["Email"], modified_since=since)]
    assert sorted(changed) == sorted(some)


def test_search_by_criteria_email_phone_word(zoho: ZohoClient) -> None:
    inserted = zoho.accounts.insert(
        [
            {"Account_Name": "Acme (UK), Ltd", "Phone": "+44 20 7946 0000", "Industry": "Technology"},
            {"Account_Name": "Acme Inc", "Phone": "+1 555 0100"},
            {"Account_Name": "Globex"},
        ]
    )
    assert all(r.ok for r in inserted), inserted
    exact = list(zoho.accounts.search(Criteria.field("Account_Name").equals("Acme (UK), Ltd")))
    assert [r["Account_Name"] for r in exact] == ["Acme (UK), Ltd"]
    starts = list(zoho.accounts.search(Criteria.field("Account_Name").starts_with("Acme")))
    assert len(starts) == 2
    either = Criteria.field("Account_Name").equals("Globex") | Criteria.field("Account_Name").equals("Acme Inc")
    assert len(list(zoho.accounts.search(either))) == 2
    assert list(zoho.accounts.search(Criteria.field("Account_Name").equals("Nobody"))) == []
    zoho.contacts.insert([{"Last_Name": "Lovelace", "Email": "ada@example.com", "Phone": "+44 20 7946 0001"}])
    assert [r["Last_Name"] for r in zoho.contacts.search(email="ada@example.com")] == ["Lovelace"]
    assert len(list(zoho.contacts.search(phone="+44 20 7946 0001"))) == 1
    assert len(list(zoho.contacts.search(word="Lovelace"))) == 1


def test_custom_modules_and_activity_modules(zoho: ZohoClient, rig: Rig) -> None:
    rig.control("POST", "modules", json={"api_name": "Projects"})
    custom = zoho.module("Projects")
    result = custom.insert([{"Name": "Pilot"}])
    assert result[0].ok, result
    assert custom.get(result[0].id or "")["Name"] == "Pilot"  # type: ignore[index]
    lead = zoho.leads.insert(people(1))[0]
    task = zoho.tasks.insert([{"Subject": "Call back", "What_Id": {"id": lead.id}, "$se_module": "Leads"}])
    assert task[0].ok, task
    note = zoho.notes.insert([{"Note_Content": "met at expo", "Parent_Id": {"id": lead.id}, "$se_module": "Leads"}])
    assert note[0].ok, note
    account = zoho.accounts.insert([{"Account_Name": "Initech"}])[0]
    deal = zoho.deals.insert(
        [{"Deal_Name": "Initech pilot", "Stage": "Qualification", "Account_Name": {"id": account.id}}]
    )
    assert deal[0].ok, deal
    for resource in (zoho.calls, zoho.events):
        assert list(resource.iter(["id"])) == []


def test_lead_convert(zoho: ZohoClient, rig: Rig) -> None:
    lead = zoho.leads.insert(people(1))[0]
    converted = zoho.leads.convert(lead.id or "", deal={"Deal_Name": "First deal", "Stage": "Qualification"})
    assert converted.contact_id
    assert converted.account_id
    assert converted.deal_id
    assert zoho.contacts.get(converted.contact_id)["Email"] == "p0@example.com"  # type: ignore[index]
    assert rig.state()["records"]["Deals"] == 1


def test_update_if_unmodified_since_refuses_records_changed_meanwhile(zoho: ZohoClient, rig: Rig) -> None:
    ids = [r.id or "" for r in zoho.leads.insert(people(2))]
    seen_at = rig.backend.clock.now()
    rig.control("POST", "clock", json={"advance_seconds": 60})
    zoho.leads.update([{"id": ids[0], "Lead_Status": "Contacted"}])  # someone else, after we read
    results = zoho.leads.update(
        [{"id": ids[0], "Lead_Status": "Lost Lead"}, {"id": ids[1], "Lead_Status": "Lost Lead"}],
        if_unmodified_since=seen_at,
    )
    assert [r.code for r in results] == ["ALREADY_MODIFIED", "SUCCESS"]
    assert zoho.leads.get(ids[0])["Lead_Status"] == "Contacted"  # type: ignore[index]
