"""Tags (settings and on records) and metadata: modules, fields, custom fields, layouts, users, org."""

from __future__ import annotations

import json

from starlette.testclient import TestClient

from leadflow_emulators.zoho.models import ZohoBackend


def test_tag_lifecycle(api: TestClient, backend: ZohoBackend) -> None:
    created = api.post(
        "/crm/v8/settings/tags",
        params={"module": "Leads"},
        content=json.dumps({"tags": [{"name": "hot"}, {"name": "cold"}]}),
    )
    assert created.status_code == 201
    assert [item["message"] for item in created.json()["tags"]] == ["tags created successfully"] * 2
    duplicate = api.post(
        "/crm/v8/settings/tags",
        params={"module": "Leads"},
        content=json.dumps({"tags": [{"name": "HOT"}, {"name": "warm"}]}),
    )
    assert duplicate.status_code == 207
    assert duplicate.json()["tags"][0]["code"] == "DUPLICATE_DATA"
    too_long = api.post(
        "/crm/v8/settings/tags", params={"module": "Leads"}, content=json.dumps({"tags": [{"name": "x" * 26}]})
    )
    assert too_long.status_code == 400
    listed = api.get("/crm/v8/settings/tags", params={"module": "Leads"}).json()
    assert sorted(tag["name"] for tag in listed["tags"]) == ["cold", "hot", "warm"]
    assert listed["info"]["count"] == 3
    assert api.get("/crm/v8/settings/tags").json()["code"] == "REQUIRED_PARAM_MISSING"
    hot = next(tag for tag in listed["tags"] if tag["name"] == "hot")
    [lead] = backend.insert("Leads", [{"Last_Name": "Tagged"}])
    add = api.post(
        "/crm/v8/Leads/actions/add_tags",
        content=json.dumps({"tags": [{"name": "hot"}, {"name": "new-one"}], "ids": [int(str(lead.id))]}),
    )
    assert add.status_code == 200
    assert {tag["name"] for tag in add.json()["data"][0]["details"]["tags"]} == {"hot", "new-one"}
    renamed = api.put(
        f"/crm/v8/settings/tags/{hot['id']}",
        params={"module": "Leads"},
        content=json.dumps({"tags": [{"name": "scorching"}]}),
    )
    assert renamed.status_code == 200
    assert {tag["name"] for tag in backend.get_record("Leads", str(lead.id))["Tag"]} == {"scorching", "new-one"}
    overwrite = api.post(
        "/crm/v8/Leads/actions/add_tags",
        params={"over_write": "true"},
        content=json.dumps({"tags": [{"name": "cold"}], "ids": [lead.id]}),
    )
    assert [tag["name"] for tag in overwrite.json()["data"][0]["details"]["tags"]] == ["cold"]
    removed = api.post(f"/crm/v8/Leads/{lead.id}/actions/remove_tags", content=json.dumps({"tags": [{"name": "cold"}]}))
    assert removed.json()["data"][0]["details"]["tags"] == []
    deleted = api.delete(f"/crm/v8/settings/tags/{hot['id']}", params={"module": "Leads"})
    assert deleted.json()["tags"][0]["message"] == "tags deleted successfully"
    bad_record = api.post(
        "/crm/v8/Leads/actions/add_tags", content=json.dumps({"tags": [{"name": "x"}], "ids": ["5725767000000000077"]})
    )
    assert bad_record.status_code == 400
    query_style = api.post("/crm/v8/Leads/actions/add_tags", params={"ids": str(lead.id), "tag_names": "a,b"})
    assert {tag["name"] for tag in query_style.json()["data"][0]["details"]["tags"]} == {"a", "b"}


def test_modules_and_fields(api: TestClient) -> None:
    modules = api.get("/crm/v8/settings/modules").json()["modules"]
    assert {"Leads", "Contacts", "Accounts", "Deals", "Tasks", "Calls", "Events", "Notes"} <= {
        module["api_name"] for module in modules
    }
    one = api.get("/crm/v8/settings/modules/Deals").json()["modules"][0]
    assert one["api_name"] == "Deals"
    assert one["fields"]
    assert api.get("/crm/v8/settings/modules/Nope").json()["code"] == "INVALID_MODULE"
    fields = {
        field["api_name"]: field
        for field in api.get("/crm/v8/settings/fields", params={"module": "Contacts"}).json()["fields"]
    }
    assert fields["Last_Name"]["system_mandatory"] is True
    assert fields["Last_Name"]["length"] == 80
    assert fields["Account_Name"]["data_type"] == "lookup"
    assert fields["Account_Name"]["lookup"]["module"]["api_name"] == "Accounts"
    assert fields["Lead_Source"]["pick_list_values"][1]["display_value"] == "Advertisement"
    assert fields["Email"]["custom_field"] is False
    assert fields["Email"]["unique"] == {}
    assert api.get("/crm/v8/settings/fields").json()["code"] == "REQUIRED_PARAM_MISSING"
    layouts = api.get("/crm/v8/settings/layouts", params={"module": "Leads"}).json()["layouts"]
    assert layouts[0]["sections"][0]["fields"]


def test_create_custom_fields(api: TestClient, backend: ZohoBackend) -> None:
    body = {
        "fields": [
            {"field_label": "Fit Score", "data_type": "integer"},
            {
                "field_label": "Grade",
                "data_type": "picklist",
                "pick_list_values": [{"display_value": "A1"}, {"display_value": "B2"}],
            },
            {"field_label": "Fit Score", "data_type": "integer"},
            {"field_label": "Broken", "data_type": "hologram"},
        ]
    }
    response = api.post("/crm/v8/settings/fields", params={"module": "Contacts"}, content=json.dumps(body))
    assert response.status_code == 207
    assert [item["code"] for item in response.json()["fields"]] == [
        "SUCCESS",
        "SUCCESS",
        "DUPLICATE_DATA",
        "INVALID_DATA",
    ]
    fields = backend.fields("Contacts")
    assert fields["Fit_Score"].custom_field
    assert fields["Fit_Score"].data_type == "integer"
    [ok] = backend.insert("Contacts", [{"Last_Name": "x", "Fit_Score": 87, "Grade": "A1"}])
    assert ok.ok
    [bad] = backend.insert("Contacts", [{"Last_Name": "x", "Grade": "Z9"}])
    assert bad.details["supported_values"] == ["A1", "B2"]


def test_users_and_org(api: TestClient) -> None:
    current = api.get("/crm/v8/users", params={"type": "CurrentUser"}).json()["users"]
    assert len(current) == 1
    assert current[0]["email"] == "admin@leadflow.example"
    assert len(api.get("/crm/v8/users", params={"type": "ActiveUsers"}).json()["users"]) == 2
    org = api.get("/crm/v8/org").json()["org"][0]
    assert isinstance(org["zgid"], str)
    assert org["zgid"].isdigit()
    assert api.get("/crm/v2.1/org").status_code == 200
    assert api.get("/crm/v7/org").status_code == 200


def test_custom_module_records(api: TestClient, backend: ZohoBackend) -> None:
    created = api.post(
        "/crm/v8/settings/modules",
        content=json.dumps({"modules": [{"plural_label": "Projects", "singular_label": "Project"}]}),
    )
    assert created.status_code == 200
    assert created.json()["modules"][0]["message"] == "module created"
    again = api.post("/crm/v8/settings/modules", content=json.dumps({"modules": [{"plural_label": "Projects"}]}))
    assert again.status_code == 400
    assert again.json()["modules"][0]["code"] == "INVALID_DATA"
    insert = api.post("/crm/v8/Projects", content=json.dumps({"data": [{"Name": "Rollout", "Email": "p@x.io"}]}))
    assert insert.status_code == 201
    missing = api.post("/crm/v8/Projects", content=json.dumps({"data": [{"Email": "p@x.io"}]})).json()["data"][0]
    assert missing["details"]["api_name"] == "Name"
    listed = api.get("/crm/v8/Projects", params={"fields": "Name"}).json()["data"]
    assert [item["Name"] for item in listed] == ["Rollout"]
    assert "Projects" in {module["api_name"] for module in api.get("/crm/v8/settings/modules").json()["modules"]}
    field_id = backend.fields("Projects")["Name"].id
    one = api.get(f"/crm/v8/settings/fields/{field_id}", params={"module": "Projects"}).json()["fields"]
    assert [field["api_name"] for field in one] == ["Name"]


def test_activities_and_notes_link_to_records(api: TestClient, backend: ZohoBackend) -> None:
    [lead] = backend.insert("Leads", [{"Last_Name": "Prospect"}])
    [contact] = backend.insert("Contacts", [{"Last_Name": "Buyer"}])
    task = {
        "Subject": "Follow up",
        "Due_Date": "2026-12-01",
        "Status": "Not Started",
        "Who_Id": {"id": contact.id},
        "What_Id": {"id": lead.id},
        "$se_module": "Leads",
    }
    created = api.post("/crm/v8/Tasks", content=json.dumps({"data": [task]}))
    assert created.status_code == 201
    stored = api.get(f"/crm/v8/Tasks/{created.json()['data'][0]['details']['id']}").json()["data"][0]
    assert stored["Who_Id"] == {"name": "Buyer", "id": contact.id}
    assert stored["What_Id"] == {"name": "Prospect", "id": lead.id}
    note = {
        "Note_Title": "Call summary",
        "Note_Content": "Interested in Q1",
        "Parent_Id": {"module": {"api_name": "Contacts"}, "id": contact.id},
    }
    noted = api.post("/crm/v8/Notes", content=json.dumps({"data": [note]}))
    assert noted.status_code == 201
    fetched = api.get(f"/crm/v8/Notes/{noted.json()['data'][0]['details']['id']}").json()["data"][0]
    assert fetched["Parent_Id"]["id"] == contact.id
    assert fetched["Parent_Id"]["module"]["api_name"] == "Contacts"
    event = {
        "Event_Title": "Demo",
        "Start_DateTime": "2026-12-01T10:00:00+00:00",
        "End_DateTime": "2026-12-01T11:00:00+00:00",
        "What_Id": {"id": lead.id},
        "$se_module": "Leads",
    }
    assert api.post("/crm/v8/Events", content=json.dumps({"data": [event]})).status_code == 201
    empty_note = api.post("/crm/v8/Notes", content=json.dumps({"data": [{"Note_Title": "x"}]})).json()["data"][0]
    assert empty_note["details"]["api_name"] == "Note_Content"
