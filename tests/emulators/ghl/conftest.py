"""Fixtures for the GHL emulator tests: a backend on a frozen clock, an in-process client whose every
answer is checked against GHL's specs (when they are there), a live server (``tests.emulators.live_server``)
for the SDK and webhooks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from leadflow_emulators.common.clock import Clock
from leadflow_emulators.ghl.app import create_app
from leadflow_emulators.ghl.models import GhlBackend
from tests.emulators.ghl.oas import spec_checker
from tests.emulators.live_server import LiveServer

LOCATION = "testLocation00000001"
TOKEN = "pit-0b6f2c1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
V2 = {"Version": "2021-07-28"}
V2C = {"Version": "2021-04-15"}


@pytest.fixture
def clock() -> Clock:
    return Clock(frozen=True)


@pytest.fixture
def backend(clock: Clock) -> Iterator[GhlBackend]:
    backend = GhlBackend(location_id=LOCATION, token=TOKEN, seed=5, clock=clock)
    backend.set_limits({"enabled": False})
    yield backend
    backend.close()


@pytest.fixture
def app(backend: GhlBackend) -> Iterator[Starlette]:
    app = create_app(backend)
    yield app
    app.state.webhooks.close()


def validate_against_spec(response: httpx.Response) -> None:
    """Every API answer (not the control plane's) has a traceId and, where the spec has one, its schema."""
    response.read()
    path = response.request.url.path
    if path.startswith("/_emulator"):
        return
    body = response.json()
    checker = spec_checker()
    if checker is None:
        assert "traceId" in body
        return
    checker.check(response.request.method, path, response.status_code, body)


@pytest.fixture
def anon(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://ghl.test") as client:
        client.event_hooks = {"request": [], "response": [validate_against_spec]}
        yield client


@pytest.fixture
def api(anon: TestClient) -> TestClient:
    """In-process client with the location's PIT and ``Version: 2021-07-28``."""
    anon.headers.update({"Authorization": f"Bearer {TOKEN}", **V2})
    return anon


def new_contact(api: Any, **fields: Any) -> dict[str, Any]:
    reply = api.post("/contacts/", json={"locationId": LOCATION, **fields})
    assert reply.status_code == 201, reply.text
    contact: dict[str, Any] = reply.json()["contact"]
    return contact


@pytest.fixture
def live(app: Starlette) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server
