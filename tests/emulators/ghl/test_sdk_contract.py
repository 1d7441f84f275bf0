"""The official SDK (``gohighlevel-api-client`` 3.0.0) against the emulator over a real socket.

The SDK is pointed at the emulator by subclassing ``HighLevel`` with ``BASE_URL`` (its documented
attribute); it sends ``Version: v3`` on every call. Every answer it receives is checked against GHL's
specs by a response hook on its httpx client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from highlevel import HighLevel
from highlevel.error import GHLError

from leadflow_emulators.ghl.models import GhlBackend
from leadflow_emulators.ghl.models.backend import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from tests.emulators.ghl.conftest import LOCATION, TOKEN
from tests.emulators.ghl.oas import spec_checker
from tests.emulators.live_server import LiveServer

Scenario = Callable[[Any], Awaitable[None]]


@pytest.fixture
def run_sdk(live: LiveServer, backend: GhlBackend) -> Iterator[Callable[[Scenario], None]]:
    backend.seed(
        [
            {
                "kind": "pipeline",
                "record": {
                    "id": "pipe1",
                    "name": "Sales",
                    "stages": [{"id": "s1", "name": "New"}, {"id": "s2", "name": "Won"}],
                },
            },
            {"kind": "workflow", "record": {"id": "wf1", "name": "Nurture", "status": "published", "version": 1}},
        ]
    )
    local = type("LocalHighLevel", (HighLevel,), {"BASE_URL": live.url})
    checked: list[int] = []

    async def validate(response: httpx.Response) -> None:
        await response.aread()
        checker = spec_checker()
        if checker is not None:
            checker.check(response.request.method, response.request.url.path, response.status_code, response.json())
            checked.append(1)

    def run(scenario: Scenario) -> None:
        async def main() -> None:
            client = local(private_integration_token=TOKEN, log_level="none")
            client.http_client.event_hooks["response"].append(validate)
            try:
                await scenario(client)
            finally:
                await client.http_client.aclose()

        asyncio.run(main())

    yield run
    assert spec_checker() is None or checked, "no SDK answer was checked against the spec"


def test_contacts_crud_and_upsert(run_sdk: Callable[[Scenario], None]) -> None:
    async def scenario(ghl: Any) -> None:
        created = await ghl.contacts.create_contact(
            {"locationId": LOCATION, "firstName": "Ada", "email": "ada@example.com", "tags": ["VIP"]}
        )
        contact_id = created["contact"]["id"]
        assert created["contact"]["tags"] == ["vip"]
        got = await ghl.contacts.get_contact(contact_id)
        assert got["contact"]["email"] == "ada@example.com"
        updated = await ghl.contacts.update_contact(contact_id, {"lastName": "Lovelace"})
        assert updated["contact"]["name"] == "Ada Lovelace"
        upserted = await ghl.contacts.upsert_contact(
            {"locationId": LOCATION, "email": "ADA@example.com", "city": "London"}
        )
        assert upserted["new"] is False
        assert upserted["contact"]["id"] == contact_id
        fresh = await ghl.contacts.upsert_contact({"locationId": LOCATION, "email": "new@example.com"})
        assert fresh["new"] is True
        duplicate = await ghl.contacts.get_duplicate_contact(LOCATION, email="ada@example.com")
        assert duplicate["contact"]["id"] == contact_id
        assert (await ghl.contacts.delete_contact(contact_id))["succeded"] is True

    run_sdk(scenario)


def test_errors_as_the_sdk_surfaces_them(run_sdk: Callable[[Scenario], None]) -> None:
    async def scenario(ghl: Any) -> None:
        await ghl.contacts.create_contact({"locationId": LOCATION, "email": "dup@example.com"})
        with pytest.raises(GHLError) as duplicate:
            await ghl.contacts.create_contact({"locationId": LOCATION, "email": "dup@example.com"})
        assert duplicate.value.status_code == 400
        assert duplicate.value.response["message"] == "This location does not allow duplicated contacts."
        assert duplicate.value.response["meta"]["matchingField"] == "email"
        with pytest.raises(GHLError) as unknown:
            await ghl.contacts.create_contact({"locationId": LOCATION, "emailAddress": "x@example.com"})
        assert unknown.value.status_code == 422
        assert unknown.value.response["message"] == ["property emailAddress should not exist"]
        with pytest.raises(GHLError) as missing:
            await ghl.contacts.get_contact("doesNotExist0000000")
        assert missing.value.status_code == 400

    run_sdk(scenario)


def test_search_pages_past_a_thousand(run_sdk: Callable[[Scenario], None], backend: GhlBackend) -> None:
    with backend.transaction():
        for index in range(1_200):
            backend.contacts.create({"locationId": LOCATION, "email": f"s{index}@example.com"})

    async def scenario(ghl: Any) -> None:
        seen: list[str] = []
        body: dict[str, Any] = {"locationId": LOCATION, "pageLimit": 250}
        while True:
            page = await ghl.contacts.search_contacts_advanced(body)
            if not page["contacts"]:
                break
            seen += [c["id"] for c in page["contacts"]]
            body["searchAfter"] = page["contacts"][-1]["searchAfter"]
        assert len(seen) == len(set(seen)) == 1_200

    run_sdk(scenario)


def test_tags_notes_tasks_and_workflows(run_sdk: Callable[[Scenario], None], backend: GhlBackend) -> None:
    async def scenario(ghl: Any) -> None:
        contact_id = (await ghl.contacts.create_contact({"locationId": LOCATION, "email": "t@example.com"}))["contact"][
            "id"
        ]
        assert (await ghl.contacts.add_tags(contact_id, {"tags": ["Hot", "Lead"]}))["tags"] == ["hot", "lead"]
        assert (await ghl.contacts.remove_tags(contact_id, {"tags": ["hot"]}))["tags"] == ["lead"]
        note = (await ghl.contacts.create_note(contact_id, {"body": "First call went well"}))["note"]
        assert (await ghl.contacts.get_note(contact_id, note["id"]))["note"]["body"] == "First call went well"
        assert len((await ghl.contacts.get_all_notes(contact_id))["notes"]) == 1
        task = (
            await ghl.contacts.create_task(
                contact_id, {"title": "Follow up", "dueDate": "2026-12-24T10:00:00Z", "completed": False}
            )
        )["task"]
        done = await ghl.contacts.update_task_completed(contact_id, task["id"], {"completed": True})
        assert done["task"]["completed"] is True
        assert (await ghl.contacts.get_task(contact_id, task["id"]))["task"]["title"] == "Follow up"
        assert len((await ghl.contacts.get_all_tasks(contact_id))["tasks"]) == 1
        workflows = (await ghl.workflows.get_workflow(LOCATION))["workflows"]
        assert workflows[0]["id"] == "wf1"
        assert (await ghl.contacts.add_contact_to_workflow(contact_id, "wf1", {}))["succeded"] is True
        assert (await ghl.contacts.delete_contact_from_workflow(contact_id, "wf1", {}))["succeded"] is True

    run_sdk(scenario)
    assert backend.docs.all("enrolment")[0]["status"] == "removed"


def test_custom_fields_and_location(run_sdk: Callable[[Scenario], None]) -> None:
    async def scenario(ghl: Any) -> None:
        location = (await ghl.locations.get_location(LOCATION))["location"]
        assert location["settings"]["allowDuplicateContact"] is False
        field = (await ghl.locations.create_custom_field(LOCATION, {"name": "Industry", "dataType": "TEXT"}))[
            "customField"
        ]
        assert (await ghl.locations.get_custom_field(LOCATION, "contact.industry"))["customField"]["id"] == field["id"]
        assert len((await ghl.locations.get_custom_fields(LOCATION, model="contact"))["customFields"]) == 1
        created = await ghl.contacts.create_contact(
            {
                "locationId": LOCATION,
                "email": "cf@example.com",
                "customFields": [{"id": field["id"], "field_value": "Robotics"}],
            }
        )
        assert created["contact"]["customFields"] == [{"id": field["id"], "value": "Robotics"}]

    run_sdk(scenario)


def test_opportunities(run_sdk: Callable[[Scenario], None]) -> None:
    async def scenario(ghl: Any) -> None:
        contact_id = (await ghl.contacts.create_contact({"locationId": LOCATION, "email": "o@example.com"}))["contact"][
            "id"
        ]
        pipelines = (await ghl.opportunities.get_pipelines(LOCATION))["pipelines"]
        opp = (
            await ghl.opportunities.create_opportunity(
                {
                    "pipelineId": pipelines[0]["id"],
                    "locationId": LOCATION,
                    "name": "Deal",
                    "status": "open",
                    "contactId": contact_id,
                }
            )
        )["opportunity"]
        with pytest.raises(GHLError) as duplicate:
            await ghl.opportunities.create_opportunity(
                {
                    "pipelineId": pipelines[0]["id"],
                    "locationId": LOCATION,
                    "name": "Again",
                    "status": "open",
                    "contactId": contact_id,
                }
            )
        assert duplicate.value.response["meta"]["existingId"] == opp["id"]
        moved = await ghl.opportunities.update_opportunity(opp["id"], {"pipelineStageId": "s2", "monetaryValue": 900})
        assert moved["opportunity"]["pipelineStageId"] == "s2"
        assert (await ghl.opportunities.update_opportunity_status(opp["id"], {"status": "won"}))["succeded"] is True
        assert (await ghl.opportunities.get_opportunity(opp["id"]))["opportunity"]["status"] == "won"
        found = await ghl.opportunities.search_opportunity(LOCATION, contact_id=contact_id, status="won")
        assert [o["id"] for o in found["opportunities"]] == [opp["id"]]

    run_sdk(scenario)


def test_conversations(run_sdk: Callable[[Scenario], None]) -> None:
    async def scenario(ghl: Any) -> None:
        contact_id = (
            await ghl.contacts.create_contact(
                {"locationId": LOCATION, "email": "c@example.com", "phone": "+14155550177"}
            )
        )["contact"]["id"]
        sent = await ghl.conversations.send_a_new_message(
            {"type": "Email", "contactId": contact_id, "subject": "Hi", "html": "<p>Hello</p>"}
        )
        assert sent["emailMessageId"]
        assert sent["conversationId"]
        found = await ghl.conversations.search_conversation(LOCATION, contact_id=contact_id)
        assert found["conversations"][0]["id"] == sent["conversationId"]
        messages = await ghl.conversations.get_messages(sent["conversationId"])
        assert messages["messages"][0]["id"] == sent["messageId"]
        await ghl.contacts.update_contact(contact_id, {"dndSettings": {"SMS": {"status": "active"}}})
        with pytest.raises(GHLError) as dnd:
            await ghl.conversations.send_a_new_message({"type": "SMS", "contactId": contact_id, "message": "Hi"})
        assert dnd.value.status_code == 400

    run_sdk(scenario)


def test_oauth_through_the_sdk(run_sdk: Callable[[Scenario], None], live: LiveServer) -> None:
    code = httpx.post(f"{live.url}/_emulator/oauth/codes", json={"client_id": DEFAULT_CLIENT_ID}).json()["code"]
    local = type("LocalHighLevel", (HighLevel,), {"BASE_URL": live.url})

    async def scenario(ghl: Any) -> None:
        grant = await ghl.oauth.get_access_token(
            {
                "clientId": DEFAULT_CLIENT_ID,
                "clientSecret": DEFAULT_CLIENT_SECRET,
                "grantType": "authorization_code",
                "code": code,
            }
        )
        assert grant["expiresIn"] == 86_399
        assert grant["userType"] == "Location"
        rotated = await ghl.oauth.refresh_token(
            grant["refreshToken"], DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, "refresh_token", "Location"
        )
        assert rotated["accessToken"] != grant["accessToken"]
        with pytest.raises(GHLError) as reused:
            await ghl.oauth.refresh_token(
                grant["refreshToken"], DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, "refresh_token", "Location"
            )
        assert reused.value.status_code == 401
        agency = await ghl.oauth.get_access_token(
            {"clientId": DEFAULT_CLIENT_ID, "clientSecret": DEFAULT_CLIENT_SECRET, "grantType": "client_credentials"}
        )
        app = {"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET, "log_level": "none"}
        as_agency = local(agency_access_token=agency["accessToken"], **app)
        try:
            location = await as_agency.oauth.get_location_access_token(
                {"companyId": agency["companyId"], "locationId": LOCATION}
            )
            assert location["locationId"] == LOCATION
            installed = await as_agency.oauth.get_installed_location(
                agency["companyId"], DEFAULT_CLIENT_ID.split("-")[0]
            )
            assert installed["items"][0]["_id"] == LOCATION
        finally:
            await as_agency.http_client.aclose()
        as_location = local(location_access_token=location["accessToken"], **app)
        try:
            assert (await as_location.locations.get_location(LOCATION))["location"]["id"] == LOCATION
        finally:
            await as_location.http_client.aclose()

    run_sdk(scenario)
