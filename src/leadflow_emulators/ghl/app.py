"""``create_app(backend, keys=..., webhook_urls=...)``: the GHL emulator as an ASGI app (the kit's
``emulator_app`` with GHL's routes, control routes and error bodies, and the webhook dispatcher).

Example:
    >>> app = create_app(GhlBackend(location_id="loc1"))
    >>> app.state.backend.location_id
    'loc1'
    >>> app.state.webhooks.close()
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette

from leadflow_emulators.common.app import emulator_app
from leadflow_emulators.ghl.control import ghl_control_routes
from leadflow_emulators.ghl.delivery import WebhookDispatcher, WebhookSettings
from leadflow_emulators.ghl.exceptions import GhlError
from leadflow_emulators.ghl.models import GhlBackend
from leadflow_emulators.ghl.signing import SigningKeys
from leadflow_emulators.ghl.urls import fallback_routes, ghl_routes


def create_app(
    backend: GhlBackend | None = None,
    *,
    keys: SigningKeys | None = None,
    webhook_urls: Sequence[str] = (),
    webhook_retry_interval: float = 600.0,
) -> Starlette:
    """The emulator around ``backend`` (a fresh in-memory one when omitted); webhooks signed with ``keys``."""
    backend = backend or GhlBackend()
    app = emulator_app(
        backend,
        routes=[*ghl_routes(), *fallback_routes()],
        control=ghl_control_routes(),
        error_body=GhlError.internal().body("emulator-internal-error"),
        throttle_body=GhlError.too_many_requests().body("emulator-injected-429"),
    )
    settings = WebhookSettings(urls=list(webhook_urls), retry_interval=webhook_retry_interval)
    app.state.webhooks = WebhookDispatcher(backend, keys or SigningKeys.generate(), settings)
    return app
