"""The plan and sync stages: golden records from the store to Zoho through the sync engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from sqlalchemy import Engine

from leadflow.config import Settings
from leadflow.sync.plan import Plan, Planner
from leadflow.sync.runner import Progress, SyncRunner
from leadflow.sync.zoho_target import ZohoTarget
from leadflow.zoho.client import ClientOptions, ZohoClient


def plan_sync(settings: Settings, engine: Engine) -> Plan:
    """What a sync to Zoho would do now (no call, no write).

    Example:
        >>> plan_sync(load_settings(), open_store("sqlite:///leadflow.db")).counts()  # doctest: +SKIP
        {'Leads create': 120, 'Leads tags added': 80, 'unchanged records': 0}
    """
    with engine.connect() as connection:
        return Planner(settings.sync).build(connection)


@contextmanager
def zoho_sync(
    settings: Settings,
    engine: Engine,
    *,
    progress: Progress | None = None,
    http_client: httpx.Client | None = None,
    options: ClientOptions | None = None,
) -> Iterator[SyncRunner]:
    """A sync runner writing to the Zoho org of ``[zoho]`` (closes its client at the end).

    Example:
        >>> with zoho_sync(settings, engine) as runner:  # doctest: +SKIP
        ...     report = runner.run()
    """
    zoho = ZohoClient.from_settings(settings, engine, http_client, options=options)
    try:
        yield SyncRunner(engine, ZohoTarget(zoho), settings.sync, progress=progress)
    finally:
        zoho.close()
