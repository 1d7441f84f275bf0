"""``create_app(backend, keys=..., webhook_urls=...)``: the GHL emulator as an ASGI app.

Example:
    >>> app = create_app(GhlBackend(location_id="loc1"))
    >>> app.state.backend.location_id
    'loc1'
    >>> app.state.webhooks.close()
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from leadflow_emulators.common.faults import FaultMiddleware
from leadflow_emulators.ghl.control import ghl_control_routes
from leadflow_emulators.ghl.delivery import WebhookDispatcher, WebhookSettings
from leadflow_emulators.ghl.exceptions import GhlError
from leadflow_emulators.ghl.models import GhlBackend
from leadflow_emulators.ghl.responses.common import error_response
from leadflow_emulators.ghl.signing import SigningKeys
from leadflow_emulators.ghl.urls import fallback_routes, ghl_routes


async def _internal_error(request: Request, exc: Exception) -> Response:
    return error_response(GhlError.internal())


def create_app(
    backend: GhlBackend | None = None,
    *,
    keys: SigningKeys | None = None,
    webhook_urls: Sequence[str] = (),
    webhook_retry_interval: float = 600.0,
) -> Starlette:
    """The emulator around ``backend`` (a fresh in-memory one when omitted); webhooks signed with ``keys``."""
    backend = backend or GhlBackend()
    dispatcher = WebhookDispatcher(
        backend,
        keys or SigningKeys.generate(),
        WebhookSettings(urls=list(webhook_urls), retry_interval=webhook_retry_interval),
    )
    app = Starlette(
        routes=[*ghl_control_routes(), *ghl_routes(), *fallback_routes()],
        exception_handlers={Exception: _internal_error},
    )
    app.state.backend = backend
    app.state.webhooks = dispatcher
    app.add_middleware(
        FaultMiddleware,
        faults=backend.faults,
        error_body=GhlError.internal().body("injected-fault"),
        throttle_body=GhlError.too_many_requests().body("injected-fault"),
    )
    return app
