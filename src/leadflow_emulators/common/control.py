"""The control plane under ``/_emulator/``, written once for every emulator (not part of any real API; no auth).

``control_routes(extra=...)`` returns the shared routes plus an emulator's own (Zoho: OAuth clients,
custom modules). Each route finds the backend at ``request.app.state.backend`` (an ``EmulatorBackend``):

- ``POST /_emulator/reset``: ``backend.reset()`` -> ``{"status": "reset"}``
- ``POST /_emulator/seed``: body is JSON lines (or one JSON array) -> ``backend.seed(items)``'s summary
- ``GET /_emulator/state``: ``backend.state()`` plus ``"faults"``
- ``GET|POST /_emulator/clock``: ``{"now": iso}``; POST ``{"advance_seconds": s}`` or ``{"set": iso}``
- ``GET|POST /_emulator/limits``: ``backend.get_limits()``; POST a partial update (``set_limits``)
- ``GET|POST|DELETE /_emulator/faults``: ``Faults.snapshot()``; POST configures, DELETE clears

A bad body answers 400 ``{"error": "..."}``.

Example:
    >>> sorted(route.path for route in control_routes())[:3]
    ['/_emulator/clock', '/_emulator/faults', '/_emulator/limits']
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from leadflow_emulators.common.backend import EmulatorBackend
from leadflow_emulators.common.jsonresp import json_response

PREFIX = "/_emulator"


def emulator_backend(request: Request) -> EmulatorBackend:
    """The backend the app serves (``create_app`` puts it on ``app.state.backend``)."""
    backend: EmulatorBackend = request.app.state.backend
    return backend


def bad_request(message: str) -> Response:
    """The control plane's answer to a body it cannot use."""
    return json_response({"error": message}, status=400)


async def read_json(request: Request) -> Any:
    """The body as JSON (``{}`` when empty); ``ValueError`` when it is not JSON."""
    raw = await request.body()
    return json.loads(raw) if raw.strip() else {}


def parse_seed_lines(text: str) -> list[Any]:
    """JSON lines (one object per line, blank lines ignored) or one JSON array of them."""
    stripped = text.strip()
    if stripped.startswith("["):
        items = json.loads(stripped)
        return list(items) if isinstance(items, list) else []
    return [json.loads(line) for line in stripped.splitlines() if line.strip()]


async def reset(request: Request) -> Response:
    emulator_backend(request).reset()
    return json_response({"status": "reset"})


async def seed(request: Request) -> Response:
    try:
        items = parse_seed_lines((await request.body()).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        return bad_request(f"seed body is not JSON lines: {error}")
    return json_response(emulator_backend(request).seed(items))


async def state(request: Request) -> Response:
    backend = emulator_backend(request)
    return json_response({**backend.state(), "faults": backend.faults.snapshot()})


async def clock(request: Request) -> Response:
    backend = emulator_backend(request)
    if request.method == "POST":
        try:
            body = await read_json(request)
            if "set" in body:
                backend.clock.set(datetime.fromisoformat(str(body["set"])))
            else:
                backend.clock.advance(float(body.get("advance_seconds", 0)))
        except (ValueError, TypeError, AttributeError):
            return bad_request("expected JSON with advance_seconds (a number) or set (an ISO 8601 time with offset)")
    return json_response({"now": backend.clock.now().isoformat()})


async def limits(request: Request) -> Response:
    backend = emulator_backend(request)
    if request.method == "POST":
        try:
            body = await read_json(request)
            if not isinstance(body, dict):
                raise ValueError("expected a JSON object of limit settings")
            backend.set_limits(body)
        except (ValueError, TypeError) as error:
            return bad_request(f"{error}; current limits: {json.dumps(backend.get_limits())}")
    return json_response(backend.get_limits())


async def faults(request: Request) -> Response:
    injector = emulator_backend(request).faults
    if request.method == "DELETE":
        injector.clear()
    elif request.method == "POST":
        try:
            injector.configure(await read_json(request))
        except (ValueError, TypeError, AttributeError) as error:
            return bad_request(str(error))
    return json_response(injector.snapshot())


def control_routes(extra: Sequence[BaseRoute] = ()) -> list[BaseRoute]:
    """The shared control routes, then an emulator's own ``extra`` ones (paths under ``/_emulator/``)."""
    return [
        Route(f"{PREFIX}/reset", reset, methods=["POST"]),
        Route(f"{PREFIX}/seed", seed, methods=["POST"]),
        Route(f"{PREFIX}/state", state, methods=["GET"]),
        Route(f"{PREFIX}/clock", clock, methods=["GET", "POST"]),
        Route(f"{PREFIX}/limits", limits, methods=["GET", "POST"]),
        Route(f"{PREFIX}/faults", faults, methods=["GET", "POST", "DELETE"]),
        *extra,
    ]
