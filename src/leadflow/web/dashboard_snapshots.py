"""Rendered dashboard pages kept per filter set, so a page view does not wait for every report's SQL.

Over 100,000 people the six reports take seconds to compute; a page view should take well under one. Each
rendered page is kept with the store's *fingerprint* when it was computed (the highest id of the tables every
write stage appends to, and the last finished run). A kept page is served while it is younger than
``[dashboard] refresh_seconds``, and after that for as long as the fingerprint is unchanged (up to an hour: the
reports' "now" moves too). A warmer thread keeps the unfiltered page (the one people open) computed ahead of the
first visit and recomputes it within half a refresh period of a change, at most once per period however busy
the webhooks are. The page says when its numbers were computed; the JSON API and the CLI always compute afresh.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from leadflow.log import get_logger
from leadflow.reporting.model import ReportFilters
from leadflow.runtime import Runtime
from leadflow.store.schema import (
    engagement_events,
    quarantine,
    runs,
    source_records,
    sync_log,
    webhook_deliveries,
)

Render = Callable[[Connection, ReportFilters], str]
CAPACITY = 64  # filter sets kept; the least recently used goes first
UNCHANGED_MAX_AGE = 3600.0  # seconds a page of an unchanged store is kept


@dataclass(frozen=True)
class Snapshot:
    html: str
    fingerprint: tuple[Any, ...]
    computed_at: float  # time.monotonic()


def store_fingerprint(connection: Connection) -> tuple[Any, ...]:
    """What changes whenever a stage writes: ingest, resolve, score, mirror and sync record runs; webhooks and
    the tracking worker append deliveries and events; the sync appends to its log. Each is an index look-up."""
    appended = [
        select(func.max(table.c.id)).scalar_subquery()
        for table in (runs, engagement_events, webhook_deliveries, sync_log, source_records, quarantine)
    ]
    finished = select(func.max(runs.c.finished_at)).scalar_subquery()
    return tuple(connection.execute(select(*appended, finished)).one())


class DashboardSnapshots:
    """Pages by filters, recomputed when stale; one computation at a time (they are CPU-bound)."""

    def __init__(self, runtime: Runtime, render: Render, *, max_age_seconds: float) -> None:
        self.runtime = runtime
        self.render = render
        self.max_age_seconds = max_age_seconds
        self._pages: OrderedDict[ReportFilters, Snapshot] = OrderedDict()
        self._lock = threading.Lock()
        self._compute = threading.Lock()

    def page(self, filters: ReportFilters) -> str:
        """The page for ``filters``: the kept one when still fresh, else computed now (and kept)."""
        if self.max_age_seconds <= 0:
            with self.runtime.engine.connect() as connection:
                return self.render(connection, filters)
        with self.runtime.engine.connect() as connection:
            fingerprint = store_fingerprint(connection)
        kept = self._fresh(filters, fingerprint)
        if kept is not None:
            return kept.html
        with self._compute:
            kept = self._fresh(filters, fingerprint)  # computed by another request meanwhile
            if kept is not None:
                return kept.html
            return self._recompute(filters).html

    def refresh(self, filters: ReportFilters) -> bool:
        """Recompute ``filters``' page if it is missing, or the store changed since (once the page is older than
        half a refresh period), or it is an hour old; True when it did."""
        with self.runtime.engine.connect() as connection:
            fingerprint = store_fingerprint(connection)
        with self._lock:
            kept = self._pages.get(filters)
        if kept is not None:
            age = time.monotonic() - kept.computed_at
            changed = kept.fingerprint != fingerprint and age >= self.max_age_seconds / 2
            if not changed and age < UNCHANGED_MAX_AGE:
                return False
        with self._compute:
            self._recompute(filters)
        return True

    def _fresh(self, filters: ReportFilters, fingerprint: tuple[Any, ...]) -> Snapshot | None:
        with self._lock:
            kept = self._pages.get(filters)
            if kept is None:
                return None
            age = time.monotonic() - kept.computed_at
            unchanged = kept.fingerprint == fingerprint and age < UNCHANGED_MAX_AGE
            if not (age < self.max_age_seconds or unchanged):
                return None
            self._pages.move_to_end(filters)
            return kept

    def _recompute(self, filters: ReportFilters) -> Snapshot:
        # the fingerprint is read before the reports (in their transaction): a write landing meanwhile leaves the
        # kept page with an older fingerprint, so it is recomputed, never hidden behind a newer one
        with self.runtime.engine.connect() as connection, connection.begin():
            fingerprint = store_fingerprint(connection)
            html = self.render(connection, filters)
        snapshot = Snapshot(html, fingerprint, time.monotonic())
        with self._lock:
            self._pages[filters] = snapshot
            self._pages.move_to_end(filters)
            while len(self._pages) > CAPACITY:
                self._pages.popitem(last=False)
        return snapshot


class Warmer:
    """A daemon thread that keeps the unfiltered page computed: at start, then as :meth:`DashboardSnapshots.refresh`
    decides, checked every ``interval`` seconds."""

    def __init__(self, snapshots: DashboardSnapshots, *, interval: float) -> None:
        self.snapshots = snapshots
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dashboard-warmer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        log = get_logger(__name__)
        while not self._stop.is_set():
            try:
                self.snapshots.refresh(ReportFilters())
            except Exception as exc:
                log.warning("dashboard.warm_failed", error=str(exc).splitlines()[0] if str(exc) else repr(exc))
            self._stop.wait(self.interval)
