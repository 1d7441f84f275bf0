"""The web app is built by ``create_app(settings)`` over the runtime; ``/healthz`` tells whether the store answers."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

import leadflow.web.app as web_app
from leadflow.config import Settings
from leadflow.reporting import recent_runs
from leadflow.web.app import create_app


def test_healthz_is_ok_when_the_store_answers(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'state.db'}")
    with TestClient(create_app(settings)) as client:
        response = client.get("/healthz")
        # the app opened (and migrated) its own store at startup, through the runtime
        with client.app.state.runtime.engine.connect() as connection:  # type: ignore[attr-defined]
            assert recent_runs(connection) == []
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "store": "reachable"}


def test_healthz_is_503_with_the_reason_when_the_store_is_unreachable() -> None:
    settings = Settings(database_url="postgresql+psycopg://nobody:hunter2-secret@127.0.0.1:1/leadflow")
    with TestClient(create_app(settings)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert "127.0.0.1" in body["store"]
    assert "hunter2-secret" not in response.text


def test_each_app_has_its_own_store_and_the_module_holds_no_app(tmp_path: Path) -> None:
    first = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}"))
    second = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'b.db'}"))
    with TestClient(first) as a, TestClient(second) as b:
        assert a.get("/healthz").status_code == b.get("/healthz").status_code == 200
    assert (tmp_path / "a.db").exists()
    assert (tmp_path / "b.db").exists()
    assert first.state.runtime is not second.state.runtime
    assert not hasattr(web_app, "app")
