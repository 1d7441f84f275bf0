"""What every GHL API route shares, in ``call``: the ``Version`` header, the bearer token (class and
scope), the rate limits and their headers, latency faults, JSON or form bodies, one backend transaction,
and GHL's error bodies. Every answer carries the ``X-RateLimit-*`` headers and a ``traceId``.

A route is its handler: ``@route(version=V2, scope="contacts.write")`` turns ``handler(ctx) -> Response``
into an endpoint; the handler answers with ``ctx.ok(payload, status)`` or raises ``GhlError``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from leadflow_emulators.common.jsonresp import json_response
from leadflow_emulators.common.routes import api_route
from leadflow_emulators.ghl.exceptions import GhlError
from leadflow_emulators.ghl.models import GhlBackend
from leadflow_emulators.ghl.models.limits import RateLimited
from leadflow_emulators.ghl.models.oauth import Principal

V2 = ("2021-07-28",)
V2_CONVERSATIONS = ("2021-04-15",)
V3 = "v3"  # what the official SDK sends on every call
LOCATION = "Location"
COMPANY = "Company"


def backend_of(request: Request) -> GhlBackend:
    backend: GhlBackend = request.app.state.backend
    return backend


def trace_id() -> str:
    return str(uuid.uuid4())


def error_response(error: GhlError, headers: dict[str, str] | None = None, trace: str | None = None) -> Response:
    return json_response(error.body(trace or trace_id()), status=error.status, headers=headers)


@dataclass
class Ctx:
    """One API call: backend, caller, parsed body and query, and the headers every answer carries."""

    request: Request
    backend: GhlBackend
    principal: Principal | None
    raw: bytes
    trace: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, str]:
        return dict(self.request.query_params)

    def path(self, name: str) -> str:
        return str(self.request.path_params[name])

    def json(self) -> Any:
        if not self.raw.strip():
            return None
        try:
            return json.loads(self.raw)
        except ValueError as error:
            raise GhlError(400, f"Unexpected token in JSON: {error}", error="Bad Request") from None

    def form(self) -> dict[str, str]:
        """A form body (OAuth); a JSON object is accepted too."""
        text = self.raw.decode("utf-8", errors="replace")
        if text.lstrip().startswith("{"):
            body = self.json()
            return {str(k): str(v) for k, v in body.items()} if isinstance(body, dict) else {}
        return dict(parse_qsl(text))

    def ok(self, payload: dict[str, Any], status: int = 200) -> Response:
        return json_response({**payload, "traceId": self.trace}, status=status, headers=self.headers)

    def check_location(self, location_id: str | None) -> None:
        """A location named in the query or path must be the token's own."""
        if not location_id:
            raise GhlError.unprocessable(["locationId should not be empty"])
        if location_id != self.backend.location_id or (
            self.principal is not None and self.principal.location_id not in (None, location_id)
        ):
            raise GhlError.location_forbidden()


Handler = Callable[[Ctx], Response]
Endpoint = Callable[[Request], Awaitable[Response]]


async def call(
    request: Request,
    *,
    handler: Handler,
    version: tuple[str, ...] | None = V2,
    scope: str | None = None,
    token_class: str | None = LOCATION,
    authenticated: bool = True,
) -> Response:
    backend = backend_of(request)
    trace = trace_id()
    route = request.scope.get("route")
    backend.requests[f"{request.method} {getattr(route, 'path', request.url.path)}"] += 1  # by path template
    headers: dict[str, str] = {}
    try:
        if version is not None:
            sent = request.headers.get("version")
            if sent is None:
                raise GhlError.version_missing()
            if sent not in version and sent != V3:
                raise GhlError.version_invalid()
        principal = None
        if authenticated:
            principal = backend.oauth.authenticate(request.headers.get("authorization"))
            if token_class is not None and principal.user_type != token_class:
                raise GhlError.wrong_token_class()
            if scope is not None and scope not in principal.scopes:
                raise GhlError.scope_missing()
            try:
                headers = backend.limiter.take(principal.limit_key)
            except RateLimited as limited:
                raise _Throttled(limited.headers) from None
        await backend.faults.delay()
        ctx = Ctx(request, backend, principal, await request.body(), trace, headers)
        with backend.transaction():
            return handler(ctx)
    except _Throttled as throttled:
        return error_response(GhlError.too_many_requests(), throttled.headers, trace)
    except GhlError as error:
        return error_response(error, headers, trace)


class _Throttled(Exception):
    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("throttled")
        self.headers = headers


def route(**options: Any) -> Callable[[Handler], Endpoint]:
    """``@route(version=..., scope=..., token_class=...)``: the kit's ``api_route`` around GHL's ``call``."""
    return api_route(call, **options)
