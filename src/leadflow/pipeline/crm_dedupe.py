"""``leadflow crm dedupe``: golden people held by two or more Zoho records, merged through Zoho's merge API
(Leads into Leads, Contacts into Contacts; a Lead of a person who has a Contact converted into it), exactly
once, under the Zoho sync lock, recorded as a run like a sync."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import Engine

from leadflow.config import Settings
from leadflow.errors import InputError, LeadflowError
from leadflow.model import RunStatus
from leadflow.store import runs, sync_lock
from leadflow.sync.merge_apply import MergeReport, MergeRunner
from leadflow.sync.merge_plan import MergePlan, read_merge_plan, write_merge_plan
from leadflow.sync.merge_zoho import ZohoMerger
from leadflow.sync.runner import LockLost, SyncLocked
from leadflow.zoho.client import ClientOptions, ZohoClient

RUN_KIND = "crm_dedupe"
TARGET = "zoho"


@dataclass
class DedupeResult:
    """The plan, and when applied, the run and its report."""

    plan: MergePlan
    run_id: int | None = None
    report: MergeReport | None = None
    plan_written: Path | None = None


def crm_dedupe(
    settings: Settings,
    engine: Engine,
    *,
    plan_file: Path | None = None,
    apply: bool = False,
    wait: float = 0.0,
    on_step: Callable[[str], None] | None = None,
    http_client: httpx.Client | None = None,
    options: ClientOptions | None = None,
) -> DedupeResult:
    """Plan (dry run, the default) or apply the merges of duplicate Zoho records.

    Without ``apply``: plan from the store and the records as Zoho holds them now; with ``plan_file`` the plan is
    also written there. With ``apply``: apply ``plan_file`` exactly when given (as written by a dry run), else
    plan now and apply; merges left in flight by an earlier run are checked at Zoho first.

    Example:
        >>> crm_dedupe(settings, engine).plan.counts()  # doctest: +SKIP
        {'Contacts merges': 3, 'Contacts records merged away': 3, 'golden people with duplicates': 3}
    """
    with ZohoClient.from_settings(settings, engine, http_client, options=options) as zoho:
        merger = ZohoMerger(zoho, settings.sync.zoho)
        runner = MergeRunner(engine, merger, on_step=on_step)
        before = merger.usage()  # the run's calls and credits include reading the records to plan
        if not apply:
            plan = runner.plan_crm_duplicates(external_id_field=settings.sync.zoho.external_id_field)
            if plan_file is not None:
                write_merge_plan(plan, plan_file)
            return DedupeResult(plan, plan_written=plan_file)
        if plan_file is not None:
            plan = read_merge_plan(plan_file)
            if plan.target != TARGET:
                raise InputError(f"{plan_file}: a merge plan for {plan.target}, not for Zoho")
        with _zoho_lock(engine, settings, wait) as heartbeat:
            if plan_file is None:
                plan = runner.plan_crm_duplicates(external_id_field=settings.sync.zoho.external_id_field)
            with engine.begin() as connection:
                run_id = runs.start_run(connection, kind=RUN_KIND)
            status, error, report = RunStatus.SUCCEEDED, None, None
            try:
                report = runner.apply(plan, run_id=run_id, heartbeat=heartbeat)
                after = merger.usage()
                report.calls, report.credits = after.calls - before.calls, after.credits - before.credits
                if report.failures:
                    status = RunStatus.FAILED
                    error = f"{len(report.failures)} merges refused"
            except Exception as exc:
                status = RunStatus.FAILED
                error = str(exc) if isinstance(exc, LeadflowError) else f"{type(exc).__name__}: {exc}"
                raise
            finally:
                counters: dict[str, object] = dict(plan.counts())
                if report is not None:
                    counters.update(report.counts)
                    counters.update(calls=report.calls, credits=report.credits)
                    counters["failures"] = [list(f) for f in report.failures]
                with engine.begin() as connection:
                    runs.finish_run(connection, run_id=run_id, status=status, counters=counters, error=error)
        return DedupeResult(plan, run_id=run_id, report=report)


@contextmanager
def _zoho_lock(engine: Engine, settings: Settings, wait: float) -> Iterator[Callable[[], None]]:
    """The Zoho sync's lock: a dedupe and a sync never write to Zoho at once. Yields the lease's renewal."""
    owner = sync_lock.new_owner_id()
    deadline = time.monotonic() + wait
    while True:
        with engine.begin() as connection:
            if sync_lock.try_acquire(
                connection, target=TARGET, owner=owner, lease_seconds=settings.sync.lock_lease_seconds
            ):
                break
            holder = sync_lock.holder_of(connection, target=TARGET)
        if time.monotonic() >= deadline:
            raise SyncLocked(
                f"a sync to zoho is running ({holder.owner}, lease until {holder.expires_at}); "
                "try again later or pass --wait SECONDS"
            )
        time.sleep(0.5)
    lease = settings.sync.lock_lease_seconds

    def renew() -> None:
        with engine.begin() as connection:
            if not sync_lock.renew(connection, target=TARGET, owner=owner, lease_seconds=lease):
                raise LockLost("the lock on zoho was taken by another process; crm dedupe stopped")

    try:
        yield renew
    finally:
        with engine.begin() as connection:
            sync_lock.release(connection, target=TARGET, owner=owner)
