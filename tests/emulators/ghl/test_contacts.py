"""Contacts over HTTP: GHL's duplicate rule, upsert priority and trap, whitelist validation, tags, search
paging, the legacy list, custom fields, notes and tasks. Every answer is checked against the spec."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from leadflow_emulators.ghl.models import GhlBackend
from tests.emulators.ghl.conftest import LOCATION, new_contact


def test_create_get_update_delete(api: TestClient, backend: GhlBackend) -> None:
    contact = new_contact(api, firstName="Ada", lastName="Lovelace", email="Ada@Example.com", phone="(415) 555-0100")
    assert contact["phone"] == "+14155550100"
    assert contact["emailLowerCase"] == "ada@example.com"
    got = api.get(f"/contacts/{contact['id']}").json()["contact"]
    assert got["name"] == "Ada Lovelace"
    updated = api.put(f"/contacts/{contact['id']}", json={"city": "London", "tags": ["B"]}).json()
    assert updated["succeded"] is True
    assert updated["contact"]["city"] == "London"
    assert updated["contact"]["tags"] == ["b"]
    assert api.delete(f"/contacts/{contact['id']}").json()["succeded"] is True
    missing = api.get(f"/contacts/{contact['id']}")
    assert missing.status_code == 400
    assert missing.json()["message"] == "Contact not found"
    assert [e["type"] for e in backend.events] == [
        "ContactCreate",
        "ContactTagUpdate",
        "ContactUpdate",
        "ContactDelete",
    ]


def test_duplicate_contact_is_refused_with_the_matching_field(api: TestClient) -> None:
    first = new_contact(api, email="dup@example.com", phone="+14155550101", firstName="Dup")
    by_email = api.post("/contacts/", json={"locationId": LOCATION, "email": "DUP@example.com"})
    assert by_email.status_code == 400
    body = by_email.json()
    assert body["message"] == "This location does not allow duplicated contacts."
    assert body["meta"] == {"contactName": "Dup", "contactId": first["id"], "matchingField": "email"}
    by_phone = api.post("/contacts/", json={"locationId": LOCATION, "phone": "415-555-0101"}).json()
    assert by_phone["meta"]["matchingField"] == "phone"
    assert by_phone["meta"]["contactId"] == first["id"]


def test_duplicates_allowed_when_the_location_says_so(api: TestClient) -> None:
    new_contact(api, email="twice@example.com")
    assert api.post("/_emulator/location/settings", json={"allowDuplicateContact": True}).status_code == 200
    assert api.get(f"/locations/{LOCATION}").json()["location"]["settings"]["allowDuplicateContact"] is True
    new_contact(api, email="twice@example.com")


def test_unknown_properties_and_bad_types_answer_422(api: TestClient, backend: GhlBackend) -> None:
    reply = api.post("/contacts/", json={"locationId": LOCATION, "emial": "x@y.co", "tags": "vip", "dnd": "yes"})
    assert reply.status_code == 422
    assert reply.json()["message"] == [
        "property emial should not exist",
        "tags must be an array",
        "dnd must be a boolean value",
    ]
    assert backend.docs.count("contact") == 0
    bad_email = api.post("/contacts/upsert", json={"locationId": LOCATION, "email": "not-an-email"})
    assert bad_email.status_code == 422
    assert bad_email.json()["message"] == ["email must be an email"]


def test_upsert_creates_then_updates(api: TestClient) -> None:
    created = api.post("/contacts/upsert", json={"locationId": LOCATION, "email": "up@example.com", "firstName": "A"})
    assert created.status_code == 200
    assert created.json()["new"] is True
    again = api.post(
        "/contacts/upsert", json={"locationId": LOCATION, "email": "UP@example.com", "lastName": "B"}
    ).json()
    assert again["new"] is False
    assert again["contact"]["id"] == created.json()["contact"]["id"]
    assert again["contact"]["name"] == "A B"


def test_upsert_ignores_the_second_identifier_owned_by_another_contact(api: TestClient, backend: GhlBackend) -> None:
    by_email = new_contact(api, email="first@example.com")
    by_phone = new_contact(api, phone="+14155550123")
    reply = api.post(
        "/contacts/upsert", json={"locationId": LOCATION, "email": "first@example.com", "phone": "+14155550123"}
    ).json()
    assert reply["new"] is False
    assert reply["contact"]["id"] == by_email["id"]
    assert "phone" not in reply["contact"]  # ignored: it belongs to the other contact
    assert backend.contacts.get(by_phone["id"])["phone"] == "+14155550123"
    # phone first: the same request updates the phone's owner, and the email is the one ignored
    api.post("/_emulator/location/settings", json={"contactUniqueIdentifiers": ["phone", "email"]})
    reply = api.post(
        "/contacts/upsert", json={"locationId": LOCATION, "email": "first@example.com", "phone": "+14155550123"}
    ).json()
    assert reply["contact"]["id"] == by_phone["id"]
    assert "email" not in reply["contact"]
    assert backend.docs.count("contact") == 2


def test_duplicate_search(api: TestClient) -> None:
    contact = new_contact(api, email="find@example.com", phone="+14155550199")
    found = api.get("/contacts/search/duplicate", params={"locationId": LOCATION, "email": "find@example.com"})
    assert found.json()["contact"]["id"] == contact["id"]
    by_number = api.get("/contacts/search/duplicate", params={"locationId": LOCATION, "number": "+14155550199"})
    assert by_number.json()["contact"]["id"] == contact["id"]
    none = api.get("/contacts/search/duplicate", params={"locationId": LOCATION, "email": "nobody@example.com"})
    assert none.status_code == 200
    assert none.json()["contact"] is None


def test_tags_are_lowercase_and_added_removed_in_bulk(api: TestClient) -> None:
    one = new_contact(api, email="t1@example.com", tags=["Lead", " lead ", "VIP"])
    two = new_contact(api, email="t2@example.com")
    assert one["tags"] == ["lead", "vip"]
    added = api.post(f"/contacts/{one['id']}/tags", json={"tags": ["Hot"]})
    assert added.status_code == 201
    assert added.json()["tags"] == ["lead", "vip", "hot"]
    removed = api.request("DELETE", f"/contacts/{one['id']}/tags", json={"tags": ["VIP"]})
    assert removed.json()["tags"] == ["lead", "hot"]
    bulk = api.post(
        "/contacts/bulk/tags/update/add",
        json={"locationId": LOCATION, "contacts": [one["id"], two["id"]], "tags": ["Q3"]},
    )
    assert bulk.status_code == 201
    assert bulk.json()["succeded"] is True
    assert api.get(f"/contacts/{two['id']}").json()["contact"]["tags"] == ["q3"]
    names = {tag["name"] for tag in api.get(f"/locations/{LOCATION}/tags").json()["tags"]}
    assert {"lead", "vip", "hot", "q3"} <= names
    created = api.post(f"/locations/{LOCATION}/tags", json={"name": "Newsletter"})
    assert created.status_code == 200
    assert created.json()["tag"]["name"] == "newsletter"


def _search(api: TestClient, **body: Any) -> Any:
    reply = api.post("/contacts/search", json={"locationId": LOCATION, **body})
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_search_after_pages_thousands_without_repeats_or_losses(
    api: TestClient, backend: GhlBackend, clock: Any
) -> None:
    with backend.transaction():
        for index in range(2_500):
            backend.contacts.create({"locationId": LOCATION, "email": f"p{index}@example.com", "tags": ["bulk"]})
            if index % 7 == 0:
                clock.advance(0.001)  # many contacts share a dateAdded: the id breaks the tie
    seen: list[str] = []
    cursor = None
    while True:
        page = _search(api, pageLimit=500, **({"searchAfter": cursor} if cursor else {}))
        assert page["total"] == 2_500
        if not page["contacts"]:
            break
        seen += [contact["id"] for contact in page["contacts"]]
        cursor = page["contacts"][-1]["searchAfter"]
    assert len(seen) == len(set(seen)) == 2_500
    too_deep = api.post("/contacts/search", json={"locationId": LOCATION, "page": 21, "pageLimit": 500})
    assert too_deep.status_code == 400


def test_search_filters_and_sort(api: TestClient) -> None:
    new_contact(api, email="b@example.com", firstName="Bea", tags=["vip"], city="Paris")
    new_contact(api, email="a@example.com", firstName="Al", tags=["vip", "cold"])
    new_contact(api, email="c@example.com", firstName="Cy")
    vip = _search(
        api,
        filters=[{"field": "tags", "operator": "eq", "value": "VIP"}],
        sort=[{"field": "firstName", "direction": "asc"}],
    )
    assert [c["firstName"] for c in vip["contacts"]] == ["Al", "Bea"]
    assert vip["total"] == 2
    either = _search(
        api,
        filters=[
            {
                "group": "OR",
                "filters": [
                    {"field": "city", "operator": "eq", "value": "paris"},
                    {"field": "firstName", "operator": "contains", "value": "cy"},
                ],
            }
        ],
    )
    assert sorted(c["firstName"] for c in either["contacts"]) == ["Bea", "Cy"]
    no_tags = _search(api, filters=[{"field": "tags", "operator": "not_exists"}])
    assert [c["firstName"] for c in no_tags["contacts"]] == ["Cy"]
    bad = api.post("/contacts/search", json={"locationId": LOCATION, "filters": [{"field": "x", "operator": "like"}]})
    assert bad.status_code == 422


def test_legacy_list_pages_with_start_after_id(api: TestClient, backend: GhlBackend) -> None:
    with backend.transaction():
        ids = [backend.contacts.create({"locationId": LOCATION, "email": f"l{i}@example.com"})["id"] for i in range(45)]
    seen: list[str] = []
    params: dict[str, Any] = {"locationId": LOCATION, "limit": 20}
    while True:
        body = api.get("/contacts/", params=params).json()
        seen += [contact["id"] for contact in body["contacts"]]
        if not body["meta"]["startAfterId"]:
            break
        params.update(startAfterId=body["meta"]["startAfterId"], startAfter=body["meta"]["startAfter"])
    assert sorted(seen) == sorted(ids)
    assert len(seen) == 45


def test_custom_fields_and_values(api: TestClient) -> None:
    created = api.post(
        f"/locations/{LOCATION}/customFields",
        json={"name": "Lead Score", "dataType": "NUMERICAL", "model": "contact"},
    )
    assert created.status_code == 201
    field = created.json()["customField"]
    assert field["fieldKey"] == "contact.lead_score"
    picklist = api.post(
        f"/locations/{LOCATION}/customFields",
        json={"name": "Stage", "dataType": "SINGLE_OPTIONS", "options": ["new", "won"]},
    ).json()["customField"]
    assert api.get(f"/locations/{LOCATION}/customFields/contact.lead_score").json()["customField"]["id"] == field["id"]
    contact = new_contact(
        api,
        email="cf@example.com",
        customFields=[{"id": field["id"], "field_value": 42}, {"key": "stage", "field_value": "won"}],
    )
    assert {c["id"]: c["value"] for c in contact["customFields"]} == {field["id"]: 42, picklist["id"]: "won"}
    wrong = api.put(
        f"/contacts/{contact['id']}", json={"customFields": [{"id": picklist["id"], "field_value": "lost"}]}
    )
    assert wrong.status_code == 422
    unknown = api.put(f"/contacts/{contact['id']}", json={"customFields": [{"id": "nope", "field_value": "x"}]})
    assert unknown.status_code == 400
    listed = api.get(f"/locations/{LOCATION}/customFields", params={"model": "contact"}).json()["customFields"]
    assert len(listed) == 2
    renamed = api.put(f"/locations/{LOCATION}/customFields/{field['id']}", json={"name": "Score"}).json()["customField"]
    assert renamed["name"] == "Score"
    assert api.delete(f"/locations/{LOCATION}/customFields/{field['id']}").json()["succeded"] is True


def test_custom_values(api: TestClient) -> None:
    created = api.post(f"/locations/{LOCATION}/customValues", json={"name": "Sender Name", "value": "Ada"})
    assert created.status_code == 201
    value = created.json()["customValue"]
    assert value["fieldKey"] == "{{ custom_values.sender_name }}"
    assert (
        api.put(f"/locations/{LOCATION}/customValues/{value['id']}", json={"value": "Bo"}).json()["customValue"][
            "value"
        ]
        == "Bo"
    )
    assert len(api.get(f"/locations/{LOCATION}/customValues").json()["customValues"]) == 1


def test_notes_and_tasks(api: TestClient, backend: GhlBackend) -> None:
    contact = new_contact(api, email="nt@example.com")
    note = api.post(f"/contacts/{contact['id']}/notes", json={"body": "Met at the fair"})
    assert note.status_code == 201
    note_id = note.json()["note"]["id"]
    assert api.get(f"/contacts/{contact['id']}/notes").json()["notes"][0]["body"] == "Met at the fair"
    assert (
        api.put(f"/contacts/{contact['id']}/notes/{note_id}", json={"body": "Edited"}).json()["note"]["body"]
        == "Edited"
    )
    task = api.post(
        f"/contacts/{contact['id']}/tasks",
        json={"title": "Call", "dueDate": "2026-12-24T10:00:00Z", "completed": False},
    )
    assert task.status_code == 201
    task_id = task.json()["task"]["id"]
    done = api.put(f"/contacts/{contact['id']}/tasks/{task_id}/completed", json={"completed": True}).json()["task"]
    assert done["completed"] is True
    assert done["dueDate"] == "2026-12-24T10:00:00Z"
    missing = api.post(f"/contacts/{contact['id']}/tasks", json={"title": "x"})
    assert missing.status_code == 422
    assert api.delete(f"/contacts/{contact['id']}/tasks/{task_id}").json()["succeded"] is True
    assert api.delete(f"/contacts/{contact['id']}/notes/{note_id}").json()["succeded"] is True
    assert {"NoteCreate", "TaskCreate"} <= {event["type"] for event in backend.events}


def test_create_new_if_duplicate_allowed(api: TestClient, backend: GhlBackend) -> None:
    body = {"locationId": LOCATION, "email": "same@example.com", "createNewIfDuplicateAllowed": True}
    first = api.post("/contacts/upsert", json=body).json()
    again = api.post("/contacts/upsert", json=body).json()  # the location disallows duplicates: flag ignored
    assert again["new"] is False
    assert again["contact"]["id"] == first["contact"]["id"]
    api.post("/_emulator/location/settings", json={"allowDuplicateContact": True})
    third = api.post("/contacts/upsert", json=body).json()
    assert third["new"] is True
    assert third["contact"]["id"] != first["contact"]["id"]
    assert backend.docs.count("contact") == 2


def test_location_tags_rename_and_delete_reach_the_contacts(api: TestClient) -> None:
    contact = new_contact(api, email="tagged@example.com", tags=["old", "keep"])
    tags = {tag["name"]: tag["id"] for tag in api.get(f"/locations/{LOCATION}/tags").json()["tags"]}
    assert api.get(f"/locations/{LOCATION}/tags/{tags['old']}").json()["tag"]["name"] == "old"
    renamed = api.put(f"/locations/{LOCATION}/tags/{tags['old']}", json={"name": "New"})
    assert renamed.status_code == 200
    assert renamed.json()["tag"]["name"] == "new"
    assert api.get(f"/contacts/{contact['id']}").json()["contact"]["tags"] == ["new", "keep"]
    assert api.delete(f"/locations/{LOCATION}/tags/{tags['keep']}").json()["succeded"] is True
    assert api.get(f"/contacts/{contact['id']}").json()["contact"]["tags"] == ["new"]
    assert api.get(f"/locations/{LOCATION}/tags/{tags['keep']}").status_code == 400
