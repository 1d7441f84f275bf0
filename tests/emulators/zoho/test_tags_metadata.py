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
