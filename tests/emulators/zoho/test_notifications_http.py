"""Instant notifications end to end: channels over HTTP (checked against Zoho's OAS) and callbacks that
reach a real HTTP receiver once per change, from REST, bulk write and lead conversion alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from leadflow_emulators.common.clock import iso
from leadflow_emulators.zoho.bulk import make_zip
from leadflow_emulators.zoho.models import ZohoBackend
from leadflow_emulators.zoho.models.users import ZGID

from .bulk_http_support import CallbackReceiver, wait_for

CHANNEL = "1000000068001"


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    with CallbackReceiver() as receiver:
        yield receiver


def _watch(api: TestClient, method: str = "POST", **item: Any) -> Any:
    return api.request(method, "/crm/v8/actions/watch", json={"watch": [{"channel_id": CHANNEL, **item}]})


def _delivered(backend: ZohoBackend, receiver: CallbackReceiver) -> list[dict[str, Any]]:
    backend.watches.drain()
    return list(receiver.bodies)


def _by_module(bodies: list[dict[str, Any]]) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    for body in bodies:
        out.setdefault((body["module"], body["operation"]), []).extend(body["ids"])
    return out


def test_rest_bulk_write_and_convert_each_notify_once_with_the_token(
    api: TestClient, backend: ZohoBackend, receiver: CallbackReceiver
) -> None:
    enabled = _watch(
        api,
        events=["Leads.all", "Contacts.create", "Accounts.create", "Deals.create"],
        notify_url=f"{receiver.url}?org=acme",
        token="verify-me",
        return_affected_field_values=True,
    )
    assert enabled.status_code == 201
    assert {event["resource_name"] for event in enabled.json()["watch"][0]["details"]["events"]} == {
        "Leads",
        "Contacts",
        "Accounts",
        "Deals",
    }

    created = api.post("/crm/v8/Leads", json={"data": [{"Last_Name": "Ng", "Company": "Acme"}]}).json()
    lead_id = created["data"][0]["details"]["id"]
    [insert] = _delivered(backend, receiver)
    assert (insert["module"], insert["operation"], insert["ids"]) == ("Leads", "insert", [lead_id])
    assert (insert["token"], insert["channel_id"], insert["query_params"]) == ("verify-me", CHANNEL, {"org": "acme"})

    api.put(f"/crm/v8/Leads/{lead_id}", json={"data": [{"Company": "Acme Corp"}]})
    update = _delivered(backend, receiver)[-1]
    assert (update["operation"], update["affected_fields"]) == ("update", [{lead_id: ["Company"]}])
    assert update["affected_values"] == [{"record_id": lead_id, "values": {"Company": "Acme Corp"}}]

    receiver.bodies.clear()
    upload = api.post(
        "/crm/v8/upload",
        files={
            "file": ("leads.zip", make_zip("leads.csv", [["Last_Name"], ["Bulk One"], ["Bulk Two"]]), "application/zip")
        },
        headers={"feature": "bulk-write", "X-CRM-ORG": ZGID},
    )
    job = api.post(
        "/crm/bulk/v8/write",
        json={
            "operation": "insert",
            "resource": [
                {
                    "type": "data",
                    "module": {"api_name": "Leads"},
                    "file_id": upload.json()["details"]["file_id"],
                    "field_mappings": [{"api_name": "Last_Name", "index": 0}],
                }
            ],
        },
    ).json()
    wait_for(api, f"/crm/bulk/v8/write/{job['details']['id']}")
    bulk_ids = backend.find("Leads", "Last_Name", "Bulk One") + backend.find("Leads", "Last_Name", "Bulk Two")
    assert _by_module(_delivered(backend, receiver)) == {("Leads", "insert"): bulk_ids}

    receiver.bodies.clear()
    converted = api.post(
        f"/crm/v8/Leads/{lead_id}/actions/convert",
        json={"data": [{"Deals": {"Deal_Name": "Acme deal", "Stage": "Qualification", "Closing_Date": "2027-01-31"}}]},
    ).json()["data"][0]["details"]
    bodies = _delivered(backend, receiver)
    assert _by_module(bodies) == {
        ("Accounts", "insert"): [converted["Accounts"]["id"]],
        ("Contacts", "insert"): [converted["Contacts"]["id"]],
        ("Deals", "insert"): [converted["Deals"]["id"]],
        ("Leads", "update"): [lead_id],
    }
    assert all(body["token"] == "verify-me" for body in bodies)

    receiver.bodies.clear()
    disabled = api.delete("/crm/v8/actions/watch", params={"channel_ids": CHANNEL})
    assert disabled.json()["watch"][0]["message"] == "Successfully un-subscribed from actions-watch"
    api.post("/crm/v8/Leads", json={"data": [{"Last_Name": "After"}]})
    assert _delivered(backend, receiver) == []


def test_no_callbacks_after_expiry_and_the_channel_disappears(
    api: TestClient, backend: ZohoBackend, receiver: CallbackReceiver
) -> None:
    expiry = backend.clock.now() + timedelta(minutes=10)
    _watch(api, events=["Contacts.edit"], notify_url=receiver.url, channel_expiry=iso(expiry))
    contact = api.post("/crm/v8/Contacts", json={"data": [{"Last_Name": "Lee"}]}).json()["data"][0]["details"]["id"]
    assert _delivered(backend, receiver) == []  # create is not watched
    api.put(f"/crm/v8/Contacts/{contact}", json={"data": [{"Title": "CTO"}]})
    assert len(_delivered(backend, receiver)) == 1
    backend.clock.advance(11 * 60)
    api.put(f"/crm/v8/Contacts/{contact}", json={"data": [{"Title": "CEO"}]})
    assert len(_delivered(backend, receiver)) == 1
    assert api.get("/crm/v8/actions/watch").status_code == 204


def test_expiry_beyond_one_day_is_cut_to_one_day_and_default_is_one_hour(api: TestClient, backend: ZohoBackend) -> None:
    now = backend.clock.now()
    _watch(
        api,
        events=["Leads.create"],
        notify_url="https://hooks.example/zoho",
        channel_expiry=iso(now + timedelta(days=7)),
    )
    listed = api.get("/crm/v8/actions/watch", params={"channel_id": CHANNEL}).json()["watch"][0]
    assert listed["channel_expiry"] == iso(now + timedelta(days=1))
    api.delete("/crm/v8/actions/watch", params={"channel_ids": CHANNEL})
    _watch(api, events=["Leads.create"], notify_url="https://hooks.example/zoho")
    listed = api.get("/crm/v8/actions/watch", params={"module": "Leads"}).json()["watch"][0]
    assert listed["channel_expiry"] == iso(now + timedelta(hours=1))


def test_put_replaces_and_patch_merges_or_removes_events(api: TestClient) -> None:
    _watch(api, events=["Leads.create"], notify_url="https://hooks.example/zoho", token="a")
    _watch(api, "PATCH", events=["Deals.all"])
    listed = api.get("/crm/v8/actions/watch").json()["watch"]
    assert {item["resource_name"]: item["events"] for item in listed} == {
        "Leads": ["Leads.create"],
        "Deals": ["Deals.all"],
    }
    removed = _watch(api, "PATCH", events=["Deals.all"], _delete_events=True)
    assert removed.json()["watch"][0]["message"] == "Successfully removed the subscribe details"
    replaced = _watch(api, "PUT", events=["Contacts.edit"], notify_url="https://hooks.example/other")
    assert replaced.json()["watch"][0]["message"] == "Successfully updated the subscribe details"
    [only] = api.get("/crm/v8/actions/watch").json()["watch"]
    assert (only["resource_name"], only["notify_url"], only["token"]) == (
        "Contacts",
        "https://hooks.example/other",
        None,
    )


@pytest.mark.parametrize(
    ("item", "api_name"),
    [
        ({"events": ["Leads.create"]}, "notify_url"),
        ({"notify_url": "https://hooks.example/z"}, "events"),
        ({"events": ["Leads.create"], "notify_url": "not a url"}, "notify_url"),
        ({"events": ["Nowhere.create"], "notify_url": "https://hooks.example/z"}, "events"),
        ({"events": ["Leads.touch"], "notify_url": "https://hooks.example/z"}, "events"),
        ({"events": ["Leads.create"], "notify_url": "https://hooks.example/z", "token": "x" * 51}, "token"),
    ],
)
def test_enable_errors_name_the_bad_key(api: TestClient, item: dict[str, Any], api_name: str) -> None:
    reply = _watch(api, **item)
    assert reply.status_code == 400
    [error] = reply.json()["watch"]
    assert error["status"] == "error"
    assert error["details"]["api_name"] == api_name


def test_an_unreachable_notify_url_is_recorded_as_a_failed_delivery(api: TestClient, backend: ZohoBackend) -> None:
    # Zoho does not probe notify_url when a channel is enabled; a callback that cannot be delivered is lost.
    assert _watch(api, events=["Leads.create"], notify_url="http://127.0.0.1:9/closed").status_code == 201
    api.post("/crm/v8/Leads", json={"data": [{"Last_Name": "Lost"}]})
    backend.watches.drain()
    [delivery] = backend.watches.deliveries
    assert delivery.status is None
    assert delivery.error is not None
    assert "Connect" in delivery.error
    assert api.delete("/crm/v8/actions/watch", params={"channel_ids": "42"}).status_code == 400


def test_notify_on_related_action_reports_a_note_on_a_watched_record(
    api: TestClient, backend: ZohoBackend, receiver: CallbackReceiver
) -> None:
    lead = api.post("/crm/v8/Leads", json={"data": [{"Last_Name": "Parent"}]}).json()["data"][0]["details"]["id"]
    _watch(api, events=["Leads.edit"], notify_url=receiver.url, token="t", notify_on_related_action=True)
    note = {"Note_Content": "called", "Parent_Id": {"module": {"api_name": "Leads"}, "id": lead}}
    api.post("/crm/v8/Notes", json={"data": [note]})
    [body] = _delivered(backend, receiver)
    assert (body["module"], body["operation"], body["ids"]) == ("Leads", "update", [lead])
    assert body["affected_fields"] == [{lead: ["Notes"]}]
    receiver.bodies.clear()
    _watch(api, "PATCH", notify_on_related_action=False)
    api.post("/crm/v8/Notes", json={"data": [note]})
    assert _delivered(backend, receiver) == []


def test_the_control_plane_flushes_callbacks_and_counts_their_outcomes(
    api: TestClient, receiver: CallbackReceiver
) -> None:
    assert _watch(api, events=["Leads.create"], notify_url=receiver.url, token="t").status_code == 201
    api.post("/crm/v8/Leads", json={"data": [{"Last_Name": "One"}]})
    api.post("/crm/v8/Leads", json={"data": [{"Last_Name": "Two"}]})
    flushed = api.post("/_emulator/notifications/flush").json()
    assert flushed == {"sent": 2, "outcomes": {"200": 2}}
    assert len(receiver.bodies) == 2  # every callback attempted before the answer
