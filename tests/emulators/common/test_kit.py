"""The emulator kit: the shared control plane over a small backend of its own, limit settings, the route
helper and the ``python -m leadflow_emulators`` registry. The Zoho emulator's use of them is tested in
tests/emulators/zoho."""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from leadflow_emulators.__main__ import EMULATORS, command
from leadflow_emulators.common.backend import EmulatorBackend, LimitSettings
from leadflow_emulators.common.cli import EmulatorCommand
from leadflow_emulators.common.clock import Clock
from leadflow_emulators.common.control import control_routes
from leadflow_emulators.common.faults import FaultConfig, FaultMiddleware, Faults
from leadflow_emulators.common.jsonresp import json_response
from leadflow_emulators.common.routes import PathParam, api_route


@dataclass
class NoteLimits(LimitSettings):
    max_notes: int = 3
    enforce: bool = True


@dataclass
class NoteBackend:
    """A second emulator's backend in miniature: notes with a per-org cap, seeded from JSON lines."""

    clock: Clock = field(default_factory=lambda: Clock(start=datetime(2026, 1, 1, tzinfo=UTC), frozen=True))
    faults: Faults = field(default_factory=lambda: Faults(path_prefix="/notes"))
    limits: NoteLimits = field(default_factory=NoteLimits)
    notes: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.notes.clear()
        self.faults.clear()

    def seed(self, items: Sequence[Any]) -> dict[str, Any]:
        errors = [number for number, item in enumerate(items, 1) if not isinstance(item.get("text"), str)]
        self.notes.extend(item["text"] for item in items if isinstance(item.get("text"), str))
        return {"inserted": len(items) - len(errors), "errors": errors}

    def state(self) -> dict[str, Any]:
        return {"notes": len(self.notes)}

    def get_limits(self) -> dict[str, Any]:
        return self.limits.snapshot()

    def set_limits(self, changes: Mapping[str, Any]) -> None:
        self.limits.update(changes)

    def add(self, text: str) -> Response:
        if self.limits.enforce and len(self.notes) >= self.limits.max_notes:
            return json_response({"error": "too many notes"}, status=429)
        self.notes.append(text)
        return json_response({"id": len(self.notes)}, status=201)


async def note_call(request: Request, *, handler: Any, owner: str) -> Response:
    """The miniature emulator's gate: every route needs the owner header it is given."""
    if request.headers.get("x-owner") != owner:
        return json_response({"error": "wrong owner"}, status=401)
    backend: NoteBackend = request.app.state.backend
    return handler((backend, request))


@api_route(note_call, owner=PathParam("owner"))
def add_note(ctx: tuple[NoteBackend, Request]) -> Response:
    backend, request = ctx
    return backend.add(str(request.query_params.get("text", "")))


@pytest.fixture
def backend() -> NoteBackend:
    return NoteBackend()


@pytest.fixture
def client(backend: NoteBackend) -> Iterator[TestClient]:
    app = Starlette(routes=[*control_routes(), Route("/notes/{owner}", add_note, methods=["POST"])])
    app.state.backend = backend
    app.add_middleware(FaultMiddleware, faults=backend.faults, error_body={"error": "boom"}, throttle_body={})
    with TestClient(app) as client:
        yield client


def test_a_small_backend_satisfies_the_protocol(backend: NoteBackend) -> None:
    assert isinstance(backend, EmulatorBackend)


def test_seed_state_and_reset_go_through_the_backend(client: TestClient) -> None:
    summary = client.post("/_emulator/seed", content='{"text": "a"}\n\n{"text": "b"}\n{"nope": 1}\n').json()
    assert summary == {"inserted": 2, "errors": [3]}
    assert client.get("/_emulator/state").json()["notes"] == 2
    assert client.post("/_emulator/reset").json() == {"status": "reset"}
    assert client.get("/_emulator/state").json()["notes"] == 0
    bad = client.post("/_emulator/seed", content="not json")
    assert bad.status_code == 400
    assert "not JSON lines" in bad.json()["error"]


def test_clock_advances_and_jumps(client: TestClient) -> None:
    assert client.get("/_emulator/clock").json()["now"] == "2026-01-01T00:00:00+00:00"
    assert client.post("/_emulator/clock", json={"advance_seconds": 90}).json()["now"] == "2026-01-01T00:01:30+00:00"
    jumped = client.post("/_emulator/clock", json={"set": "2026-03-01T12:00:00+00:00"}).json()
    assert jumped["now"] == "2026-03-01T12:00:00+00:00"
    assert client.post("/_emulator/clock", json={"set": "2026-03-01T12:00:00"}).status_code == 400  # no offset


def test_limits_are_settings_read_on_every_request(client: TestClient) -> None:
    assert client.get("/_emulator/limits").json() == {"max_notes": 3, "enforce": True}
    for _ in range(3):
        assert client.post("/notes/ada?text=x", headers={"x-owner": "ada"}).status_code == 201
    assert client.post("/notes/ada?text=x", headers={"x-owner": "ada"}).status_code == 429
    assert client.post("/_emulator/limits", json={"max_notes": "5"}).json() == {"max_notes": 5, "enforce": True}
    assert client.post("/notes/ada?text=x", headers={"x-owner": "ada"}).status_code == 201


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"max_notez": 1}, "unknown limit settings: ['max_notez']"),
        ({"max_notes": "many"}, "limit max_notes expects an integer"),
        ({"max_notes": -1}, "cannot be negative"),
        ({"enforce": "no"}, "limit enforce expects true or false"),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_a_bad_limit_is_refused_and_changes_nothing(client: TestClient, body: Any, message: str) -> None:
    reply = client.post("/_emulator/limits", json=body)
    assert reply.status_code == 400
    assert message in reply.json()["error"]
    assert client.get("/_emulator/limits").json() == {"max_notes": 3, "enforce": True}


def test_faults_apply_to_the_api_never_to_the_control_plane(client: TestClient) -> None:
    client.post("/_emulator/faults", json={"error_rate": 1.0})
    assert client.post("/notes/ada", headers={"x-owner": "ada"}).status_code == 500
    assert client.get("/_emulator/state").status_code == 200
    assert client.delete("/_emulator/faults").json()["error_rate"] == 0.0
    assert client.get("/_emulator/faults").json()["path_prefix"] == "/notes"
    assert client.post("/_emulator/faults", json={"nonsense": 1}).status_code == 400


def test_a_write_can_fail_with_500_before_or_after_it_is_applied(client: TestClient, backend: NoteBackend) -> None:
    client.post("/_emulator/faults", json={"error_before_commit": 1, "error_after_commit": 1})
    refused = client.post("/notes/ada?text=first", headers={"x-owner": "ada"})
    assert (refused.status_code, refused.json(), backend.notes) == (500, {"error": "boom"}, [])
    applied = client.post("/notes/ada?text=second", headers={"x-owner": "ada"})
    assert (applied.status_code, applied.json(), backend.notes) == (500, {"error": "boom"}, ["second"])
    assert client.post("/notes/ada?text=third", headers={"x-owner": "ada"}).status_code == 201
    faults = client.get("/_emulator/faults").json()
    assert (faults["error_before_commit"], faults["error_after_commit"], faults["errors_injected"]) == (0, 0, 2)


def test_counted_write_faults_follow_drop_methods(client: TestClient, backend: NoteBackend) -> None:
    client.post("/_emulator/faults", json={"error_after_commit": 1, "drop_methods": ["PUT"]})
    assert client.post("/notes/ada?text=kept", headers={"x-owner": "ada"}).status_code == 201
    assert client.get("/_emulator/faults").json()["error_after_commit"] == 1
    assert backend.notes == ["kept"]


@dataclass
class NoteFaults(FaultConfig):
    lose_next_note: int = 0


def test_an_emulator_adds_faults_of_its_own() -> None:
    faults = Faults(path_prefix="/notes", config_type=NoteFaults)
    faults.configure({"lose_next_note": 1})
    assert faults.snapshot()["lose_next_note"] == 1
    assert [faults.take("lose_next_note"), faults.take("lose_next_note")] == [True, False]
    faults.configure({"lose_next_note": 2})
    faults.clear()
    assert faults.snapshot()["lose_next_note"] == 0
    assert faults.snapshot()["path_prefix"] == "/notes"
    with pytest.raises(ValueError, match="unknown fault settings"):
        Faults().configure({"lose_next_note": 1})


def test_the_route_helper_resolves_path_options_for_the_gate(client: TestClient) -> None:
    assert client.post("/notes/ada", headers={"x-owner": "bob"}).status_code == 401
    assert client.post("/notes/bob", headers={"x-owner": "bob"}).status_code == 201
    assert add_note.__name__ == "add_note"


def test_every_registered_emulator_has_a_command() -> None:
    assert "zoho" in EMULATORS
    for name in EMULATORS:
        emulator = command(name)
        assert isinstance(emulator, EmulatorCommand)
        parser = argparse.ArgumentParser()
        emulator.add_arguments(parser)
        args = parser.parse_args(["--port", "0"])
        assert (args.host, args.port, args.db) == ("127.0.0.1", 0, None)
