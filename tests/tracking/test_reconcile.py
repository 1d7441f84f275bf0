"""``leadflow track reconcile`` against the GHL emulator: replies and calls simulated while the service is down
are lost by GHL's webhooks (it retries only 429s) and recovered by the poll; polling twice, or a webhook and a
poll of the same message, store and apply it once."""

from __future__ import annotations

import socket
from pathlib import Path

import sqlalchemy as sa

from leadflow.config import GhlSettings, Settings, SyncSettings
from leadflow.pipeline.track import tracking_worker
from leadflow.store import kv, open_store
from leadflow.sync.ghl_target import GhlTarget
from leadflow.sync.runner import SyncRunner
from leadflow.tracking.reconcile import GHL_CURSOR, Reconciler, message_delivery
from leadflow.tracking.worker import events_of
from tests.ghl.conftest import Emulator, make_client
from tests.sync import golden
from tests.web.test_webhook_intake import Server


def _closed_port_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there: the service is "down"
    return f"http://127.0.0.1:{port}/webhooks/ghl"


def _settings(database_url: str, keys: dict[str, str]) -> Settings:
    return Settings(
        database_url=database_url,
        ghl=GhlSettings(webhook_public_key=keys["ed25519"], webhook_legacy_public_key=keys["rsa"]),
    )


def _kinds(engine: sa.Engine, person: str) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                sa.text("select event_type from engagement_events where golden_person_id = :p order by id"),
                {"p": person},
            ).scalars()
        )


def _message_deliveries(engine: sa.Engine) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                sa.text("select vendor_event_id from webhook_deliveries where vendor_event_id like 'message:%'")
            ).scalars()
        )


def test_reconcile_recovers_what_the_webhooks_lost_once(tmp_path: Path, emulator: Emulator, database_url: str) -> None:
    settings = _settings(database_url, emulator.control("GET", "webhooks/keys"))
    engine = open_store(settings.database_url)
    people = golden.populate(engine, 3, companies=1)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "insert into record_tags (golden_person_id, target, desired, applied, custom_fields, updated_at)"
                " select golden_person_id, 'ghl', desired, '[]', custom_fields, updated_at from record_tags"
            )
        )
    ghl = make_client(emulator, tmp_path / "client")
    SyncRunner(engine, GhlTarget(ghl), SyncSettings(), tag_prefix="lf-").run()
    with engine.connect() as connection:
        contact_of = dict(
            connection.execute(sa.text("select golden_id, remote_id from sync_records where target = 'ghl'")).all()
        )
    person, contact = people[0], contact_of[people[0]]

    # the service is down: every delivery fails and GHL does not retry it
    emulator.control("POST", "webhooks", {"urls": [_closed_port_url()]})
    ghl.conversations.send(contact, "Email", subject="Quick question", html="<p>Hi</p>")
    emulator.control("POST", "engagement", {"kind": "reply", "contactId": contact, "body": "Yes, call me"})
    emulator.control("POST", "engagement", {"kind": "call", "contactId": contact, "callDuration": 300})
    emulator.control("POST", "webhooks/flush", {"timeout": 10})
    lost = [d for d in emulator.state()["deliveries"] if d["outcome"] == "lost"]
    assert len(lost) >= 3  # sent, reply, call (and the contact's own events)
    assert _message_deliveries(engine) == []

    reconciler = Reconciler(engine, conversations=ghl.conversations)
    first = reconciler.run()
    assert (first.ghl_messages, first.ghl_new) == (3, 3)
    with engine.connect() as connection:
        assert kv.get_value(connection, key=GHL_CURSOR) is not None
    worker, rescore = tracking_worker(engine, settings)
    tally = worker.drain()
    rescore.flush()
    assert tally.failed == 0
    assert tally.parked == 0
    assert sorted(_kinds(engine, person)) == ["call_connected", "email_replied", "email_sent"]

    again = reconciler.run()  # the cursor's overlap reads the same messages again: nothing new
    assert again.ghl_messages == 3
    assert again.ghl_new == 0

    # the service is back: a webhook and the next poll bring the same reply; it is stored and applied once
    server = Server(settings)
    try:
        emulator.control("POST", "webhooks", {"urls": [f"{server.url}/webhooks/ghl"]})
        emulator.control("POST", "engagement", {"kind": "reply", "contactId": contact, "body": "Tuesday works"})
        emulator.control("POST", "webhooks/flush", {"timeout": 10})
    finally:
        server.close()
    assert len(_message_deliveries(engine)) == 4
    late = reconciler.run()
    assert late.ghl_messages == 4
    assert late.ghl_new == 0
    worker.drain()
    assert sorted(_kinds(engine, person)) == ["call_connected", "email_replied", "email_replied", "email_sent"]
    assert len(set(_message_deliveries(engine))) == 4


def test_a_polled_message_reads_as_its_webhook() -> None:
    webhook = {
        "type": "InboundMessage",
        "webhookId": "w-1",
        "messageId": "m-1",
        "messageType": "CALL",
        "direction": "inbound",
        "contactId": "c-1",
        "callDuration": 95,
        "callStatus": "completed",
        "dateAdded": "2026-12-04T10:00:00.000Z",
    }
    message = {
        "id": "m-1",
        "messageType": "TYPE_CALL",
        "direction": "inbound",
        "status": "connected",
        "contactId": "c-1",
        "conversationId": "conv-1",
        "dateAdded": "2026-12-04T10:00:00.000Z",
        "meta": {"callDuration": "95", "callStatus": "completed"},
    }
    polled = message_delivery(message, {"id": "conv-1"})
    assert polled is not None
    from leadflow.tracking.ghl_events import to_events

    hooked = to_events(webhook)[0]
    assert polled.vendor_event_id == hooked.vendor_event_id == "message:m-1"
    import json

    from leadflow.store.tracking import Delivery

    as_stored = Delivery(
        id=1, source="ghl", vendor_event_id=polled.vendor_event_id, event_type=polled.event_type,
        contact_key=polled.contact_key, body=json.dumps(dict(polled.body)).encode(),
        received_at=hooked.occurred_at, attempts=0,
    )  # fmt: skip
    event = events_of(as_stored)[0]
    assert (event.kind, event.ghl_contact_id, event.occurred_at) == (hooked.kind, "c-1", hooked.occurred_at)
    assert message_delivery({"id": "x", "messageType": "TYPE_ACTIVITY_CONTACT"}, {}) is None
