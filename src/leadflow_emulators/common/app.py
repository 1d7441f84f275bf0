"""``emulator_app``: the Starlette app every emulator is, around its backend.

Routes in order: the shared control plane (plus the emulator's own control routes), then the API
routes. ``app.state.backend`` is the backend (the control plane and the route helpers find it there).
Middleware, outermost first: fault injection (``backend.faults``, answering ``error_body`` for injected
errors and ``throttle_body`` for injected 429s), then the emulator's own (rate or concurrency limits).
An unhandled exception answers 500 with ``error_body``.

Example:
    >>> from leadflow_emulators.zoho.models import ZohoBackend
    >>> app = emulator_app(ZohoBackend(seed=1), routes=[], error_body={"error": "x"}, throttle_body={})
    >>> sorted(route.path for route in app.routes)[0]
    '/_emulator/clock'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from leadflow_emulators.common.backend import EmulatorBackend
from leadflow_emulators.common.control import control_routes
from leadflow_emulators.common.faults import FaultMiddleware
from leadflow_emulators.common.jsonresp import json_response


def emulator_app(
    backend: EmulatorBackend,
    *,
    routes: Sequence[BaseRoute],
    error_body: dict[str, Any],
    throttle_body: dict[str, Any],
    control: Sequence[BaseRoute] = (),
    middleware: Sequence[Middleware] = (),
) -> Starlette:
    """The app serving ``routes`` for ``backend``, with the control plane and fault injection."""

    async def internal_error(request: Request, exc: Exception) -> Response:
        return json_response(error_body, status=500)

    app = Starlette(
        routes=[*control_routes(extra=control), *routes],
        middleware=[
            Middleware(FaultMiddleware, faults=backend.faults, error_body=error_body, throttle_body=throttle_body),
            *middleware,
        ],
        exception_handlers={Exception: internal_error},
    )
    app.state.backend = backend
    return app
