"""Webhook intake over real sockets: leadflow's app served by uvicorn, the GHL emulator delivering signed
events to it, and hand-made deliveries for every way a body can be wrong."""

from __future__ import annotations

import base64
import json
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr

from leadflow.config import GhlSettings, Settings, TrackingSettings
from leadflow.store import open_store
from leadflow.store.secrets import SecretBox
from leadflow.tracking.channel_tokens import channel_token
from leadflow.web.app import create_app
from tests.ghl.conftest import Emulator, make_client


class Server:
    """``create_app(settings)`` served by uvicorn on 127.0.0.1 in a thread."""

    def __init__(self, settings: Settings) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


def _pem(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _settings(tmp_path: Path, ed25519_pem: str, rsa_pem: str = "", **tracking: Any) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'leadflow.db'}",
        ghl=GhlSettings(webhook_public_key=ed25519_pem, webhook_legacy_public_key=rsa_pem),
        tracking=TrackingSettings(
            zoho_channel_id="1000000068001",
            zoho_channel_token=SecretStr("chan-token-1"),
            zoho_workflow_secret=SecretStr("wf-secret-1"),
            **tracking,
        ),
    )


def _stored(tmp_path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(tmp_path / "leadflow.db") as db:
        return db.execute("select source, vendor_event_id, event_type from webhook_deliveries order by id").fetchall()


@pytest.fixture
def signer() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def server(tmp_path: Path, signer: Ed25519PrivateKey) -> Iterator[Server]:
    s = Server(_settings(tmp_path, _pem(signer)))
    yield s
    s.close()


def _signed(signer: Ed25519PrivateKey, body: dict[str, Any] | bytes) -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return raw, {"X-GHL-Signature": base64.b64encode(signer.sign(raw)).decode(), "Content-Type": "application/json"}


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def test_emulator_deliveries_are_stored_once_and_replays_absorbed(tmp_path: Path, emulator: Emulator) -> None:
    keys = emulator.control("GET", "webhooks/keys")
    server = Server(_settings(tmp_path, keys["ed25519"], keys["rsa"]))
    try:
        emulator.control("POST", "webhooks", {"urls": [f"{server.url}/webhooks/ghl"]})
        ghl = make_client(emulator, tmp_path / "client")
        contact = ghl.contacts.create({"firstName": "Ada", "email": "ada@example.com"})
        ghl.conversations.send(contact["id"], "Email", subject="Hello", html="<p>Hi</p>")
        for kind in ("open", "click", "reply"):
            emulator.control("POST", "engagement", {"kind": kind, "contactId": contact["id"]})
        deliveries = emulator.control("POST", "webhooks/flush", {"timeout": 10})["deliveries"]
        assert deliveries
        assert {d["outcome"] for d in deliveries} == {"delivered"}
        stored = _stored(tmp_path)
        assert len(stored) == len(deliveries)
        assert {"ContactCreate", "LCEmailStats", "InboundMessage"} <= {row[2] for row in stored}
        metrics = httpx.get(f"{server.url}/metrics").text
        assert f"leadflow_webhooks_received_total {len(deliveries)}" in metrics
        assert 'leadflow_webhooks_stored{state="received"}' in metrics
    finally:
        server.close()


def test_replay_forged_unsigned_stale_oversized_and_malformed(
    tmp_path: Path, server: Server, signer: Ed25519PrivateKey
) -> None:
    body = {"type": "ContactCreate", "locationId": "loc1", "id": "c1", "webhookId": "wh-1", "timestamp": _now()}
    raw, headers = _signed(signer, body)
    first = httpx.post(f"{server.url}/webhooks/ghl", content=raw, headers=headers)
    replay = httpx.post(f"{server.url}/webhooks/ghl", content=raw, headers=headers)
    assert (first.status_code, first.json()["status"]) == (200, "stored")
    assert (replay.status_code, replay.json()["status"]) == (200, "duplicate")

    forged = dict(headers, **{"X-GHL-Signature": base64.b64encode(b"x" * 64).decode()})
    other = json.dumps({**body, "webhookId": "wh-2"}).encode()
    assert httpx.post(f"{server.url}/webhooks/ghl", content=other, headers=forged).status_code == 401
    assert httpx.post(f"{server.url}/webhooks/ghl", content=other, headers={}).status_code == 401
    stale_body = {**body, "webhookId": "wh-3", "timestamp": (datetime.now(UTC) - timedelta(minutes=6)).isoformat()}
    assert (
        httpx.post(
            f"{server.url}/webhooks/ghl", content=_signed(signer, stale_body)[0], headers=_signed(signer, stale_body)[1]
        ).status_code
        == 401
    )
    huge = {**body, "webhookId": "wh-4", "padding": "x" * 1_100_000}
    assert (
        httpx.post(
            f"{server.url}/webhooks/ghl", content=_signed(signer, huge)[0], headers=_signed(signer, huge)[1]
        ).status_code
        == 413
    )
    broken, broken_headers = _signed(signer, b'{"type": "ContactCreate", ')
    assert httpx.post(f"{server.url}/webhooks/ghl", content=broken, headers=broken_headers).status_code == 400
    assert _stored(tmp_path) == [("ghl", "wh-1", "ContactCreate")]
    with sqlite3.connect(tmp_path / "leadflow.db") as db:
        letters = db.execute("select source, reason from dead_letters").fetchall()
    assert len(letters) == 1
    assert letters[0][1].startswith("malformed JSON")
    metrics = httpx.get(f"{server.url}/metrics").text
    assert 'leadflow_webhooks_rejected_total{reason="bad_signature"} 2' in metrics
    assert "leadflow_webhooks_duplicates_total 1" in metrics


def test_unknown_event_types_are_stored_not_refused(server: Server, signer: Ed25519PrivateKey, tmp_path: Path) -> None:
    raw, headers = _signed(signer, {"type": "InvoicePaid", "webhookId": "wh-9", "timestamp": _now()})
    assert httpx.post(f"{server.url}/webhooks/ghl", content=raw, headers=headers).status_code == 200
    assert _stored(tmp_path) == [("ghl", "wh-9", "InvoicePaid")]


def test_zoho_notifications_need_the_channel_token(server: Server, tmp_path: Path) -> None:
    note = {
        "server_time": 1764849600000,
        "module": "Deals",
        "resource_uri": "https://www.zohoapis.com/crm/v8/Deals",
        "ids": ["5725767000000412001"],
        "operation": "update",
        "channel_id": "1000000068001",
        "token": "chan-token-1",
        "affected_fields": [{"5725767000000412001": ["Stage"]}],
    }
    assert httpx.post(f"{server.url}/webhooks/zoho", json=note).status_code == 200
    assert httpx.post(f"{server.url}/webhooks/zoho", json=note).json()["status"] == "duplicate"
    assert httpx.post(f"{server.url}/webhooks/zoho", json={**note, "token": "guess"}).status_code == 401
    assert httpx.post(f"{server.url}/webhooks/zoho", json={**note, "channel_id": "9"}).status_code == 401
    assert [row[2] for row in _stored(tmp_path)] == ["Deals.update"]


def test_zoho_notifications_are_checked_against_the_generated_token_kept_encrypted(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'leadflow.db'}",
        secret_key=SecretStr(key),
        tracking=TrackingSettings(zoho_channel_id="1000000068001"),
    )
    token = channel_token(open_store(settings.database_url), "1000000068001", None, SecretBox(key))  # `serve`'s
    note = {
        "server_time": 1764849600000,
        "module": "Deals",
        "ids": ["5725767000000412001"],
        "operation": "update",
        "channel_id": "1000000068001",
        "token": token,
    }
    server = Server(settings)
    try:
        assert httpx.post(f"{server.url}/webhooks/zoho", json={**note, "token": "guess"}).status_code == 401
        assert httpx.post(f"{server.url}/webhooks/zoho", json=note).status_code == 200
    finally:
        server.close()
    assert [row[2] for row in _stored(tmp_path)] == ["Deals.update"]


def test_zoho_workflow_webhooks_json_or_form_with_the_shared_secret(server: Server, tmp_path: Path) -> None:
    form = {
        "module": "Leads",
        "id": "5725767000000400001",
        "Email": "ada@example.com",
        "Modified_Time": "2026-12-04T12:00:00+00:00",
    }
    assert httpx.post(f"{server.url}/webhooks/zoho/workflow", data=form).status_code == 401
    assert httpx.post(f"{server.url}/webhooks/zoho/workflow?secret=wf-secret-1", data=form).status_code == 200
    assert (
        httpx.post(
            f"{server.url}/webhooks/zoho/workflow", json=form, headers={"X-Leadflow-Secret": "wf-secret-1"}
        ).json()["status"]
        == "duplicate"
    )
    assert [row[0] for row in _stored(tmp_path)] == ["zoho_workflow"]


def test_a_saturated_intake_answers_429_with_retry_after(tmp_path: Path, signer: Ed25519PrivateKey) -> None:
    server = Server(_settings(tmp_path, _pem(signer), max_concurrent_intake=1))
    host, port = server.url.removeprefix("http://").split(":")
    slow = socket.create_connection((host, int(port)))
    try:
        # a delivery whose body never finishes arriving holds the only intake slot
        slow.sendall(
            b"POST /webhooks/ghl HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        time.sleep(0.3)
        raw, headers = _signed(signer, {"type": "ContactCreate", "webhookId": "wh-s", "timestamp": _now()})
        busy = httpx.post(f"{server.url}/webhooks/ghl", content=raw, headers=headers)
        assert busy.status_code == 429
        assert busy.headers["retry-after"] == "1"
    finally:
        slow.close()
        server.close()
