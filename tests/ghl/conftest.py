"""The GHL client against the GHL emulator, in process (Starlette's TestClient is an ``httpx.Client``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from leadflow.config import GhlSettings, Settings
from leadflow.ghl import GhlClient, GhlOptions
from leadflow.http import RetryPolicy
from leadflow.store import open_store
from leadflow_emulators.ghl.app import create_app
from leadflow_emulators.ghl.models import GhlBackend
from leadflow_emulators.ghl.models.backend import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_LOCATION_ID,
    DEFAULT_TOKEN,
)

BASE = "http://testserver"


class Emulator:
    """One in-process GHL emulator and a raw HTTP client for its control plane."""

    def __init__(self) -> None:
        self.backend = GhlBackend()
        self.app = create_app(self.backend)
        self.http = TestClient(self.app, base_url=BASE)

    def control(self, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(method, f"/_emulator/{path}", json=body)
        assert response.status_code < 400, response.text
        return response.json() if response.content else None

    def seed(self, items: list[dict[str, Any]]) -> None:
        import json

        response = self.http.post("/_emulator/seed", content="\n".join(json.dumps(i) for i in items))
        assert response.status_code < 400, response.text
        assert not response.json().get("errors"), response.json()

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self.control("GET", "state")
        return result

    def close(self) -> None:
        self.http.close()
        self.app.state.webhooks.close()
        self.backend.close()


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = Emulator()
    yield emu
    emu.close()


def ghl_settings(tmp_path: Path, **ghl: Any) -> Settings:
    values: dict[str, Any] = {"api_base_url": BASE, "location_id": DEFAULT_LOCATION_ID, "auth": "pit"}
    values.update(ghl)
    if values["auth"] == "pit":
        values.setdefault("token", SecretStr(DEFAULT_TOKEN))
    else:
        values.setdefault("client_id", DEFAULT_CLIENT_ID)
        values.setdefault("client_secret", SecretStr(DEFAULT_CLIENT_SECRET))
    return Settings(database_url=f"sqlite:///{tmp_path / 'leadflow.db'}", ghl=GhlSettings(**values))


def make_client(emulator: Emulator, tmp_path: Path, *, options: GhlOptions | None = None, **ghl: Any) -> GhlClient:
    settings = ghl_settings(tmp_path, **ghl)
    engine = open_store(settings.database_url)
    options = options or GhlOptions(retry=RetryPolicy(max_attempts=4, base_delay=0.0, max_delay=0.0), seed=1)
    return GhlClient.from_settings(settings, engine, http_client=emulator.http, options=options)


@pytest.fixture
def ghl(emulator: Emulator, tmp_path: Path) -> GhlClient:
    return make_client(emulator, tmp_path)
