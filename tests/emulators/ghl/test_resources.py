"""Opportunities, workflows, conversations, calendars and users over HTTP (answers checked against the spec)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from leadflow_emulators.ghl.models import GhlBackend
from tests.emulators.ghl.conftest import LOCATION, V2C, new_contact
from tests.emulators.ghl.oas import require_specs, spec_checker

PIPELINE = {
    "id": "pipeSales000000000001",
    "name": "Sales",
    "stages": [{"id": "stage-new", "name": "New"}, {"id": "stage-won", "name": "Won"}],
}
WORKFLOW = {"id": "wfNurture00000000001", "name": "Nurture", "status": "published", "version": 3}


@pytest.fixture
def seeded(api: TestClient) -> TestClient:
    lines = [
        {"kind": "pipeline", "record": PIPELINE},
        {"kind": "workflow", "record": WORKFLOW},
        {"kind": "user", "record": {"id": "userAda0000000000001", "name": "Ada", "email": "ada@example.com"}},
        {"kind": "calendar", "record": {"id": "calDemo0000000000001", "name": "Demo calls"}},
        {"kind": "bogus", "record": {}},
    ]
    body = "\n".join(__import__("json").dumps(line) for line in lines)
    outcome = api.post("/_emulator/seed", content=body).json()
    assert outcome["inserted"] == {"pipeline": 1, "workflow": 1, "user": 1, "calendar": 1}
    assert outcome["errors"][0]["line"] == 5
    return api


def _opportunity(api: TestClient, contact_id: str, **extra: Any) -> Any:
    body = {
        "pipelineId": PIPELINE["id"],
        "locationId": LOCATION,
        "name": "Deal",
        "status": "open",
        "contactId": contact_id,
        **extra,
    }
    return api.post("/opportunities/", json=body)


def test_pipelines_and_opportunity_lifecycle(seeded: TestClient, backend: GhlBackend) -> None:
    api = seeded
    assert (
        api.get("/opportunities/pipelines", params={"locationId": LOCATION}).json()["pipelines"][0]["stages"][1]["id"]
        == "stage-won"
    )
    contact = new_contact(api, email="deal@example.com")
    created = _opportunity(api, contact["id"], monetaryValue=1200)
    assert created.status_code == 201
    opp = created.json()["opportunity"]
    assert opp["pipelineStageId"] == "stage-new"
    assert opp["contact"]["id"] == contact["id"]
    moved = api.put(f"/opportunities/{opp['id']}", json={"pipelineStageId": "stage-won"}).json()["opportunity"]
    assert moved["pipelineStageId"] == "stage-won"
    assert api.put(f"/opportunities/{opp['id']}/status", json={"status": "won"}).json()["succeded"] is True
    assert api.get(f"/opportunities/{opp['id']}").json()["opportunity"]["status"] == "won"
    bad = api.put(f"/opportunities/{opp['id']}/status", json={"status": "maybe"})
    assert bad.status_code == 422
    wrong_stage = api.put(f"/opportunities/{opp['id']}", json={"pipelineStageId": "nope"})
    assert wrong_stage.status_code == 400
    found = api.get("/opportunities/search", params={"location_id": LOCATION, "contact_id": contact["id"]}).json()
    assert [o["id"] for o in found["opportunities"]] == [opp["id"]]
    assert found["meta"]["total"] == 1
    camel = api.get(
        "/opportunities/search", params={"locationId": LOCATION, "status": "open"}
    ).json()  # as the SDK sends it
    assert camel["opportunities"] == []
    assert api.delete(f"/opportunities/{opp['id']}").json()["succeded"] is True
    types = [e["type"] for e in backend.events if e["type"].startswith("Opportunity")]
    assert types == ["OpportunityCreate", "OpportunityStageUpdate", "OpportunityStatusUpdate"]


def test_duplicate_opportunity_rule(seeded: TestClient) -> None:
    contact = new_contact(seeded, email="twice@example.com")
    first = _opportunity(seeded, contact["id"]).json()["opportunity"]
    second = _opportunity(seeded, contact["id"])
    assert second.status_code == 400
    body = second.json()
    assert body["error"] == "OPPORTUNITY_NO_DUPLICATE"
    assert body["meta"]["existingId"] == first["id"]
    seeded.post("/_emulator/location/settings", json={"allowDuplicateOpportunity": True})
    assert _opportunity(seeded, contact["id"]).status_code == 201


def test_workflow_enrolment_is_recorded(seeded: TestClient) -> None:
    api = seeded
    assert api.get("/workflows/", params={"locationId": LOCATION}).json()["workflows"][0]["version"] == 3
    contact = new_contact(api, email="wf@example.com")
    added = api.post(
        f"/contacts/{contact['id']}/workflow/{WORKFLOW['id']}", json={"eventStartTime": "2026-12-05T10:00:00Z"}
    )
    assert added.status_code == 200
    assert added.json()["succeded"] is True
    unknown = api.post(f"/contacts/{contact['id']}/workflow/unknownWorkflow", json={})
    assert unknown.status_code == 400
    state = api.get("/_emulator/state").json()
    assert state["enrolments"][0]["status"] == "active"
    assert state["enrolments"][0]["contactId"] == contact["id"]
    api.request("DELETE", f"/contacts/{contact['id']}/workflow/{WORKFLOW['id']}", json={})
    assert api.get("/_emulator/state").json()["enrolments"][0]["status"] == "removed"


def test_conversations_send_search_and_messages(api: TestClient, backend: GhlBackend) -> None:
    contact = new_contact(api, email="talk@example.com", phone="+14155550111")
    sent = api.post(
        "/conversations/messages",
        json={"type": "Email", "contactId": contact["id"], "subject": "Hello", "html": "<p>Hi</p>"},
        headers=V2C,
    )
    assert sent.status_code == 200
    email = sent.json()
    assert email["emailMessageId"]
    assert email["messageId"]
    sms = api.post(
        "/conversations/messages", json={"type": "SMS", "contactId": contact["id"], "message": "Hi"}, headers=V2C
    ).json()
    assert "emailMessageId" not in sms
    assert sms["conversationId"] == email["conversationId"]
    found = api.get(
        "/conversations/search", params={"locationId": LOCATION, "contactId": contact["id"]}, headers=V2C
    ).json()
    assert found["total"] == 1
    assert found["conversations"][0]["lastMessageType"] == "TYPE_SMS"
    messages = api.get(f"/conversations/{email['conversationId']}/messages", headers=V2C).json()
    assert {m["messageType"] for m in messages["messages"]} == {"TYPE_SMS", "TYPE_EMAIL"}
    assert messages["nextPage"] is False
    wrong_version = api.post(
        "/conversations/messages", json={"type": "SMS", "contactId": contact["id"], "message": "x"}
    )
    assert wrong_version.status_code == 401
    assert wrong_version.json()["message"] == "version header is invalid"


def test_dnd_channel_refuses_the_message(api: TestClient) -> None:
    contact = new_contact(
        api, email="quiet@example.com", phone="+14155550112", dndSettings={"SMS": {"status": "active"}}
    )
    refused = api.post(
        "/conversations/messages", json={"type": "SMS", "contactId": contact["id"], "message": "Hi"}, headers=V2C
    )
    assert refused.status_code == 400
    assert refused.json()["message"] == "Cannot send message as DND is active for SMS."
    email = api.post(
        "/conversations/messages", json={"type": "Email", "contactId": contact["id"], "html": "x"}, headers=V2C
    )
    assert email.status_code == 200
    api.put(f"/contacts/{contact['id']}", json={"dnd": True})
    everything = api.post(
        "/conversations/messages", json={"type": "Email", "contactId": contact["id"], "html": "x"}, headers=V2C
    )
    assert everything.status_code == 400


def test_calendars_appointments_and_users(seeded: TestClient, backend: GhlBackend) -> None:
    api = seeded
    contact = new_contact(api, email="book@example.com")
    calendars = api.get("/calendars/", params={"locationId": LOCATION}, headers=V2C).json()["calendars"]
    booked = api.post(
        "/calendars/events/appointments",
        json={
            "calendarId": calendars[0]["id"],
            "locationId": LOCATION,
            "contactId": contact["id"],
            "startTime": "2026-12-10T15:00:00Z",
        },
        headers=V2C,
    )
    assert booked.status_code == 201
    got = api.get(f"/calendars/events/appointments/{booked.json()['id']}", headers=V2C).json()["appointment"]
    assert got["contactId"] == contact["id"]
    assert api.get(f"/contacts/{contact['id']}/appointments").json()["events"][0]["id"] == got["id"]
    assert api.get("/users/", params={"locationId": LOCATION}).json()["users"][0]["name"] == "Ada"
    assert backend.events[-1]["type"] == "AppointmentCreate"


def test_the_spec_checker_rejects_a_wrong_body() -> None:
    require_specs()
    checker = spec_checker()
    assert checker is not None
    with pytest.raises(AssertionError, match="does not match the spec"):
        checker.check("GET", "/contacts/abc", 200, {"contact": {"tags": "not-a-list"}, "traceId": "t"})
    with pytest.raises(AssertionError, match="no traceId"):
        checker.check("GET", "/contacts/abc", 200, {"contact": {}})
