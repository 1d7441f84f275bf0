"""Webhooks out over real sockets: deliveries verify with the emulator's published keys (GHL's SDK's own
verifiers), retries happen only after a 429, a receiver that is down loses the event, and each simulated
engagement fires the events GHL would fire."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from highlevel.webhook.webhook_manager import WebhookManager

from leadflow_emulators.common.clock import Clock
from leadflow_emulators.ghl.models import GhlBackend
from leadflow_emulators.ghl.signing import ED25519_PUBLIC, RSA_PUBLIC, SigningKeys
from tests.emulators.ghl.conftest import LOCATION, TOKEN, V2, V2C
from tests.emulators.ghl.receiver import Receiver
from tests.emulators.ghl.webhook_docs import webhook_checker
from tests.emulators.live_server import LiveServer
from tests.specs import GHL_OPENAPI, spec_path


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    hook = Receiver()
    with LiveServer(hook.app) as server:
        yield hook, f"{server.url}/hook"


@pytest.fixture
def ghl(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {TOKEN}", **V2}, timeout=10) as client:
        client.post("/_emulator/webhooks", json={"retry_interval": 0.05})
        yield client


def _flush(client: httpx.Client) -> list[dict[str, Any]]:
    reply = client.post("/_emulator/webhooks/flush", json={"timeout": 10}).json()
    assert reply["idle"] is True
    deliveries: list[dict[str, Any]] = reply["deliveries"]
    return deliveries


def test_deliveries_verify_with_the_published_keys(ghl: httpx.Client, receiver: tuple[Receiver, str]) -> None:
    hook, url = receiver
    ghl.post("/_emulator/webhooks", json={"urls": [url]})
    contact = ghl.post("/contacts/", json={"locationId": LOCATION, "email": "hook@example.com", "tags": ["a"]}).json()[
        "contact"
    ]
    deliveries = _flush(ghl)
    assert [d["type"] for d in deliveries] == ["ContactCreate"]
    assert deliveries[0]["outcome"] == "delivered"
    raw, headers = hook.received[0]
    keys = ghl.get("/_emulator/webhooks/keys").json()
    manager = WebhookManager.__new__(WebhookManager)
    manager.logger = type("Quiet", (), {"debug": print, "warn": print, "error": print})()
    assert manager.verify_ed25519_signature(raw.decode(), headers["x-ghl-signature"], keys["ed25519"]) is True
    assert manager.verify_signature(raw.decode(), headers["x-wh-signature"], keys["rsa"]) is True
    assert manager.verify_ed25519_signature(raw.decode() + " ", headers["x-ghl-signature"], keys["ed25519"]) is False
    body = httpx.Response(200, content=raw).json()
    checker = webhook_checker()
    if checker is not None:
        checker.check(body)
    assert body["type"] == "ContactCreate"
    assert body["locationId"] == LOCATION
    assert body["id"] == contact["id"]
    assert body["webhookId"]
    assert body["timestamp"]
    assert body["appId"]
    assert body["tags"] == ["a"]


def test_retried_only_after_429(ghl: httpx.Client, receiver: tuple[Receiver, str]) -> None:
    hook, url = receiver
    ghl.post("/_emulator/webhooks", json={"urls": [url]})
    hook.script = [429, 429, 200]
    ghl.post("/contacts/", json={"locationId": LOCATION, "email": "retry@example.com"})
    deadline_ok = False
    for _ in range(50):
        deliveries = _flush(ghl)
        if deliveries[0]["outcome"] == "delivered":
            deadline_ok = True
            break
        threading.Event().wait(0.05)
    assert deadline_ok
    assert [a["status"] for a in deliveries[0]["attempts"]] == [429, 429, 200]
    hook.script = [500]
    ghl.post("/contacts/", json={"locationId": LOCATION, "email": "final@example.com"})
    final = _flush(ghl)[-1]
    assert final["outcome"] == "lost"
    assert [a["status"] for a in final["attempts"]] == [500]


def test_at_most_six_retries(ghl: httpx.Client, receiver: tuple[Receiver, str]) -> None:
    hook, url = receiver
    ghl.post("/_emulator/webhooks", json={"urls": [url], "retry_interval": 0.01})
    hook.script = [429] * 10
    ghl.post("/contacts/", json={"locationId": LOCATION, "email": "many@example.com"})
    for _ in range(100):
        delivery = _flush(ghl)[0]
        if delivery["outcome"] != "retrying":
            break
        threading.Event().wait(0.02)
    assert delivery["outcome"] == "lost"
    assert len(delivery["attempts"]) == 7


def test_a_receiver_that_is_down_loses_the_event(ghl: httpx.Client) -> None:
    ghl.post("/_emulator/webhooks", json={"urls": ["http://127.0.0.1:9/hook"]})
    ghl.post("/contacts/", json={"locationId": LOCATION, "email": "down@example.com"})
    delivery = _flush(ghl)[0]
    assert delivery["outcome"] == "lost"
    assert len(delivery["attempts"]) == 1
    assert "error" in delivery["attempts"][0]


def test_engagement_fires_the_events_ghl_fires(
    ghl: httpx.Client, receiver: tuple[Receiver, str], backend: GhlBackend
) -> None:
    hook, url = receiver
    pipeline = {"id": "p1", "name": "Sales", "stages": [{"id": "s1", "name": "New"}, {"id": "s2", "name": "Met"}]}
    seed = [{"kind": "pipeline", "record": pipeline}, {"kind": "calendar", "record": {"name": "Calls"}}]
    ghl.post("/_emulator/seed", content="\n".join(json.dumps(line) for line in seed))
    contact = ghl.post(
        "/contacts/", json={"locationId": LOCATION, "email": "eng@example.com", "phone": "+14155550100"}
    ).json()["contact"]
    sent = ghl.post(
        "/conversations/messages",
        json={"type": "Email", "contactId": contact["id"], "subject": "Intro", "html": "<p>Hi</p>"},
        headers=V2C,
    ).json()
    ghl.post(
        "/opportunities/",
        json={"pipelineId": "p1", "locationId": LOCATION, "name": "Deal", "status": "open", "contactId": contact["id"]},
    )
    ghl.post("/_emulator/webhooks", json={"urls": [url]})
    outcomes = {}
    for kind in ("open", "click", "reply", "bounce", "unsubscribe", "call", "booking", "stage_change"):
        reply = ghl.post("/_emulator/engagement", json={"kind": kind, "contactId": contact["id"]})
        assert reply.status_code == 200, reply.text
        outcomes[kind] = reply.json()
    _flush(ghl)
    bodies = [httpx.Response(200, content=raw).json() for raw, _ in hook.received]
    checker = webhook_checker()
    for body in bodies:
        if checker is not None:
            checker.check(body)
    stats = [b["webhookPayload"] for b in bodies if b["type"] == "LCEmailStats"]
    assert [s["event"] for s in stats] == ["opened", "clicked", "failed", "unsubscribed"]
    assert {s["lc_operations"]["email_message_id"] for s in stats} == {sent["emailMessageId"]}
    inbound = [b for b in bodies if b["type"] == "InboundMessage"]
    assert inbound[0]["messageType"] == "Email"
    assert inbound[0]["threadId"] == sent["emailMessageId"]
    assert inbound[1]["messageType"] == "CALL"
    assert inbound[1]["callDuration"] == 120
    dnd = next(b for b in bodies if b["type"] == "ContactDndUpdate")
    assert dnd["dndSettings"]["Email"]["status"] == "active"
    assert any(b["type"] == "AppointmentCreate" and b["appointment"]["contactId"] == contact["id"] for b in bodies)
    stage = next(b for b in bodies if b["type"] == "OpportunityStageUpdate")
    assert stage["pipelineStageId"] == "s2"
    refused = ghl.post(
        "/conversations/messages", json={"type": "Email", "contactId": contact["id"], "html": "x"}, headers=V2C
    )
    assert refused.status_code == 400  # unsubscribed: Email DND
    assert ghl.post("/_emulator/engagement", json={"kind": "dance", "contactId": contact["id"]}).status_code == 400


def test_key_directory_is_written_and_reused(tmp_path: Path) -> None:
    keys = SigningKeys.in_directory(tmp_path / "keys")
    assert (tmp_path / "keys" / ED25519_PUBLIC).read_text() == keys.ed25519_public_pem
    assert (tmp_path / "keys" / RSA_PUBLIC).read_text() == keys.rsa_public_pem
    again = SigningKeys.in_directory(tmp_path / "keys")
    assert again.ed25519_public_pem == keys.ed25519_public_pem
    assert again.verify(b"x", keys.sign(b"x"))


def test_every_event_type_matches_its_webhook_doc(backend: GhlBackend) -> None:
    """Each event the emulator fires, produced through the backend, against the schema in GHL's docs."""
    spec_path(*GHL_OPENAPI, "docs", "webhook events")
    checker = webhook_checker()
    assert checker is not None
    backend.seed(
        [
            {
                "kind": "pipeline",
                "record": {"id": "p", "name": "S", "stages": [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]},
            },
            {"kind": "calendar", "record": {"id": "cal", "name": "Calls"}},
        ]
    )
    with backend.transaction():
        contact = backend.contacts.create({"locationId": LOCATION, "email": "doc@example.com", "tags": ["x"]})
        backend.contacts.add_tags(contact["id"], ["y"])
        backend.activities.create_note(contact["id"], {"body": "n"})
        backend.activities.create_task(
            contact["id"], {"title": "t", "dueDate": "2026-12-24T10:00:00Z", "completed": False}
        )
        opp = backend.opportunities.create(
            {"pipelineId": "p", "locationId": LOCATION, "name": "D", "status": "open", "contactId": contact["id"]}
        )
        backend.opportunities.move_stage(opp["id"], "b")
        backend.opportunities.set_status(opp["id"], "won")
        backend.conversations.send({"type": "Email", "contactId": contact["id"], "html": "Hi", "subject": "S"})
        for kind in ("delivered", "open", "click", "reply", "bounce", "complaint", "unsubscribe", "call", "booking"):
            backend.engagement.simulate({"kind": kind, "contactId": contact["id"]})
        backend.contacts.delete(contact["id"])
    for event in backend.events:
        checker.check(event)
    assert set(checker.checked) >= {
        "ContactCreate", "ContactUpdate", "ContactTagUpdate", "ContactDndUpdate", "ContactDelete", "NoteCreate",
        "TaskCreate", "OpportunityCreate", "OpportunityStageUpdate", "OpportunityStatusUpdate", "OutboundMessage",
        "InboundMessage", "LCEmailStats", "AppointmentCreate",
    }  # fmt: skip


def test_a_simulated_week_is_backdated_keyed_and_batched(
    ghl: httpx.Client, receiver: tuple[Receiver, str], clock: Clock
) -> None:
    hook, url = receiver
    pipeline = {"id": "p1", "name": "Sales", "stages": [{"id": "s1", "name": "New"}, {"id": "s2", "name": "Met"}]}
    seed = [{"kind": "pipeline", "record": pipeline}, {"kind": "calendar", "record": {"id": "cal1", "name": "Calls"}}]
    ghl.post("/_emulator/seed", content="\n".join(json.dumps(line) for line in seed))
    contact = ghl.post("/contacts/", json={"locationId": LOCATION, "email": "week@example.com"}).json()["contact"]
    ghl.post("/_emulator/webhooks", json={"urls": [url]})
    now = clock.now()
    monday, tuesday = (now - timedelta(days=6)).isoformat(), (now - timedelta(days=5)).isoformat()
    items = [
        {"kind": "send", "contactId": contact["id"], "subject": "Intro", "at": monday, "key": "w:send"},
        {"kind": "open", "contactId": contact["id"], "at": tuesday, "key": "w:open"},
        {"kind": "bounce", "contactId": contact["id"], "severity": "temporary", "at": tuesday, "key": "w:soft"},
        {"kind": "opportunity", "contactId": contact["id"], "monetaryValue": 500, "at": tuesday, "key": "w:opp"},
        {"kind": "stage_change", "contactId": contact["id"], "at": tuesday, "key": "w:stage"},
        {"kind": "open", "contactId": "nobody", "key": "w:nobody"},
        {"kind": "open", "contactId": contact["id"], "at": (now + timedelta(hours=1)).isoformat()},
        {"kind": "bounce", "contactId": contact["id"], "severity": "sometimes"},
    ]
    first = ghl.post("/_emulator/engagement/batch", json={"items": items}).json()
    assert (first["applied"], first["duplicates"], first["refused"]) == (5, 0, 3)
    assert "in the future" in first["results"][6]["error"]
    assert "severity" in first["results"][7]["error"]
    _flush(ghl)
    bodies = [httpx.Response(200, content=raw).json() for raw, _ in hook.received]
    assert [b["type"] for b in bodies] == [
        "OutboundMessage", "LCEmailStats", "LCEmailStats", "OpportunityCreate", "OpportunityStageUpdate"
    ]  # fmt: skip
    outbound, opened, soft = bodies[0], bodies[1]["webhookPayload"], bodies[2]["webhookPayload"]
    assert outbound["dateAdded"].startswith(monday[:19])
    assert outbound["source"] == "workflow"
    assert opened["timestamp"] == int(datetime.fromisoformat(tuesday).timestamp())
    assert (soft["severity"], soft["delivery-status"]["code"]) == ("temporary", 452)
    assert bodies[4]["pipelineStageId"] == "s2"
    # the webhook itself carries the time it was sent: within the receiver's tolerance
    assert all(abs(datetime.fromisoformat(b["timestamp"].replace("Z", "+00:00")) - now) < timedelta(seconds=5)
               for b in bodies)  # fmt: skip
    # the same week again: every keyed engagement is a duplicate, with its first outcome, and nothing fires
    again = ghl.post("/_emulator/engagement/batch", json={"items": items[:5]}).json()
    assert (again["applied"], again["duplicates"]) == (0, 5)
    assert again["results"][0]["outcome"]["emailMessageId"] == first["results"][0]["outcome"]["emailMessageId"]
    _flush(ghl)
    assert len(hook.received) == 5
    state = ghl.get("/_emulator/webhooks").json()
    assert state["pending"] == 0
    assert state["outcomes"] == {"delivered": 5}
    # Email DND: an unsubscribed contact is sent nothing
    ghl.post("/_emulator/engagement", json={"kind": "unsubscribe", "contactId": contact["id"]})
    refused = ghl.post("/_emulator/engagement", json={"kind": "send", "contactId": contact["id"]})
    assert refused.status_code == 400
    assert "DND" in refused.json()["error"]
