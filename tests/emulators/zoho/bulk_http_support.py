"""Helpers for the COQL and bulk HTTP tests: an in-process emulator client and a callback receiver."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from starlette.testclient import TestClient

from leadflow_emulators.zoho.app import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN, create_app
from leadflow_emulators.zoho.bulk_jobs import BulkJobs
from leadflow_emulators.zoho.models.backend import ZohoBackend

BASE_URL = "http://zoho.test"


def access_token(client: TestClient, scope_client: tuple[str, str, str] | None = None) -> str:
    client_id, secret, refresh = scope_client or (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN)
    reply = client.post(
        "/oauth/v2/token",
        data={"grant_type": "refresh_token", "client_id": client_id, "client_secret": secret, "refresh_token": refresh},
    )
    return str(reply.json()["access_token"])


@contextmanager
def emulator(backend: ZohoBackend | None = None) -> Iterator[TestClient]:
    """A TestClient on a fresh emulator, authorised with the default client's token."""
    backend = backend or ZohoBackend(seed=11)
    with TestClient(create_app(backend), base_url=BASE_URL) as client:
        client.headers["Authorization"] = f"Zoho-oauthtoken {access_token(client)}"
        try:
            yield client
        finally:
            backend.close()


def bulk_state(client: TestClient) -> BulkJobs:
    """The bulk jobs of the app's backend."""
    app: Any = client.app
    jobs: BulkJobs = app.state.backend.jobs
    return jobs


def wait_for(client: TestClient, path: str, done: str = "COMPLETED", timeout: float = 30.0) -> dict[str, Any]:
    """Poll a job status path until its state is ``done``."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(path).json()
        state = body["data"][0]["state"] if "data" in body else body["status"]
        if state == done or time.monotonic() > deadline:
            return dict(body)
        time.sleep(0.02)


class CallbackReceiver:
    """A tiny HTTP server on a free port that records every POSTed JSON body."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.event = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                receiver.bodies.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(200)
                self.end_headers()
                receiver.event.set()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> CallbackReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait(self, timeout: float = 10.0) -> dict[str, Any]:
        assert self.event.wait(timeout), "no callback arrived"
        return self.bodies[-1]
