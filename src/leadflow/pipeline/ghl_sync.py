"""The sync stage to GoHighLevel: golden people out to GHL contacts through the target-neutral sync engine."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import Engine

from leadflow.config import Settings
from leadflow.ghl import GhlClient, GhlOptions
from leadflow.reporting.facts import refresh_report_facts
from leadflow.sync.ghl_schema import ghl_schema
from leadflow.sync.ghl_target import GhlTarget
from leadflow.sync.merge_apply import merge_golden_records
from leadflow.sync.merge_ghl import GhlMerger
from leadflow.sync.plan import Plan, Planner, PlanTally
from leadflow.sync.planfile import write_plan_stream
from leadflow.sync.runner import Progress, SyncRunner


def ghl_configured(settings: Settings) -> bool:
    """Whether ``[ghl]`` names a location and a way in (a Private Integration Token, or an OAuth app).

    Example:
        >>> ghl_configured(Settings())
        False
    """
    gs = settings.ghl
    if not gs.location_id:
        return False
    return bool(gs.token) if gs.auth == "pit" else bool(gs.client_id)


def ghl_planner(settings: Settings) -> Planner:
    """The planner of a sync to GoHighLevel with ``[sync]``, ``[sync.ghl]`` and the owned tag prefix."""
    return Planner(
        ghl_schema(settings.sync.ghl), tag_prefix=settings.segments.tag_prefix, chunk=settings.sync.chunk_records
    )


def write_ghl_plan_file(settings: Settings, engine: Engine, path: Path) -> PlanTally:
    """Plan the sync to GoHighLevel straight into ``path`` (streamed); its tally back."""
    planner = ghl_planner(settings)
    tally = planner.new_tally()
    with engine.connect() as connection:
        write_plan_stream(planner.chunks(connection, tally), tally, path)
    return tally


def plan_ghl_sync(settings: Settings, engine: Engine) -> Plan:
    """What a sync to GoHighLevel would do now (no call, no write).

    Example:
        >>> plan_ghl_sync(load_settings(), open_store("sqlite:///leadflow.db")).counts()  # doctest: +SKIP
        {'contacts create': 120, 'contacts tags added': 80, 'unchanged records': 0}
    """
    with engine.connect() as connection:
        return ghl_planner(settings).build(connection)


@contextmanager
def ghl_sync(
    settings: Settings,
    engine: Engine,
    *,
    progress: Progress | None = None,
    http_client: httpx.Client | None = None,
    options: GhlOptions | None = None,
    golden_ids: Collection[str] | None = None,
) -> Iterator[SyncRunner]:
    """A sync runner writing to the GoHighLevel location of ``[ghl]`` (closes its client at the end); with
    ``golden_ids``, it plans those people (and their companies) only.

    Example:
        >>> with ghl_sync(settings, engine) as runner:  # doctest: +SKIP
        ...     report = runner.run()
    """
    ghl = GhlClient.from_settings(settings, engine, http_client, options=options)
    merger = GhlMerger(ghl, settings.sync.ghl)

    def merge_golden(run_id: int | None) -> Counter[str]:
        return merge_golden_records(engine, merger, run_id=run_id, heartbeat=runner.renew_lock)

    try:
        runner = SyncRunner(
            engine,
            GhlTarget(ghl, settings.sync.ghl, segments=settings.segments),
            settings.sync,
            progress=progress,
            tag_prefix=settings.segments.tag_prefix,
            prelude=merge_golden,
            golden_ids=golden_ids,
        )
        yield runner
        refresh_report_facts(engine)  # the id map and the GHL tags feed the report facts
    finally:
        ghl.close()
