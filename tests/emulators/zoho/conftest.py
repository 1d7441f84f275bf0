"""Fixtures for the Zoho emulator tests: a backend, an in-process client with a token, a live server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from leadflow_emulators.common.clock import Clock
from leadflow_emulators.zoho.app import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REFRESH_TOKEN,
    create_app,
)
from leadflow_emulators.zoho.models import ZohoBackend
from tests.emulators.live_server import LiveServer
from tests.specs import ZOHO_OAS, optional_spec_path


def refresh_form(**overrides: str) -> dict[str, str]:
    form = {
        "grant_type": "refresh_token",
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "refresh_token": DEFAULT_REFRESH_TOKEN,
    }
    form.update(overrides)
    return form


@pytest.fixture
def clock() -> Clock:
    return Clock(frozen=True)


@pytest.fixture
def backend(clock: Clock) -> Iterator[ZohoBackend]:
    backend = ZohoBackend(seed=7, clock=clock)
    yield backend
    backend.close()


@pytest.fixture
def app(backend: ZohoBackend) -> Starlette:
    return create_app(backend)


@pytest.fixture
def anon(app: Starlette) -> Iterator[TestClient]:
    """An in-process client without credentials."""
    with TestClient(app, base_url="http://zoho.test") as client:
        yield client


def token_for(client: Any, **overrides: str) -> str:
    reply = client.post("/oauth/v2/token", data=refresh_form(**overrides)).json()
    return str(reply["access_token"])


def spec_validator() -> Any:
    """A response hook checking every CRM response against Zoho's OpenAPI description (see ``oas.py``).

    Without the spec (see ``tests/specs.py``) the hook checks nothing: these are behaviour tests, and
    the spec tests proper (``test_openapi.py``) say that the spec is missing.
    """
    from tests.emulators.zoho.oas import checker, in_spec

    spec_dir = optional_spec_path(*ZOHO_OAS)
    if spec_dir is None:
        return lambda response: None
    spec = checker(str(spec_dir))

    def validate(response: httpx.Response) -> None:
        response.read()
        request = response.request
        if not in_spec(request.url.path) or not response.content or response.status_code == 404:
            return
        if "attachment" in response.headers.get("content-disposition", ""):
            return  # a file download (the spec documents a file body)
        assert response.headers["content-type"] == "application/json"
        spec.check(request.method, request.url.path, response.status_code, response.json())

    return validate


@pytest.fixture
def api(anon: TestClient) -> TestClient:
    """An in-process client with a valid token; every CRM response it gets is checked against the spec
    (when the spec is there)."""
    anon.headers["Authorization"] = f"Zoho-oauthtoken {token_for(anon)}"
    anon.event_hooks = {"request": [], "response": [spec_validator()]}
    return anon


@dataclass
class SdkEnv:
    """A live emulator for the official SDK, and a directory for the SDK's token and metadata files."""

    server: LiveServer
    backend: ZohoBackend
    workdir: Path


@pytest.fixture(scope="module")
def sdk_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SdkEnv]:
    """One emulator per test module for SDK tests (``sdk_server`` points the SDK's global state at it)."""
    backend = ZohoBackend(seed=11)
    with LiveServer(create_app(backend)) as server:
        yield SdkEnv(server, backend, Path(tmp_path_factory.mktemp("sdk")))
    backend.close()


@pytest.fixture
def live(backend: ZohoBackend) -> Iterator[LiveServer]:
    with LiveServer(create_app(backend)) as server:
        yield server
