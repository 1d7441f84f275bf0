"""GHL's own routes on the shared control plane (``common.control``; not part of GHL, no auth).

Shared (``common.control``): ``POST /_emulator/reset``, ``POST /_emulator/seed`` (JSON lines of
``{"kind", "record"}``), ``GET /_emulator/state`` (counts, settings, enrolments, messages, deliveries with
their answers, faults), ``GET|POST /_emulator/clock``, ``GET|POST /_emulator/limits`` (``enabled``,
``burst``, ``burst_window_ms``, ``daily``), ``GET|POST|DELETE /_emulator/faults`` (``latency_ms``,
``error_rate``, ``burst_429``, ``drop_after_commit``, ``error_after_commit``, ``error_before_commit``... and
GHL's ``create_422_after_commit``: the next n contact creates store the contact and answer 422, a bug reported
against GHL). GHL's own routes:

- ``GET|POST /_emulator/location/settings`` (``allowDuplicateContact``, ``allowDuplicateOpportunity``,
  ``contactUniqueIdentifiers``...)
- ``POST /_emulator/engagement`` (``{"kind", "contactId", ...}``, see ``models.engagement``);
  ``POST /_emulator/engagement/batch`` (``{"items": [spec, ...]}``: each applied on its own, in order; the
  answer has one result per item, its outcome or its error, and the counts applied, duplicate and refused)
- ``GET /_emulator/webhooks/keys`` (PEM public keys); ``GET|POST /_emulator/webhooks`` (``urls``,
  ``retry_interval``, ``max_retries``, ``app_id``; the answer also has ``pending``, the sends not done yet,
  and ``outcomes``, the deliveries so far by outcome); ``POST /_emulator/webhooks/flush`` (wait for sends)
- ``POST /_emulator/tokens`` (another PIT, e.g. with fewer scopes); ``POST /_emulator/tokens/expire``;
  ``POST /_emulator/oauth/clients``; ``POST /_emulator/oauth/codes`` (an authorization code, as if a
  user had installed the app)
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from leadflow_emulators.common.control import PREFIX as P
from leadflow_emulators.common.jsonresp import json_response
from leadflow_emulators.ghl.delivery import WebhookDispatcher
from leadflow_emulators.ghl.exceptions import GhlError
from leadflow_emulators.ghl.models import GhlBackend


def _backend(request: Request) -> GhlBackend:
    backend: GhlBackend = request.app.state.backend
    return backend


def _webhooks(request: Request) -> WebhookDispatcher:
    dispatcher: WebhookDispatcher = request.app.state.webhooks
    return dispatcher


def _bad(message: str) -> Response:
    return json_response({"error": message}, status=400)


async def _json(request: Request) -> Any:
    raw = await request.body()
    body = json.loads(raw) if raw.strip() else {}
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    return body


async def location_settings(request: Request) -> Response:
    backend = _backend(request)
    if request.method == "POST":
        try:
            with backend.transaction():
                backend.directory.update_settings(await _json(request))
        except (ValueError, TypeError) as error:
            return _bad(str(error))
    return json_response(backend.core.settings())


async def engagement(request: Request) -> Response:
    backend = _backend(request)
    try:
        with backend.transaction():
            outcome = backend.engagement.simulate(await _json(request))
    except (ValueError, TypeError) as error:
        return _bad(str(error))
    except GhlError as error:
        return _bad(str(error))
    return json_response(outcome)


async def engagement_batch(request: Request) -> Response:
    backend = _backend(request)
    try:
        items = (await _json(request)).get("items")
    except ValueError as error:
        return _bad(str(error))
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        return _bad("expected JSON with items: a list of engagement objects")
    results: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        try:
            with backend.transaction():
                results.append({"index": index, "outcome": backend.engagement.simulate(item)})
        except (ValueError, TypeError, GhlError) as error:
            results.append({"index": index, "error": str(error)})
    refused = sum(1 for r in results if "error" in r)
    duplicates = sum(1 for r in results if r.get("outcome", {}).get("duplicate"))
    return json_response(
        {
            "results": results,
            "applied": len(results) - refused - duplicates,
            "duplicates": duplicates,
            "refused": refused,
        }
    )


async def webhook_keys(request: Request) -> Response:
    keys = _webhooks(request).keys
    return json_response({"ed25519": keys.ed25519_public_pem, "rsa": keys.rsa_public_pem})


async def webhooks(request: Request) -> Response:
    settings = _webhooks(request).settings
    if request.method == "POST":
        try:
            body = await _json(request)
            if "urls" in body:
                urls = body["urls"]
                if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
                    raise ValueError("urls must be a list of strings")
                settings.urls = list(urls)
            if "retry_interval" in body:
                settings.retry_interval = float(body["retry_interval"])
            if "max_retries" in body:
                settings.max_retries = int(body["max_retries"])
            if "app_id" in body:
                settings.app_id = str(body["app_id"])
        except (ValueError, TypeError) as error:
            return _bad(str(error))
    outcomes = Counter(str(delivery["outcome"]) for delivery in list(_backend(request).deliveries))
    return json_response(
        {
            "urls": settings.urls,
            "retry_interval": settings.retry_interval,
            "max_retries": settings.max_retries,
            "app_id": settings.app_id,
            "pending": _webhooks(request).pending(),
            "outcomes": dict(outcomes),
        }
    )


async def flush(request: Request) -> Response:
    try:
        timeout = float((await _json(request)).get("timeout", 10))
    except (ValueError, TypeError):
        return _bad("expected JSON with timeout (seconds)")
    idle = _webhooks(request).wait_idle(timeout)
    return json_response({"idle": idle, "deliveries": list(_backend(request).deliveries)})


async def tokens(request: Request) -> Response:
    backend = _backend(request)
    try:
        body = await _json(request)
        token, scopes = str(body["token"]), body.get("scopes")
        if scopes is not None and (not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes)):
            raise ValueError("scopes must be a list of strings")
    except (ValueError, KeyError, TypeError):
        return _bad("expected JSON with token and optional scopes (list)")
    with backend.transaction():
        backend.oauth.register_pit(token, scopes)
    return json_response({"token": token}, status=201)


async def expire_tokens(request: Request) -> Response:
    backend = _backend(request)
    with backend.transaction():
        return json_response({"expired": backend.oauth.expire_all()})


async def oauth_clients(request: Request) -> Response:
    backend = _backend(request)
    try:
        body = await _json(request)
        with backend.transaction():
            backend.oauth.register_client(str(body["client_id"]), str(body["client_secret"]), body.get("scopes"))
    except (ValueError, KeyError, TypeError):
        return _bad("expected JSON with client_id, client_secret and optional scopes")
    return json_response({"client_id": body["client_id"]}, status=201)


async def oauth_codes(request: Request) -> Response:
    backend = _backend(request)
    try:
        body = await _json(request)
        with backend.transaction():
            code = backend.oauth.issue_code(
                str(body["client_id"]), str(body.get("user_type", "Location")), body.get("scopes")
            )
    except (ValueError, KeyError, TypeError) as error:
        return _bad(f"expected JSON with client_id, user_type (Location|Company), scopes: {error}")
    return json_response({"code": code}, status=201)


def ghl_control_routes() -> list[BaseRoute]:
    """GHL's own control routes (mounted beside the shared control plane)."""
    return [
        Route(f"{P}/location/settings", location_settings, methods=["GET", "POST"]),
        Route(f"{P}/engagement", engagement, methods=["POST"]),
        Route(f"{P}/engagement/batch", engagement_batch, methods=["POST"]),
        Route(f"{P}/webhooks/keys", webhook_keys, methods=["GET"]),
        Route(f"{P}/webhooks", webhooks, methods=["GET", "POST"]),
        Route(f"{P}/webhooks/flush", flush, methods=["POST"]),
        Route(f"{P}/tokens", tokens, methods=["POST"]),
        Route(f"{P}/tokens/expire", expire_tokens, methods=["POST"]),
        Route(f"{P}/oauth/clients", oauth_clients, methods=["POST"]),
        Route(f"{P}/oauth/codes", oauth_codes, methods=["POST"]),
    ]
