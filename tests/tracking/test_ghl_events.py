"""GHL webhooks from the GHL emulator's engagement simulation, received over a real socket, verified with
the emulator's published keys and turned into tracked events."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from leadflow.ghl.webhooks import SignatureVerifier
from leadflow.tracking.ghl_events import parse_time, to_events
from tests.ghl.conftest import Emulator


class Receiver:
    """A real HTTP receiver on 127.0.0.1 that keeps every delivery's raw bytes and headers."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[bytes, dict[str, str]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                owner.deliveries.append((self.rfile.read(length), dict(self.headers.items())))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/ghl"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_engagement_round_trip(emulator: Emulator, receiver: Receiver, tmp_path: Path) -> None:
    from leadflow.ghl import GhlClient
    from tests.ghl.conftest import make_client

    emulator.control("POST", "webhooks", {"urls": [receiver.url]})
    emulator.seed([{"kind": "calendar", "record": {"id": "calDemo00000000000001", "name": "Discovery"}}])
    ghl: GhlClient = make_client(emulator, tmp_path)
    contact = ghl.contacts.create({"firstName": "Ada", "email": "ada@example.com"})
    ghl.conversations.send(contact["id"], "Email", subject="Hello", html="<p>Hi</p>")
    for kind in ("open", "click", "reply", "call", "booking", "bounce", "unsubscribe"):
        emulator.control("POST", "engagement", {"kind": kind, "contactId": contact["id"]})
    emulator.control("POST", "webhooks/flush", {"timeout": 10})

    keys = emulator.control("GET", "webhooks/keys")
    verifier = SignatureVerifier(ed25519_pem=keys["ed25519"], rsa_pem=keys["rsa"])
    kinds: list[str] = []
    ids: set[str] = set()
    for raw, headers in receiver.deliveries:
        assert verifier.verify(raw, headers).ok
        body = json.loads(raw)
        assert parse_time(body["timestamp"]) is not None
        for event in to_events(body, raw):
            kinds.append(event.kind)
            ids.add(event.vendor_event_id)
            if event.is_engagement:
                assert event.ghl_contact_id == contact["id"] or event.email == "ada@example.com"
    for expected in (
        "email_opened",
        "email_clicked",
        "email_replied",
        "call_connected",
        "meeting_booked",
        "unsubscribed",
        "dnd_changed",
        "contact_created",
    ):
        assert expected in kinds, (expected, kinds)
    assert "email_bounced_hard" in kinds or "email_bounced_soft" in kinds
    assert len(ids) == len(receiver.deliveries)  # one webhookId per delivery


def test_unknown_and_odd_bodies_never_raise() -> None:
    assert [e.kind for e in to_events({"type": "InvoicePaid", "webhookId": "w"})] == ["unknown"]
    assert to_events({}, b"{}")[0].vendor_event_id.startswith("sha256:")
    stats = to_events(
        {
            "type": "LCEmailStats",
            "webhookId": "w",
            "webhookPayload": {"event": "failed", "delivery-status": {"code": 550}, "recipient": "a@b.co"},
        }
    )
    assert stats[0].kind == "email_bounced_hard"
    assert stats[0].email == "a@b.co"
    soft = to_events(
        {"type": "LCEmailStats", "webhookId": "w2", "webhookPayload": {"event": "failed", "severity": "temporary"}}
    )
    assert soft[0].kind == "email_bounced_soft"
    voicemail = to_events({"type": "InboundMessage", "webhookId": "w3", "messageType": "CALL", "status": "voicemail"})
    assert voicemail[0].kind == "call_missed"
