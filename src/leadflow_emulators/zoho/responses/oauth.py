"""Accounts server routes: token (authorization_code, refresh_token, client_credentials), revoke, consent."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from leadflow_emulators.common.jsonresp import json_response
from leadflow_emulators.zoho.responses.common import backend_of


def base_url(request: Request) -> str:
    """The emulator's own base URL (``api_domain`` and ``accounts-server`` point here)."""
    return str(request.base_url).rstrip("/")


async def _params(request: Request) -> dict[str, str]:
    """Query parameters merged with a form body (Zoho accepts either)."""
    params = dict(request.query_params)
    if request.method == "POST":
        content_type = request.headers.get("content-type", "")
        if "form" in content_type:
            form = await request.form()
            params.update({key: str(value) for key, value in form.items()})
    return params


async def token(request: Request) -> Response:
    reply = backend_of(request).oauth.token(await _params(request), api_domain=base_url(request))
    return json_response(reply)


async def revoke(request: Request) -> Response:
    params = await _params(request)
    return json_response(backend_of(request).oauth.revoke(params.get("token", "")))


async def authorize(request: Request) -> Response:
    params = dict(request.query_params)
    code, error = backend_of(request).oauth.authorize(params)
    redirect = params.get("redirect_uri")
    if code is None or not redirect:
        return json_response({"error": error or "invalid_redirect_uri"})
    query = {"code": code, "location": "us", "accounts-server": base_url(request)}
    if "state" in params:
        query = {"state": params["state"], **query}
    separator = "&" if "?" in redirect else "?"
    return RedirectResponse(f"{redirect}{separator}{urlencode(query)}", status_code=302)
