"""Zoho's own control routes under ``/_emulator/`` (the shared ones are in ``common.control``):

- ``POST /_emulator/clients``: register an OAuth client ``{"client_id", "client_secret", "refresh_token"?,
  "redirect_uris"?, "scope"?}``
- ``POST /_emulator/tokens/expire``: expire every access token now
- ``POST /_emulator/modules``: create a custom module ``{"api_name"}``
- ``POST /_emulator/functions``: install a REST API function stand-in ``{"name", "kind": "echo"|"constant"|"fail",
  "output"?, "api_key"?}`` (answers its api key)
- ``POST /_emulator/notifications/flush``: wait until every queued notification callback has been attempted;
  answers the callbacks so far by outcome (``{"sent": n, "outcomes": {"200": n, "error": m}}``)
"""

from __future__ import annotations

from collections import Counter

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from leadflow_emulators.common.control import PREFIX, bad_request, read_json
from leadflow_emulators.common.jsonresp import json_response
from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.oauth import DEFAULT_SCOPE
from leadflow_emulators.zoho.responses.common import backend_of


async def clients(request: Request) -> Response:
    try:
        body = await read_json(request)
        client_id, secret = body["client_id"], body["client_secret"]
    except (ValueError, KeyError, TypeError):
        return bad_request("expected JSON with client_id and client_secret")
    backend_of(request).oauth.register_client(
        client_id,
        secret,
        redirect_uris=body.get("redirect_uris"),
        refresh_token=body.get("refresh_token"),
        scope=body.get("scope") or DEFAULT_SCOPE,
    )
    return json_response({"client_id": client_id, "refresh_token": body.get("refresh_token")}, status=201)


async def expire_tokens(request: Request) -> Response:
    return json_response({"expired": backend_of(request).oauth.expire_access_tokens()})


async def modules(request: Request) -> Response:
    try:
        api_name = (await read_json(request))["api_name"]
        meta = backend_of(request).create_module(str(api_name))
    except (ValueError, KeyError, TypeError):
        return bad_request("expected JSON with api_name")
    except ZohoError as error:
        return json_response(error.body(), status=error.status)
    return json_response({"api_name": meta.api_name, "id": meta.id}, status=201)


async def functions(request: Request) -> Response:
    try:
        function = backend_of(request).features.functions.install(await read_json(request))
    except (ValueError, TypeError, AttributeError) as error:
        return bad_request(f"expected JSON with name and kind (echo, constant, fail): {error}")
    return json_response({"name": function.name, "api_key": function.api_key}, status=201)


async def flush_notifications(request: Request) -> Response:
    watches = backend_of(request).watches
    await run_in_threadpool(watches.drain)
    deliveries = list(watches.deliveries)
    outcomes = Counter(str(d.status) if d.status is not None else "error" for d in deliveries)
    return json_response({"sent": len(deliveries), "outcomes": dict(outcomes)})


def zoho_control_routes() -> list[BaseRoute]:
    """Zoho's own control routes (``common.app.emulator_app`` mounts them after the shared ones)."""
    return [
        Route(f"{PREFIX}/clients", clients, methods=["POST"]),
        Route(f"{PREFIX}/tokens/expire", expire_tokens, methods=["POST"]),
        Route(f"{PREFIX}/modules", modules, methods=["POST"]),
        Route(f"{PREFIX}/functions", functions, methods=["POST"]),
        Route(f"{PREFIX}/notifications/flush", flush_notifications, methods=["POST"]),
    ]
