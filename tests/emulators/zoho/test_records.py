"""Records: writes with Zoho's per-record validation, batch statuses, reads, pagination, delete, convert."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from leadflow_emulators.zoho.models import ZohoBackend


def _post(api: TestClient, path: str, rows: list[Any], **extra: Any) -> Any:
    # The Zoho SDK sends JSON without a Content-Type header; so do these tests.
    return api.post(path, content=json.dumps({"data": rows, **extra}))


def test_insert_returns_system_fields_and_201(api: TestClient, backend: ZohoBackend) -> None:
    response = _post(api, "/crm/v8/Leads", [{"Last_Name": "Ng", "Email": "ng@acme.io"}], trigger=["workflow"])
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    [item] = response.json()["data"]
    assert item["code"] == "SUCCESS"
    assert item["status"] == "success"
    assert item["message"] == "record added"
    details = item["details"]
    assert len(details["id"]) == 19
    assert details["id"].isdigit()
    assert details["Created_By"]["id"] == "5725767000000411001"
    assert details["Created_Time"].endswith("+00:00")
    assert backend.stats()["operations"]["Leads"] == {"created": 1}


@pytest.mark.parametrize(
    ("row", "code", "details"),
    [
        ({"First_Name": "x"}, "MANDATORY_NOT_FOUND", {"api_name": "Last_Name", "json_path": "$.data[0].Last_Name"}),
        (
            {"Last_Name": "x" * 81},
            "INVALID_DATA",
            {"maximum_length": 80, "api_name": "Last_Name", "json_path": "$.data[0].Last_Name"},
        ),
        (
            {"Last_Name": "x", "No_of_Employees": "many"},
            "INVALID_DATA",
            {"expected_data_type": "integer", "api_name": "No_of_Employees", "json_path": "$.data[0].No_of_Employees"},
        ),
        (
            {"Last_Name": "x", "Annual_Revenue": [1]},
            "INVALID_DATA",
            {"expected_data_type": "currency", "api_name": "Annual_Revenue", "json_path": "$.data[0].Annual_Revenue"},
        ),
        (
            {"Last_Name": "x", "Email": "not-an-email"},
            "INVALID_DATA",
            {"expected_data_type": "email", "api_name": "Email", "json_path": "$.data[0].Email"},
        ),
        (
            {"Last_Name": "x", "Phone": "call me"},
            "INVALID_DATA",
            {"expected_data_type": "phone", "api_name": "Phone", "json_path": "$.data[0].Phone"},
        ),
        (
            {"Last_Name": "x", "Email_Opt_Out": "yes"},
            "INVALID_DATA",
            {"expected_data_type": "boolean", "api_name": "Email_Opt_Out", "json_path": "$.data[0].Email_Opt_Out"},
        ),
        (
            {"Last_Name": "x", "Not_A_Field": 1},
            "INVALID_DATA",
            {"api_name": "Not_A_Field", "json_path": "$.data[0].Not_A_Field"},
        ),
        (
            {"Last_Name": "x", "Owner": {"id": "1"}},
            "INVALID_DATA",
            {"api_name": "Owner", "json_path": "$.data[0].Owner"},
        ),
    ],
)
def test_per_record_validation(api: TestClient, row: dict[str, Any], code: str, details: dict[str, Any]) -> None:
    response = _post(api, "/crm/v8/Leads", [row])
    assert response.status_code == 400
    [item] = response.json()["data"]
    assert item == {"code": code, "details": details, "message": item["message"], "status": "error"}
    assert item["message"] in ("invalid data", "required field not found")


def test_picklist_reports_supported_values(api: TestClient) -> None:
    [item] = _post(api, "/crm/v8/Leads", [{"Last_Name": "x", "Lead_Status": "Bogus"}]).json()["data"]
    assert item["code"] == "INVALID_DATA"
    assert "Qualified" in item["details"]["supported_values"]


def test_types_dates_and_multimodule(api: TestClient, backend: ZohoBackend) -> None:
    [account] = _post(api, "/crm/v8/Accounts", [{"Account_Name": "Acme", "Employees": "12"}]).json()["data"]
    account_id = account["details"]["id"]
    deal = {
        "Deal_Name": "Big",
        "Stage": "Qualification",
        "Amount": "1000.5",
        "Closing_Date": "2026-12-31",
        "Account_Name": {"id": int(account_id)},
    }
    assert _post(api, "/crm/v8/Deals", [deal]).status_code == 201
    bad_date = _post(api, "/crm/v8/Deals", [dict(deal, Closing_Date="31/12/2026")]).json()["data"][0]
    assert bad_date["details"]["expected_data_type"] == "date"
    missing_stage = _post(api, "/crm/v8/Deals", [{"Deal_Name": "No stage"}]).json()["data"][0]
    assert missing_stage["details"]["api_name"] == "Stage"
    call = {
        "Subject": "Intro",
        "Call_Type": "Outbound",
        "Call_Start_Time": "2026-11-26T10:30:00+01:00",
        "What_Id": {"id": account_id},
        "$se_module": "Accounts",
    }
    created = _post(api, "/crm/v8/Calls", [call])
    assert created.status_code == 201
    record = api.get(f"/crm/v8/Calls/{created.json()['data'][0]['details']['id']}").json()["data"][0]
    assert record["What_Id"] == {"name": "Acme", "id": account_id}
    assert record["$se_module"] == "Accounts"
    assert record["Call_Start_Time"] == "2026-11-26T09:30:00+00:00"
    no_module = _post(api, "/crm/v8/Calls", [{k: v for k, v in call.items() if k != "$se_module"}]).json()
    assert no_module["data"][0]["code"] == "MANDATORY_NOT_FOUND"
    bad_time = _post(api, "/crm/v8/Calls", [dict(call, Call_Start_Time="2026-11-26 10:30")]).json()
    assert bad_time["data"][0]["details"]["expected_data_type"] == "datetime"


def test_lookup_resolved_and_rendered_with_name(api: TestClient) -> None:
    [account] = _post(api, "/crm/v8/Accounts", [{"Account_Name": "Initech"}]).json()["data"]
    account_id = account["details"]["id"]
    [contact] = _post(api, "/crm/v8/Contacts", [{"Last_Name": "Gibbons", "Account_Name": {"id": account_id}}]).json()[
        "data"
    ]
    record = api.get(f"/crm/v8/Contacts/{contact['details']['id']}").json()["data"][0]
    assert record["Account_Name"] == {"name": "Initech", "id": account_id}
    assert record["Owner"]["name"] == "Leadflow Admin"
    dangling = _post(api, "/crm/v8/Contacts", [{"Last_Name": "x", "Account_Name": {"id": "5725767000000000001"}}])
    assert dangling.json()["data"][0]["details"]["api_name"] == "Account_Name"


def test_batch_statuses(api: TestClient) -> None:
    mixed = _post(api, "/crm/v8/Leads", [{"Last_Name": "ok"}, {"First_Name": "bad"}])
    assert mixed.status_code == 207
    ids = [item["details"]["id"] for item in mixed.json()["data"] if item["status"] == "success"]
    updated = api.put("/crm/v8/Leads", content=json.dumps({"data": [{"id": ids[0], "City": "Oslo"}]}))
    assert updated.status_code == 200
    assert updated.json()["data"][0]["message"] == "record updated"
    failed = api.put("/crm/v8/Leads", content=json.dumps({"data": [{"id": "5725767000000000009", "City": "x"}]}))
    assert failed.status_code == 400
    assert failed.json()["data"][0]["message"] == "the id given seems to be invalid"
    no_id = api.put("/crm/v8/Leads", content=json.dumps({"data": [{"City": "x"}]})).json()["data"][0]
    assert no_id["code"] == "MANDATORY_NOT_FOUND"
    assert no_id["details"]["api_name"] == "id"


def test_request_level_errors(api: TestClient) -> None:
    too_many = _post(api, "/crm/v8/Leads", [{"Last_Name": str(n)} for n in range(101)])
    assert too_many.status_code == 400
    assert too_many.json()["code"] == "LIMIT_EXCEEDED"
    not_json = api.post("/crm/v8/Leads", content=b"{nope")
    assert not_json.json() == {"code": "INVALID_DATA", "details": {}, "message": "body", "status": "error"}
    no_data = api.post("/crm/v8/Leads", content=b"{}")
    assert no_data.json()["code"] == "MANDATORY_NOT_FOUND"
    module = api.get("/crm/v8/Widgets", params={"fields": "Name"})
    assert module.status_code == 400
    assert module.json()["code"] == "INVALID_MODULE"
    url = api.get("/crm/v8/Leads/1/2/3/4")
    assert url.headers["content-type"] == "application/json"
    assert api.patch("/crm/v8/Leads", content=b"{}").json()["code"] == "INVALID_URL_PATTERN"
    assert url.status_code == 404
    assert url.json()["code"] == "INVALID_URL_PATTERN"
    version = api.get("/crm/v99/Leads", params={"fields": "Last_Name"})
    assert version.status_code == 404


def test_update_by_path_id_and_if_unmodified_since(api: TestClient, backend: ZohoBackend) -> None:
    [lead] = _post(api, "/crm/v8/Leads", [{"Last_Name": "Ng"}]).json()["data"]
    lead_id = lead["details"]["id"]
    before = lead["details"]["Modified_Time"]
    backend.clock.advance(60)
    ok = api.put(
        f"/crm/v8/Leads/{lead_id}",
        content=json.dumps({"data": [{"City": "Paris"}]}),
        headers={"If-Unmodified-Since": before},
    )
    assert ok.status_code == 200
    stale = api.put(
        f"/crm/v8/Leads/{lead_id}",
        content=json.dumps({"data": [{"City": "Rome"}]}),
        headers={"If-Unmodified-Since": before},
    )
    assert stale.status_code == 412
    assert stale.json()["data"][0]["code"] == "ALREADY_MODIFIED"
    assert backend.get_record("Leads", lead_id)["City"] == "Paris"


def test_upsert_defaults_and_unique_fields(api: TestClient, backend: ZohoBackend) -> None:
    created = api.post(
        "/crm/v8/settings/fields",
        params={"module": "Leads"},
        content=json.dumps(
            {
                "fields": [
                    {
                        "field_label": "Leadflow ID",
                        "data_type": "text",
                        "length": 40,
                        "unique": {"casesensitive": "false"},
                    }
                ]
            }
        ),
    )
    assert created.status_code == 201
    first = _post(api, "/crm/v8/Leads/upsert", [{"Last_Name": "A", "Email": "a@x.io", "Leadflow_ID": "gp_1"}])
    assert first.status_code == 201
    assert first.json()["data"][0]["action"] == "insert"
    assert first.json()["data"][0]["duplicate_field"] is None
    by_email = _post(api, "/crm/v8/Leads/upsert", [{"Last_Name": "B", "Email": "A@X.IO"}])
    assert by_email.status_code == 200
    assert by_email.json()["data"][0]["duplicate_field"] == "Email"
    by_unique = _post(
        api, "/crm/v8/Leads/upsert", [{"Last_Name": "C", "Leadflow_ID": "gp_1"}], duplicate_check_fields=["Leadflow_ID"]
    )
    assert by_unique.json()["data"][0] | {"details": None} == {
        "code": "SUCCESS",
        "details": None,
        "message": "record updated",
        "status": "success",
        "duplicate_field": "Leadflow_ID",
        "action": "update",
    }
    assert backend.stats()["records"]["Leads"] == 1
    duplicate = _post(api, "/crm/v8/Leads", [{"Last_Name": "D", "Leadflow_ID": "GP_1"}]).json()["data"][0]
    assert duplicate["code"] == "DUPLICATE_DATA"
    assert duplicate["details"]["duplicate_record"]["id"] == first.json()["data"][0]["details"]["id"]
    assert duplicate["details"]["api_name"] == "Leadflow_ID"
    bad_field = _post(api, "/crm/v8/Leads/upsert", [{"Last_Name": "E"}], duplicate_check_fields=["Nope"])
    assert bad_field.status_code == 400
    assert bad_field.json()["code"] == "INVALID_DATA"
    mixed = _post(api, "/crm/v8/Accounts/upsert", [{"Account_Name": "Acme"}, {"Account_Name": "acme"}])
    assert [item["action"] for item in mixed.json()["data"]] == ["insert", "update"]
    assert mixed.json()["data"][1]["duplicate_field"] == "Account_Name"


def test_ids_as_numbers_and_strings(api: TestClient) -> None:
    [lead] = _post(api, "/crm/v8/Leads", [{"Last_Name": "Num"}]).json()["data"]
    lead_id = lead["details"]["id"]
    numeric = api.put("/crm/v8/Leads", content=json.dumps({"data": [{"id": int(lead_id), "City": "Lima"}]}))
    assert numeric.status_code == 200
    assert api.get(f"/crm/v8/Leads/{lead_id}").json()["data"][0]["City"] == "Lima"


def _seed_leads(backend: ZohoBackend, count: int) -> list[str]:
    ids = []
    for start in range(0, count, 100):
        results = backend.insert("Leads", [{"Last_Name": f"L{n:05d}"} for n in range(start, min(count, start + 100))])
        ids.extend(str(result.id) for result in results)
    return ids


def test_list_fields_paging_and_sorting(api: TestClient, backend: ZohoBackend) -> None:
    ids = _seed_leads(backend, 5)
    assert api.get("/crm/v8/Leads").json()["code"] == "REQUIRED_PARAM_MISSING"
    assert api.get("/crm/v2/Leads").status_code == 200  # v2 returns every field without `fields`
    many = api.get("/crm/v8/Leads", params={"fields": ",".join(["Last_Name"] * 51)})
    assert many.json()["code"] == "LIMIT_EXCEEDED"
    page = api.get("/crm/v8/Leads", params={"fields": "Last_Name", "per_page": 2, "page": 2}).json()
    assert [item["id"] for item in page["data"]] == ids[2:4]
    assert page["info"]["more_records"] is True
    assert page["info"]["count"] == 2
    desc = api.get("/crm/v8/Leads", params={"fields": "Last_Name", "sort_order": "desc", "sort_by": "id"}).json()
    assert desc["data"][0]["id"] == ids[-1]
    assert set(desc["data"][0]) == {"Last_Name", "id"}
    picked = api.get("/crm/v8/Leads", params={"fields": "Last_Name", "ids": f"{ids[1]},{ids[3]}"}).json()
    assert [item["id"] for item in picked["data"]] == [ids[1], ids[3]]
    assert api.get("/crm/v8/Leads", params={"fields": "Last_Name", "per_page": 201}).status_code == 400
    assert api.get("/crm/v8/Contacts", params={"fields": "Last_Name"}).status_code == 204
    assert api.get("/crm/v8/Contacts", params={"fields": "Last_Name"}).content == b""


def test_discrete_pagination_limit_then_page_token(api: TestClient, backend: ZohoBackend) -> None:
    ids = _seed_leads(backend, 2100)
    tenth = api.get("/crm/v8/Leads", params={"fields": "Last_Name", "page": 10}).json()
    assert tenth["info"]["more_records"] is True
    token = tenth["info"]["next_page_token"]
    eleventh = api.get("/crm/v8/Leads", params={"fields": "Last_Name", "page": 11})
    assert eleventh.status_code == 400
    assert eleventh.json()["code"] == "DISCRETE_PAGINATION_LIMIT_EXCEEDED"
    rest = api.get("/crm/v8/Leads", params={"fields": "Last_Name", "page_token": token}).json()
    assert [item["id"] for item in rest["data"]] == ids[2000:]
    assert rest["info"]["more_records"] is False
    beyond = api.get("/crm/v8/Leads", params={"fields": "Last_Name", "page_token": "eyJvIjoxMDAwMDB9"})
    assert beyond.json()["code"] == "PAGINATION_LIMIT_EXCEEDED"


def test_if_modified_since_and_converted(api: TestClient, backend: ZohoBackend) -> None:
    [old, new] = _seed_leads(backend, 2)
    since = backend.get_record("Leads", old)["Modified_Time"]
    backend.clock.advance(10)
    backend.update("Leads", [{"id": new, "City": "Kyiv"}])
    changed = api.get("/crm/v8/Leads", params={"fields": "City"}, headers={"If-Modified-Since": since}).json()
    assert [item["id"] for item in changed["data"]] == [new]
    backend.clock.advance(10)
    later = backend.get_record("Leads", new)["Modified_Time"]
    assert api.get("/crm/v8/Leads", params={"fields": "City"}, headers={"If-Modified-Since": later}).status_code == 304
    backend.convert_lead(old, {})
    visible = api.get("/crm/v8/Leads", params={"fields": "Last_Name"}).json()["data"]
    assert [item["id"] for item in visible] == [new]
    both = api.get("/crm/v8/Leads", params={"fields": "Last_Name", "converted": "both"}).json()["data"]
    assert len(both) == 2


def test_delete_to_recycle_bin(api: TestClient, backend: ZohoBackend) -> None:
    ids = _seed_leads(backend, 3)
    assert api.delete("/crm/v8/Leads").json()["code"] == "REQUIRED_PARAM_MISSING"
    response = api.delete("/crm/v8/Leads", params={"ids": f"{ids[0]},{ids[1]},5725767000000000042"})
    assert response.status_code == 207
    assert [item["status"] for item in response.json()["data"]] == ["success", "success", "error"]
    single = api.delete(f"/crm/v8/Leads/{ids[2]}")
    assert single.status_code == 200
    assert single.json()["data"][0]["message"] == "record deleted"
    assert api.get(f"/crm/v8/Leads/{ids[0]}").status_code == 204
    deleted = api.get("/crm/v8/Leads/deleted", params={"type": "recycle"}).json()
    assert {item["id"] for item in deleted["data"]} == set(ids)
    assert deleted["data"][0]["type"] == "recycle"
    assert deleted["data"][0]["deleted_by"]["id"]
    assert api.get("/crm/v8/Leads/deleted", params={"type": "permanent"}).status_code == 204
    assert backend.stats()["recycle_bin"]["Leads"] == 3


def test_convert_lead(api: TestClient, backend: ZohoBackend) -> None:
    [lead] = _post(
        api,
        "/crm/v8/Leads",
        [{"Last_Name": "Ng", "First_Name": "Ann", "Email": "ann@acme.io", "Company": "Acme", "Designation": "CTO"}],
    ).json()["data"]
    lead_id = lead["details"]["id"]
    body = {
        "data": [
            {"overwrite": True, "Deals": {"Deal_Name": "Pilot", "Stage": "Qualification", "Closing_Date": "2026-12-31"}}
        ]
    }
    credits_before = backend.credits.used()
    response = api.post(f"/crm/v8/Leads/{lead_id}/actions/convert", content=json.dumps(body))
    assert response.status_code == 200
    [item] = response.json()["data"]
    assert item["message"] == "The record has been converted successfully"
    details = item["details"]
    assert details["Accounts"]["name"] == "Acme"
    assert details["Contacts"]["name"] == "Ann Ng"
    contact = backend.get_record("Contacts", details["Contacts"]["id"])
    assert contact["Title"] == "CTO"
    assert contact["Account_Name"]["id"] == details["Accounts"]["id"]
    deal = backend.get_record("Deals", details["Deals"]["id"])
    assert deal["Contact_Name"]["id"] == details["Contacts"]["id"]
    assert backend.credits.used() - credits_before == 5
    again = api.post(f"/crm/v8/Leads/{lead_id}/actions/convert", content=json.dumps({"data": [{}]}))
    assert again.status_code == 400
    assert again.json()["code"] == "ID_ALREADY_CONVERTED"
    [second] = backend.insert("Leads", [{"Last_Name": "Two", "Company": "ACME"}])
    reused = api.post(f"/crm/v8/Leads/{second.id}/actions/convert", content=json.dumps({"data": [{}]})).json()
    assert reused["data"][0]["details"]["Accounts"]["id"] == details["Accounts"]["id"]
    assert reused["data"][0]["details"]["Deals"] is None


def test_multiselect_double_and_bigint_fields(api: TestClient, backend: ZohoBackend) -> None:
    for spec in (
        {
            "field_label": "Interests",
            "data_type": "multiselectpicklist",
            "pick_list_values": [{"display_value": "CRM"}, {"display_value": "Email"}],
        },
        {"field_label": "Fit", "data_type": "double", "length": 5},
        {"field_label": "Big Number", "data_type": "bigint"},
    ):
        backend.add_field("Leads", spec)
    ok = _post(
        api,
        "/crm/v8/Leads",
        [{"Last_Name": "a", "Interests": ["CRM", "Email"], "Fit": 87.5, "Big_Number": 9_000_000_000}],
    )
    assert ok.status_code == 201
    record = api.get(f"/crm/v8/Leads/{ok.json()['data'][0]['details']['id']}").json()["data"][0]
    assert record["Interests"] == ["CRM", "Email"]
    assert record["Fit"] == 87.5
    assert record["Big_Number"] == 9_000_000_000
    bad = _post(
        api,
        "/crm/v8/Leads",
        [
            {"Last_Name": "b", "Interests": ["Fax"]},
            {"Last_Name": "c", "Fit": "high"},
            {"Last_Name": "d", "Interests": "CRM"},
        ],
    ).json()["data"]
    assert bad[0]["details"]["supported_values"] == ["CRM", "Email"]
    assert bad[1]["details"]["expected_data_type"] == "double"
    assert bad[2]["status"] == "success"  # "a;b" strings (bulk CSV style) are accepted
