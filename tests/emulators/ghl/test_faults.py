"""Faults from the control plane: latency, a share of 500s, 429 bursts, commit-then-drop over a socket,
and GHL's reported bug where a create answers 422 although the contact was stored."""

from __future__ import annotations

import time

import httpx
import pytest
from starlette.testclient import TestClient

from leadflow_emulators.ghl.models import GhlBackend
from tests.emulators.ghl.conftest import LOCATION, TOKEN, V2
from tests.emulators.live_server import LiveServer


def test_create_answers_422_yet_the_contact_exists(api: TestClient, backend: GhlBackend) -> None:
    assert api.post("/_emulator/faults", json={"create_422_after_commit": 1}).json()["create_422_after_commit"] == 1
    reply = api.post("/contacts/", json={"locationId": LOCATION, "email": "ghost@example.com"})
    assert reply.status_code == 422
    assert backend.contacts.find_by("email", "ghost@example.com") is not None
    again = api.post("/contacts/", json={"locationId": LOCATION, "email": "ghost@example.com"})
    assert again.status_code == 400
    assert again.json()["meta"]["matchingField"] == "email"


def test_burst_of_429_and_share_of_500(api: TestClient) -> None:
    api.post("/_emulator/faults", json={"burst_429": 2})
    assert [api.get(f"/locations/{LOCATION}").status_code for _ in range(3)] == [429, 429, 200]
    api.post("/_emulator/faults", json={"error_rate": 1.0})
    failed = api.get(f"/locations/{LOCATION}")
    assert failed.status_code == 500
    assert "traceId" in failed.json()
    assert api.get("/_emulator/state").status_code == 200  # the control plane is never faulted
    api.delete("/_emulator/faults")
    assert api.get(f"/locations/{LOCATION}").status_code == 200


def test_latency(api: TestClient) -> None:
    api.post("/_emulator/faults", json={"latency_ms": 150})
    started = time.monotonic()
    api.get(f"/locations/{LOCATION}")
    assert time.monotonic() - started >= 0.15


def test_commit_then_drop_over_a_socket(live: LiveServer, backend: GhlBackend) -> None:
    httpx.post(f"{live.url}/_emulator/faults", json={"drop_after_commit": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(
            f"{live.url}/contacts/",
            json={"locationId": LOCATION, "email": "dropped@example.com"},
            headers={"Authorization": f"Bearer {TOKEN}", **V2},
        )
    assert backend.contacts.find_by("email", "dropped@example.com") is not None
