"""Fixtures: the Zoho emulator in-process (Starlette's TestClient is an httpx.Client) and over a real socket,
and a ZohoClient wired to it through ``ZohoClient.from_settings``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from leadflow.config import Settings
from leadflow.store import open_store
from leadflow.zoho import ClientOptions, ZohoClient
from leadflow_emulators.zoho.app import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN, create_app
from leadflow_emulators.zoho.models import ZohoBackend

EMULATOR = "http://zoho.test"


def emulator_app(backend: ZohoBackend) -> Starlette:
    """The emulator app (records, COQL, bulk, accounts server, control plane) around ``backend``."""
    return create_app(backend)


def zoho_settings(database_url: str, **zoho: Any) -> Settings:
    values: dict[str, Any] = {
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "refresh_token": DEFAULT_REFRESH_TOKEN,
        "accounts_url": EMULATOR,
    }
    values.update(zoho)
    return Settings(database_url=database_url, zoho=values)


@dataclass
class Sleeps:
    """Records the transport's backoff sleeps instead of sleeping (bulk polls really wait, briefly)."""

    seen: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.seen.append(seconds)
        time.sleep(min(seconds, 0.02))


@dataclass
class Rig:
    backend: ZohoBackend
    app: Starlette
    http: TestClient
    engine: Engine
    sleeps: Sleeps
    database_url: str

    def client(self, http: httpx.Client | None = None, options: ClientOptions | None = None, **zoho: Any) -> ZohoClient:
        options = options or ClientOptions(sleep=self.sleeps, seed=1, bulk_poll_initial=0.02, bulk_poll_max=0.1)
        return ZohoClient.from_settings(
            zoho_settings(self.database_url, **zoho), self.engine, http_client=http or self.http, options=options
        )

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"/_emulator/{path}", **kwargs)
        assert response.status_code < 300, response.text
        return response.json()

    def state(self) -> dict[str, Any]:
        return dict(self.control("GET", "state"))


@pytest.fixture
def backend() -> Iterator[ZohoBackend]:
    backend = ZohoBackend(seed=7)
    yield backend
    backend.close()


@pytest.fixture
def rig(backend: ZohoBackend, sqlite_url: str) -> Iterator[Rig]:
    app = emulator_app(backend)
    with TestClient(app, base_url=EMULATOR) as http:
        engine = open_store(sqlite_url)
        yield Rig(backend, app, http, engine, Sleeps(), sqlite_url)
        engine.dispose()


@pytest.fixture
def zoho(rig: Rig) -> Iterator[ZohoClient]:
    with rig.client() as client:
        yield client


@dataclass
class LiveServer:
    url: str
    server: uvicorn.Server
    thread: threading.Thread


def serve(app: Callable[..., Any]) -> LiveServer:
    """Run ``app`` with uvicorn on a free 127.0.0.1 port in a daemon thread."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return LiveServer(f"http://127.0.0.1:{port}", server, thread)


@pytest.fixture
def live(backend: ZohoBackend) -> Iterator[LiveServer]:
    live = serve(emulator_app(backend))
    yield live
    live.server.should_exit = True
    live.thread.join(timeout=10)
