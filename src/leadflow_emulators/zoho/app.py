"""``create_app(backend=...)``: the Zoho CRM emulator as an ASGI app (no module-level app or backend).

Example:
    >>> app = create_app(ZohoBackend(seed=1))
    >>> app.state.backend.random_seed
    1
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from leadflow_emulators.common.app import emulator_app
from leadflow_emulators.common.faults import ASGIApp, Faults, Receive, Scope, Send
from leadflow_emulators.zoho.control import zoho_control_routes
from leadflow_emulators.zoho.exceptions import ZohoError, render_error
from leadflow_emulators.zoho.models import ZohoBackend
from leadflow_emulators.zoho.urls import fallback_routes, zoho_routes

DEFAULT_CLIENT_ID = "1000.LEADFLOWDEMO"
DEFAULT_CLIENT_SECRET = "leadflow-demo-secret"
DEFAULT_REFRESH_TOKEN = "1000.leadflow.demo.refresh"
INTERNAL_ERROR = {
    "code": "INTERNAL_ERROR",
    "details": {},
    "message": "Internal server error occurred.",
    "status": "error",
}


class ConcurrencyMiddleware:
    """Zoho's org-wide concurrency limit: requests to ``/crm`` beyond ``backend.gate.limit`` in flight get 429."""

    def __init__(self, app: ASGIApp, backend: ZohoBackend) -> None:
        self.app = app
        self.backend = backend

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/crm"):
            await self.app(scope, receive, send)
            return
        self.backend.count_request(scope["method"], scope["path"])
        try:
            self.backend.gate.enter()
        except ZohoError as error:
            await render_error(error, self.backend.credits.headers())(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.backend.gate.leave()


def create_app(
    backend: ZohoBackend | None = None,
    *,
    faults: Faults | None = None,
    extra_routes: Sequence[BaseRoute] = (),
    register_default_client: bool = True,
) -> Starlette:
    """The emulator app around ``backend`` (a fresh in-memory one when omitted).

    ``extra_routes`` are mounted before the catch-all (COQL and bulk routes live in their own module).
    The default OAuth client (``1000.LEADFLOWDEMO`` with refresh token ``1000.leadflow.demo.refresh``) is
    registered unless ``register_default_client`` is false. ``faults`` replaces the backend's own.
    """
    backend = backend or ZohoBackend()
    if faults is not None:
        backend.faults = faults
    if register_default_client and DEFAULT_CLIENT_ID not in backend.oauth.clients:
        backend.oauth.register_client(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, refresh_token=DEFAULT_REFRESH_TOKEN)
    return emulator_app(
        backend,
        routes=[*zoho_routes(), *extra_routes, *fallback_routes()],
        control=zoho_control_routes(),
        error_body=INTERNAL_ERROR,
        throttle_body=ZohoError.too_many_requests("concurrency", backend.gate.limit).body(),
        middleware=[Middleware(ConcurrencyMiddleware, backend=backend)],
    )
