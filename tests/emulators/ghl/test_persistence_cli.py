"""Restart with ``--db`` keeps everything (in-process and as ``python -m leadflow_emulators ghl``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from highlevel.webhook.webhook_manager import WebhookManager

from leadflow_emulators.common.clock import Clock
from leadflow_emulators.ghl.models import GhlBackend
from tests.emulators.live_server import LiveServer
from tests.specs import REPO_ROOT

LOCATION = "cliLocation000000001"
TOKEN = "pit-9f1e2d3c-4b5a-4697-8877-665544332211"


def test_backend_reopened_from_its_file_has_every_record(tmp_path: Path) -> None:
    db = str(tmp_path / "ghl.db")
    first = GhlBackend(db_path=db, location_id=LOCATION, token=TOKEN, clock=Clock(frozen=True))
    first.seed([{"kind": "pipeline", "record": {"id": "p", "name": "S", "stages": [{"id": "s", "name": "New"}]}}])
    with first.transaction():
        contact = first.contacts.create({"locationId": LOCATION, "email": "keep@example.com", "tags": ["a"]})
        first.activities.create_note(contact["id"], {"body": "n"})
        first.opportunities.create(
            {"pipelineId": "p", "locationId": LOCATION, "name": "D", "status": "open", "contactId": contact["id"]}
        )
        first.directory.update_settings({"allowDuplicateOpportunity": True})
        sent = first.conversations.send({"type": "Email", "contactId": contact["id"], "html": "Hi", "subject": "S"})
    first.close()
    second = GhlBackend(db_path=db, location_id=LOCATION, token=TOKEN)
    assert second.contacts.get(contact["id"])["tags"] == ["a"]
    assert second.state()["counts"] | {} == {
        **second.state()["counts"],
        "contact": 1,
        "note": 1,
        "opportunity": 1,
        "pipeline": 1,
    }
    assert second.core.settings()["allowDuplicateOpportunity"] is True
    assert second.contacts.find_by("email", "KEEP@example.com") is not None  # the duplicate index is rebuilt
    with second.transaction():  # and the conversation index: a reply lands in the thread sent before the restart
        reply = second.engagement.simulate({"kind": "reply", "contactId": contact["id"]})
    assert reply["threadId"] == sent["_emailMessageId"]
    assert second.conversations.for_contact(contact["id"])["id"] == sent["conversationId"]
    second.close()


def test_a_restarted_backend_hands_out_new_ids_and_webhook_ids(tmp_path: Path) -> None:
    db = str(tmp_path / "ghl.db")
    first = GhlBackend(db_path=db, location_id=LOCATION, token=TOKEN, seed=3)
    with first.transaction():
        before = first.contacts.create({"locationId": LOCATION, "email": "one@example.com"})
    first_event = first.events[-1]["webhookId"]
    first.close()
    second = GhlBackend(db_path=db, location_id=LOCATION, token=TOKEN, seed=3)
    with second.transaction():
        after = second.contacts.create({"locationId": LOCATION, "email": "two@example.com"})
    # the seeded generator does not start over: a receiver that dedupes by webhookId would drop the new event
    assert after["id"] != before["id"]
    assert second.events[-1]["webhookId"] != first_event
    assert second.contacts.get(before["id"])["email"] == "one@example.com"
    second.close()


def _start(args: list[str]) -> tuple[subprocess.Popen[str], str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
    command = [sys.executable, "-m", "leadflow_emulators", "ghl", "--port", "0", *args]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(1 + ("--seed" in args))]
    banner = lines[-1]
    base = banner.split(" on ", 1)[1].split()[0]
    assert not base.endswith(":0"), banner
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/_emulator/state", timeout=1)
            return process, base, "".join(lines)
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(process.communicate()[0])


def _stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    return process.communicate(timeout=20)[0]


def test_cli_restart_with_db_seed_and_key_dir(tmp_path: Path) -> None:
    db, keys = tmp_path / "ghl.db", tmp_path / "keys"
    seed = tmp_path / "seed.jsonl"
    seed.write_text(
        "\n".join(
            json.dumps(line)
            for line in [
                {
                    "kind": "contact",
                    "record": {"id": "seededContact0000001", "email": "seed@example.com", "tags": ["Seed"]},
                },
                {"kind": "workflow", "record": {"id": "wf", "name": "Nurture", "status": "published", "version": 1}},
                {"kind": "custom_field", "record": {"name": "Score", "dataType": "NUMERICAL"}},
            ]
        )
    )
    args = ["--db", str(db), "--token", TOKEN, "--location-id", LOCATION, "--signing-key-dir", str(keys)]
    process, base, head = _start([*args, "--seed", str(seed)])
    headers = {"Authorization": f"Bearer {TOKEN}", "Version": "2021-07-28"}
    try:
        created = httpx.post(
            f"{base}/contacts/", json={"locationId": LOCATION, "email": "new@example.com"}, headers=headers
        )
        assert created.status_code == 201
        published = httpx.get(f"{base}/_emulator/webhooks/keys").json()
    finally:
        output = _stop(process)
    assert head.startswith("seeded {'contact': 1, 'workflow': 1, 'custom_field': 1}")
    assert "GoHighLevel emulator on" in head + output
    assert (keys / "webhook-ed25519-public.pem").read_text() == published["ed25519"]
    process, base, _ = _start([*args, "--burst", "7", "--daily", "9"])
    try:
        assert httpx.get(f"{base}/_emulator/limits").json() == {
            "enabled": True,
            "burst": 7,
            "burst_window_ms": 10_000,
            "daily": 9,
        }
        state = httpx.get(f"{base}/_emulator/state").json()
        assert state["counts"]["contact"] == 2
        assert state["counts"]["workflow"] == 1
        assert state["counts"]["custom_field"] == 1
        seeded = httpx.get(f"{base}/contacts/seededContact0000001", headers=headers).json()["contact"]
        assert seeded["tags"] == ["seed"]
        assert httpx.get(f"{base}/_emulator/webhooks/keys").json() == published
    finally:
        _stop(process)


def test_cli_delivers_webhooks_signed_with_the_key_files(tmp_path: Path) -> None:

    from tests.emulators.ghl.test_webhooks import Receiver

    hook = Receiver()
    keys = tmp_path / "keys"
    with LiveServer(hook.app) as receiver:
        args = ["--token", TOKEN, "--location-id", LOCATION, "--signing-key-dir", str(keys)]
        process, base, _ = _start([*args, "--webhook-url", f"{receiver.url}/hook"])
        try:
            headers = {"Authorization": f"Bearer {TOKEN}", "Version": "2021-07-28"}
            httpx.post(f"{base}/contacts/", json={"locationId": LOCATION, "email": "cli@example.com"}, headers=headers)
            assert httpx.post(f"{base}/_emulator/webhooks/flush", json={}).json()["idle"] is True
        finally:
            _stop(process)
    raw, received = hook.received[0]
    manager = WebhookManager.__new__(WebhookManager)
    manager.logger = type("Quiet", (), {"debug": print, "warn": print, "error": print})()
    ed25519 = (keys / "webhook-ed25519-public.pem").read_text()
    rsa = (keys / "webhook-rsa-public.pem").read_text()
    assert manager.verify_ed25519_signature(raw.decode(), received["x-ghl-signature"], ed25519)
    assert manager.verify_signature(raw.decode(), received["x-wh-signature"], rsa)
