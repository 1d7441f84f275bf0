"""The control plane under ``/_emulator/``: reset, seed, state, OAuth clients, clock, limits, faults.

Not part of Zoho; tests and the demo drive the emulator with it. No auth.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadflow_emulators.common.jsonresp import json_response
from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.oauth import DEFAULT_SCOPE
from leadflow_emulators.zoho.responses.common import backend_of, faults_of


def _bad(message: str) -> Response:
    return json_response({"error": message}, status=400)


async def _json(request: Request) -> Any:
    raw = await request.body()
    return json.loads(raw) if raw.strip() else {}


def parse_seed_lines(text: str) -> list[Any]:
    """JSON lines (one ``{"module", "record"}`` per line) or one JSON array of them."""
    stripped = text.strip()
    if stripped.startswith("["):
        items = json.loads(stripped)
        return list(items) if isinstance(items, list) else []
    return [json.loads(line) for line in stripped.splitlines() if line.strip()]


async def reset(request: Request) -> Response:
    bulk = getattr(request.app.state, "zoho_bulk", None)
    if bulk is not None:  # let running bulk jobs finish, then forget them with the rest of the state
        bulk.runner.wait_idle()
        del request.app.state.zoho_bulk
    backend_of(request).reset()
    faults_of(request).clear()
    return json_response({"status": "reset"})


async def seed(request: Request) -> Response:
    try:
        items = parse_seed_lines((await request.body()).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        return _bad(f"seed body is not JSON lines: {error}")
    return json_response(backend_of(request).seed_records(items))


async def state(request: Request) -> Response:
    return json_response({**backend_of(request).stats(), "faults": faults_of(request).snapshot()})


async def clients(request: Request) -> Response:
    try:
        body = await _json(request)
        client_id, secret = body["client_id"], body["client_secret"]
    except (ValueError, KeyError, TypeError):
        return _bad("expected JSON with client_id and client_secret")
    backend_of(request).oauth.register_client(
        client_id,
        secret,
        redirect_uris=body.get("redirect_uris"),
        refresh_token=body.get("refresh_token"),
        scope=body.get("scope") or DEFAULT_SCOPE,
    )
    return json_response({"client_id": client_id, "refresh_token": body.get("refresh_token")}, status=201)


async def clock(request: Request) -> Response:
    backend = backend_of(request)
    if request.method == "POST":
        try:
            seconds = float((await _json(request)).get("advance_seconds", 0))
        except (ValueError, TypeError, AttributeError):
            return _bad("expected JSON with advance_seconds")
        backend.clock.advance(seconds)
    return json_response({"now": backend.clock.now().isoformat()})


async def expire_tokens(request: Request) -> Response:
    return json_response({"expired": backend_of(request).oauth.expire_access_tokens()})


async def limits(request: Request) -> Response:
    backend = backend_of(request)
    if request.method == "POST":
        try:
            body = await _json(request)
            if "daily_credits" in body:
                backend.credits.daily_allowance = int(body["daily_credits"])
            if "concurrency" in body:
                backend.gate.limit = int(body["concurrency"])
            if "sub_concurrency" in body:
                backend.gate.sub_limit = int(body["sub_concurrency"])
            if body.get("reset_credits"):
                backend.credits.clear()
        except (ValueError, TypeError, AttributeError):
            return _bad("expected JSON with daily_credits, concurrency, sub_concurrency or reset_credits")
    return json_response(
        {
            "daily_credits": backend.credits.daily_allowance,
            "concurrency": backend.gate.limit,
            "sub_concurrency": backend.gate.sub_limit,
            "credits_used": backend.credits.used(),
        }
    )


async def faults(request: Request) -> Response:
    injector = faults_of(request)
    if request.method == "DELETE":
        injector.clear()
    elif request.method == "POST":
        try:
            injector.configure(await _json(request))
        except (ValueError, TypeError, AttributeError) as error:
            return _bad(str(error))
    return json_response(injector.snapshot())


async def modules(request: Request) -> Response:
    try:
        api_name = (await _json(request))["api_name"]
        meta = backend_of(request).create_module(str(api_name))
    except (ValueError, KeyError, TypeError):
        return _bad("expected JSON with api_name")
    except ZohoError as error:
        return json_response(error.body(), status=error.status)
    return json_response({"api_name": meta.api_name, "id": meta.id}, status=201)


def control_routes() -> list[Route]:
    return [
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/seed", seed, methods=["POST"]),
        Route("/_emulator/state", state, methods=["GET"]),
        Route("/_emulator/clients", clients, methods=["POST"]),
        Route("/_emulator/clock", clock, methods=["GET", "POST"]),
        Route("/_emulator/tokens/expire", expire_tokens, methods=["POST"]),
        Route("/_emulator/limits", limits, methods=["GET", "POST"]),
        Route("/_emulator/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_emulator/modules", modules, methods=["POST"]),
    ]
