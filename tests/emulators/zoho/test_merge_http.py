"""Find and merge over HTTP (answers checked against Zoho's OAS): fields kept, related records moved,
the others in the recycle bin, and the refusals Zoho documents."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from leadflow_emulators.zoho.models import ZohoBackend


def _create(api: TestClient, module: str, row: dict[str, Any]) -> str:
    reply = api.post(f"/crm/v8/{module}", json={"data": [row]})
    assert reply.status_code == 201, reply.json()
    return str(reply.json()["data"][0]["details"]["id"])


def _merge(api: TestClient, module: str, master: str, others: list[str], keep: dict[str, str] | None = None) -> Any:
    item: dict[str, Any] = {"data": [{"id": other} for other in others]}
    if keep:
        item["master_record_fields"] = [{"api_name": name, "_data": [{"id": source}]} for name, source in keep.items()]
    return api.post(f"/crm/v8/{module}/{master}/actions/merge", json={"merge": [item]})


def test_merge_keeps_chosen_fields_moves_related_records_and_bins_the_rest(
    api: TestClient, backend: ZohoBackend
) -> None:
    account = _create(api, "Accounts", {"Account_Name": "Acme"})
    master = _create(api, "Contacts", {"Last_Name": "Ng", "Email": "old@acme.example", "Account_Name": {"id": account}})
    duplicate = _create(api, "Contacts", {"Last_Name": "Ng", "Email": "ng@acme.example", "Title": "CTO"})
    note = {"Note_Content": "met at the fair", "Parent_Id": {"module": {"api_name": "Contacts"}, "id": duplicate}}
    _create(api, "Notes", note)
    call = {
        "Subject": "c",
        "Call_Type": "Outbound",
        "Call_Start_Time": "2026-12-01T10:00:00+00:00",
        "Who_Id": {"id": duplicate},
    }
    _create(api, "Calls", call)
    deal = _create(api, "Deals", {"Deal_Name": "D", "Stage": "Qualification", "Contact_Name": {"id": duplicate}})
    api.post(f"/crm/v8/Contacts/{duplicate}/actions/add_tags", json={"tags": [{"name": "fair-2026"}]})
    credits = backend.credits.used()

    merged = _merge(api, "Contacts", master, [duplicate], keep={"Email": duplicate, "Title": duplicate})
    assert merged.status_code == 201
    assert merged.json()["merge"][0]["details"]["id"] == master
    assert backend.credits.used() - credits == 1
    kept = api.get(f"/crm/v8/Contacts/{master}").json()["data"][0]
    assert (kept["Email"], kept["Title"], kept["Account_Name"]["id"]) == ("ng@acme.example", "CTO", account)
    assert [tag["name"] for tag in kept["Tag"]] == ["fair-2026"]
    assert [n["Note_Content"] for n in api.get(f"/crm/v8/Contacts/{master}/Notes").json()["data"]] == [
        "met at the fair"
    ]
    assert len(api.get(f"/crm/v8/Contacts/{master}/Calls").json()["data"]) == 1
    assert api.get(f"/crm/v8/Deals/{deal}").json()["data"][0]["Contact_Name"]["id"] == master
    assert api.get(f"/crm/v8/Contacts/{duplicate}").status_code == 204
    assert duplicate in [item["id"] for item in api.get("/crm/v8/Contacts/deleted").json()["data"]]


def test_merge_refusals(api: TestClient) -> None:
    lead = _create(api, "Leads", {"Last_Name": "Lead"})
    contact = _create(api, "Contacts", {"Last_Name": "Contact"})
    others = [_create(api, "Leads", {"Last_Name": f"L{i}"}) for i in range(3)]

    across = _merge(api, "Leads", lead, [contact]).json()["merge"][0]
    assert (across["code"], across["details"]) == (
        "NOT_ALLOWED",
        {"api_name": "id", "json_path": "$.merge[0].data[0].id"},
    )
    too_many = _merge(api, "Leads", lead, others)
    assert too_many.status_code == 400
    assert too_many.json()["merge"][0]["code"] == "LIMIT_EXCEEDED"
    assert _merge(api, "Leads", lead, [lead]).json()["merge"][0]["code"] == "INVALID_DATA"
    assert _merge(api, "Leads", lead, ["111111111"]).json()["merge"][0]["code"] == "INVALID_DATA"
    bad_field = _merge(api, "Leads", lead, [others[0]], keep={"Nope": others[0]}).json()["merge"][0]
    assert bad_field["details"]["json_path"] == "$.merge[0].master_record_fields[0].api_name"
    assert _merge(api, "Leads", "111111111", [others[0]]).json()["code"] == "INVALID_DATA"
    assert _merge(api, "Nothing", lead, [others[0]]).json()["code"] == "INVALID_MODULE"
    assert api.get(f"/crm/v8/Leads/{others[0]}").status_code == 200  # nothing was merged by a refusal
