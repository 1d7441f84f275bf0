"""Related lists, activities and deal stages over HTTP, every answer checked against Zoho's OAS."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from leadflow_emulators.zoho.models import ZohoBackend
from tests.emulators.zoho.conftest import token_for


def _create(api: TestClient, module: str, row: dict[str, Any], version: str = "v8") -> str:
    reply = api.post(f"/crm/{version}/{module}", json={"data": [row]})
    assert reply.status_code == 201, reply.json()
    return str(reply.json()["data"][0]["details"]["id"])


def test_related_lists_metadata_names_each_list_module_and_href(api: TestClient) -> None:
    lists = api.get("/crm/v8/settings/related_lists", params={"module": "Contacts"}).json()["related_lists"]
    assert [(item["api_name"], item["module"]["api_name"]) for item in lists] == [
        ("Notes", "Notes"),
        ("Tasks", "Tasks"),
        ("Calls", "Calls"),
        ("Events", "Events"),
        ("Deals", "Deals"),
    ]
    assert lists[0]["href"] == "Contacts/{ENTITYID}/Notes"
    one = api.get(f"/crm/v8/settings/related_lists/{lists[4]['id']}", params={"module": "Contacts"}).json()
    assert [item["api_name"] for item in one["related_lists"]] == ["Deals"]
    assert api.get("/crm/v8/settings/related_lists").json()["code"] == "REQUIRED_PARAM_MISSING"
    assert api.get("/crm/v8/settings/related_lists", params={"module": "Nope"}).json()["code"] == "INVALID_MODULE"


def test_a_records_notes_and_activities_newest_first_with_paging(api: TestClient) -> None:
    lead = _create(api, "Leads", {"Last_Name": "Paged", "Company": "P"})
    other = _create(api, "Leads", {"Last_Name": "Other"})
    for number in range(3):
        parent = {"module": {"api_name": "Leads"}, "id": lead}
        _create(api, "Notes", {"Note_Title": f"n{number}", "Note_Content": f"text {number}", "Parent_Id": parent})
    _create(api, "Notes", {"Note_Content": "elsewhere", "Parent_Id": {"module": {"api_name": "Leads"}, "id": other}})
    first = api.get(f"/crm/v8/Leads/{lead}/Notes", params={"per_page": 2}).json()
    assert first["info"] == {"per_page": 2, "count": 2, "page": 1, "more_records": True}
    second = api.get(f"/crm/v8/Leads/{lead}/Notes", params={"per_page": 2, "page": 2}).json()
    assert len(first["data"]) + len(second["data"]) == 3
    assert {note["Note_Content"] for note in first["data"] + second["data"]} == {"text 0", "text 1", "text 2"}
    assert first["data"][0]["$size"] == str(len(first["data"][0]["Note_Content"]))
    call = {
        "Subject": "Intro",
        "Call_Type": "Inbound",
        "Call_Start_Time": "2026-12-01T09:00:00+00:00",
        "Call_Duration": "01:02:03",
        "What_Id": {"id": lead},
        "$se_module": "Leads",
    }
    _create(api, "Calls", call)
    [logged] = api.get(f"/crm/v8/Leads/{lead}/Calls", params={"fields": "Subject,Call_Duration_in_seconds"}).json()[
        "data"
    ]
    assert logged["Call_Duration_in_seconds"] == 3723
    assert api.get(f"/crm/v8/Leads/{other}/Calls").status_code == 204
    assert api.get(f"/crm/v8/Leads/{lead}/Nothing").status_code == 404
    assert api.get("/crm/v8/Leads/111111111/Notes").json()["code"] == "INVALID_DATA"


def test_v2_notes_take_parent_id_and_se_module(anon: TestClient, api: TestClient, backend: ZohoBackend) -> None:
    lead = _create(api, "Leads", {"Last_Name": "Two"})
    raw = TestClient(anon.app, base_url="http://zoho.test", headers={"Authorization": api.headers["Authorization"]})
    created = raw.post(
        "/crm/v2/Notes", json={"data": [{"Note_Content": "v2 style", "Parent_Id": lead, "se_module": "Leads"}]}
    )
    assert created.status_code == 201
    on_record = raw.post(f"/crm/v2/Leads/{lead}/Notes", json={"data": [{"Note_Content": "on the record"}]})
    assert on_record.status_code == 201
    assert raw.post(f"/crm/v8/Leads/{lead}/Notes", json={"data": [{"Note_Content": "x"}]}).status_code == 404
    assert [note["Note_Content"] for note in api.get(f"/crm/v8/Leads/{lead}/Notes").json()["data"]] == [
        "on the record",
        "v2 style",
    ]
    assert backend.stats()["records"]["Notes"] == 2


def _advance_days(api: TestClient, backend: ZohoBackend, days: int) -> None:
    backend.clock.advance(days * 86400)
    api.headers["Authorization"] = f"Zoho-oauthtoken {token_for(api)}"  # the old token expired meanwhile


def test_stage_history_keeps_each_move_with_its_time_and_duration(api: TestClient, backend: ZohoBackend) -> None:
    deal = _create(api, "Deals", {"Deal_Name": "Moves", "Stage": "Qualification", "Amount": 1000})
    _advance_days(api, backend, 3)
    api.put(f"/crm/v8/Deals/{deal}", json={"data": [{"Stage": "Proposal/Price Quote", "Amount": 2000}]})
    api.put(f"/crm/v8/Deals/{deal}", json={"data": [{"Amount": 2500}]})  # no move: no entry
    _advance_days(api, backend, 1)
    api.put(f"/crm/v8/Deals/{deal}", json={"data": [{"Stage": "Closed Lost", "Probability": 5}]})
    history = api.get(f"/crm/v8/Deals/{deal}/Stage_History").json()["data"]
    moves = sorted(history, key=lambda entry: entry["Created_Time"])
    assert [(entry["Stage"], entry["Stage_Duration"], entry["Probability"]) for entry in moves] == [
        ("Qualification", 3, 10),
        ("Proposal/Price Quote", 1, 75),
        ("Closed Lost", None, 5),
    ]
    assert moves[1]["Expected_Revenue"] == 1500.0
    stored = api.get(f"/crm/v8/Deals/{deal}").json()["data"][0]
    assert (stored["Probability"], stored["Expected_Revenue"], stored["Pipeline"]) == (5, 125.0, "Standard (Standard)")
    written = api.post("/crm/v8/Stage_History", json={"data": [{"Stage": "Closed Won"}]})
    assert (written.status_code, written.json()["code"]) == (400, "NOT_SUPPORTED")
    assert api.delete("/crm/v8/Stage_History", params={"ids": moves[0]["id"]}).json()["code"] == "NOT_SUPPORTED"


def test_stages_carry_probability_and_forecast_in_field_and_pipeline_metadata(
    api: TestClient, backend: ZohoBackend
) -> None:
    fields = api.get("/crm/v8/settings/fields", params={"module": "Deals"}).json()["fields"]
    stage = next(field for field in fields if field["api_name"] == "Stage")
    won = next(value for value in stage["pick_list_values"] if value["display_value"] == "Closed Won")
    assert (won["probability"], won["forecast_type"], won["forecast_category"]["name"]) == (100, "Closed Won", "Closed")
    layout = api.get("/crm/v8/settings/layouts", params={"module": "Deals"}).json()["layouts"][0]["id"]
    [pipeline] = api.get("/crm/v8/settings/pipeline", params={"layout_id": layout}).json()["pipeline"]
    assert pipeline["default"] is True
    assert [stage["forecast_type"] for stage in pipeline["maps"]][-3:] == ["Closed Won", "Closed Lost", "Closed Lost"]
    assert api.get("/crm/v8/settings/pipeline").json()["code"] == "REQUIRED_PARAM_MISSING"
    assert api.get("/crm/v8/settings/pipeline", params={"layout_id": "1"}).json()["code"] == "INVALID_DATA"


def test_metadata_shapes_per_version(api: TestClient) -> None:
    raw = TestClient(api.app, base_url="http://zoho.test", headers={"Authorization": api.headers["Authorization"]})

    def field(version: str, module: str, name: str) -> dict[str, Any]:
        client = api if version == "v8" else raw  # the OAS describes v8 only
        fields = client.get(f"/crm/{version}/settings/fields", params={"module": module}).json()["fields"]
        return next(item for item in fields if item["api_name"] == name)

    assert field("v2", "Contacts", "Account_Name")["lookup"]["module"] == "Accounts"
    assert field("v2.1", "Contacts", "Account_Name")["lookup"]["module"] == "Accounts"
    assert field("v8", "Contacts", "Account_Name")["lookup"]["module"]["api_name"] == "Accounts"
    assert field("v2", "Tasks", "What_Id")["lookup"]["module"] == "se_module"
    last_name = field("v8", "Leads", "Last_Name")
    assert "decimal_place" in last_name
    assert last_name["decimal_place"] is None  # Zoho keeps null-valued keys
    assert last_name["tooltip"] is None
    module = raw.get("/crm/v2/settings/modules/Contacts").json()["modules"][0]
    account = next(item for item in module["fields"] if item["api_name"] == "Account_Name")
    assert account["lookup"]["module"] == "Accounts"
    v2_lists = raw.get("/crm/v2/settings/related_lists", params={"module": "Deals"}).json()["related_lists"]
    assert v2_lists[0]["module"] == "Notes"
    v8_lists = api.get("/crm/v8/settings/related_lists", params={"module": "Deals"}).json()["related_lists"]
    assert v8_lists[0]["module"]["api_name"] == "Notes"


def test_converting_a_lead_carries_its_notes_and_activities_to_the_contact_and_deal(api: TestClient) -> None:
    """As in Zoho: on conversion the Lead's Notes move to the Contact, its Tasks, Calls and Events to the Contact
    (Who_Id) and the Deal made (What_Id); the converted Lead keeps none of them."""
    lead = _create(api, "Leads", {"Last_Name": "Moved", "Company": "Carry Co", "Email": "moved@carry.example"})
    other = _create(api, "Leads", {"Last_Name": "Stays"})
    _create(api, "Notes", {"Note_Content": "on the lead", "Parent_Id": {"module": {"api_name": "Leads"}, "id": lead}})
    _create(api, "Notes", {"Note_Content": "not moved", "Parent_Id": {"module": {"api_name": "Leads"}, "id": other}})
    _create(api, "Tasks", {"Subject": "Follow up", "What_Id": {"id": lead}, "$se_module": "Leads"})
    call = {
        "Subject": "Intro",
        "Call_Type": "Inbound",
        "Call_Start_Time": "2026-12-01T09:00:00+00:00",
        "Call_Duration": "00:05",
        "What_Id": {"id": lead},
        "$se_module": "Leads",
    }
    _create(api, "Calls", call)
    body = {"data": [{"Deals": {"Deal_Name": "Carry", "Stage": "Qualification", "Closing_Date": "2026-12-31"}}]}
    reply = api.post(f"/crm/v8/Leads/{lead}/actions/convert", json=body)
    assert reply.status_code == 200, reply.json()
    details = reply.json()["data"][0]["details"]
    contact, deal = details["Contacts"]["id"], details["Deals"]["id"]
    notes = api.get(f"/crm/v8/Contacts/{contact}/Notes", params={"fields": "Note_Content"}).json()["data"]
    assert [note["Note_Content"] for note in notes] == ["on the lead"]
    for module, subject in (("Tasks", "Follow up"), ("Calls", "Intro")):
        on_contact = api.get(f"/crm/v8/Contacts/{contact}/{module}", params={"fields": "Subject"}).json()["data"]
        on_deal = api.get(f"/crm/v8/Deals/{deal}/{module}", params={"fields": "Subject"}).json()["data"]
        assert [row["Subject"] for row in on_contact] == [row["Subject"] for row in on_deal] == [subject]
        assert api.get(f"/crm/v8/Leads/{lead}/{module}").status_code == 204
    assert api.get(f"/crm/v8/Leads/{lead}/Notes").status_code == 204
    assert len(api.get(f"/crm/v8/Leads/{other}/Notes").json()["data"]) == 1
