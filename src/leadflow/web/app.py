"""``create_app(settings)``: the FastAPI app over one runtime (settings, secrets, logging, store).

Nothing is made at import time: every app owns its runtime, so two apps (two test cases, two configs) never
share a store. Routes live in modules of their own (``web/health.py``, ``web/webhooks.py``, ``web/dashboard.py``),
each an ``APIRouter`` included here.

Example:
    >>> from fastapi.testclient import TestClient  # doctest: +SKIP
    >>> with TestClient(create_app(load_settings())) as client:  # doctest: +SKIP
    ...     client.get("/healthz").json()
    {'status': 'ok', 'store': 'reachable'}
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from leadflow import __version__
from leadflow.config import Settings
from leadflow.errors import LeadflowError
from leadflow.log import get_logger
from leadflow.runtime import LogOptions, Runtime
from leadflow.web import dashboard, health, webhooks
from leadflow.web.dashboard_auth import DashboardAccess
from leadflow.web.dashboard_snapshots import DashboardSnapshots, Warmer


def create_app(settings: Settings, *, logs: LogOptions | None = None) -> FastAPI:
    """The app serving ``settings``' store; its connections are released when the app shuts down."""
    runtime = Runtime.from_settings(settings, logs)
    refresh = settings.dashboard.refresh_seconds
    snapshots = DashboardSnapshots(runtime, dashboard.render_dashboard(settings), max_age_seconds=refresh)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        warmer = None
        try:
            runtime.engine  # noqa: B018 - open (and migrate) the store before the first request
        except LeadflowError as exc:  # serve anyway: /healthz says what is wrong, and a later request retries
            get_logger(__name__).warning("web.store_unavailable", error=str(exc))
        else:
            if refresh > 0:  # the dashboard's unfiltered page is computed before anyone asks for it
                warmer = Warmer(snapshots, interval=refresh / 2)
                warmer.start()
        try:
            yield
        finally:
            if warmer is not None:
                warmer.stop()
            app.state.intake.close()
            runtime.close()

    app = FastAPI(title="leadflow", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.runtime = runtime
    app.state.intake = webhooks.IntakeService(runtime)
    app.state.dashboard_access = DashboardAccess(runtime)
    app.state.dashboard_snapshots = snapshots
    app.include_router(health.router)
    app.include_router(webhooks.router)
    app.include_router(dashboard.router)
    app.add_middleware(webhooks.WebhookIntake)
    return app


def create_app_from_environment() -> FastAPI:
    """The app for ``uvicorn --factory`` (``leadflow serve --workers N``): settings from ``$LEADFLOW_CONFIG``
    and the ``LEADFLOW_*`` environment, as the command line reads them."""
    from leadflow.runtime import ConfigFile

    return create_app(Runtime(ConfigFile.find()).settings)
