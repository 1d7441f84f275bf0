"""The tracking stage run by ``leadflow serve`` and ``leadflow worker``: the worker, then for the people its events
touched an incremental re-score and a sync of those people alone (debounced per person).

A person waits until no event of theirs arrived for ``[tracking] rescore_delay_seconds`` (at most
``rescore_max_delay_seconds`` after the first), so a burst of events costs one re-score and one sync. The re-score
(:func:`leadflow.pipeline.score.rescore_people`) leaves them as a full score run would; the sync plans only them
and goes through the sync engine's outbox, so it is exactly-once and resumable like any sync (a run that stops
half way leaves its operations pending, and the next run of either kind sends them).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from sqlalchemy import Engine

from leadflow.config import Settings
from leadflow.log import get_logger
from leadflow.pipeline.ghl_sync import ghl_configured, ghl_sync
from leadflow.pipeline.score import compile_configured_segments, rescore_people
from leadflow.pipeline.sync import zoho_sync
from leadflow.sync.runner import SyncReport
from leadflow.tracking.worker import TrackingWorker, WorkerTally

SYNC_LOCK_WAIT_SECONDS = 30.0  # a full `leadflow sync` may hold a target; the targeted one waits its turn


@dataclass
class TargetedSync:
    """Syncs some people to the configured targets (Zoho; GoHighLevel when ``[ghl]`` is set), Zoho first.

    ``http_clients`` (by target) replace the clients' own HTTP connections, for tests.
    """

    engine: Engine
    settings: Settings
    http_clients: dict[str, httpx.Client] = field(default_factory=dict)

    def targets(self) -> list[str]:
        zoho = self.settings.zoho
        names = ["zoho"] if zoho.client_id or zoho.access_token or zoho.auth == "proxy" else []
        return [*names, "ghl"] if ghl_configured(self.settings) else names

    def __call__(self, golden_ids: Collection[str]) -> dict[str, SyncReport]:
        reports: dict[str, SyncReport] = {}
        for name in self.targets():
            runner_of = ghl_sync if name == "ghl" else zoho_sync
            with runner_of(
                self.settings, self.engine, http_client=self.http_clients.get(name), golden_ids=golden_ids
            ) as runner:
                reports[name] = runner.run(wait=SYNC_LOCK_WAIT_SECONDS)
        return reports


class DebouncedRescore:
    """People whose events arrived, re-scored (and synced, when ``sync`` is given) once their burst is over.

    Call it with the people a worker batch touched; call :meth:`tick` often (the tracking loop does) to handle
    those who are due; :meth:`flush` handles everyone waiting now. A failed re-score or sync keeps the people
    waiting for the next tick (the sync's own outbox keeps what it had sent).
    """

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        sync: Callable[[Collection[str]], dict[str, SyncReport]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.sync = sync
        self.clock = clock
        self.delay = settings.tracking.rescore_delay_seconds
        self.max_delay = max(settings.tracking.rescore_max_delay_seconds, self.delay)
        self.compiled = compile_configured_segments(settings)
        self.runs = 0
        self.syncs = 0
        self.rescored: set[str] = set()  # everyone re-scored over this object's life (for reports and tests)
        self.last_sync: dict[str, SyncReport] = {}
        self._first: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._to_sync: set[str] = set()
        self._lock = threading.Lock()
        self.log = get_logger(__name__)

    @property
    def pending(self) -> set[str]:
        """People waiting for a re-score."""
        with self._lock:
            return set(self._first)

    def __call__(self, people: set[str]) -> None:
        now = self.clock()
        with self._lock:
            for person in people:
                self._first.setdefault(person, now)
                self._last[person] = now

    def seconds_to_next(self) -> float | None:
        """How long until someone is due (0: now), or None when nobody waits."""
        with self._lock:
            if self._to_sync:
                return 0.0
            if not self._first:
                return None
            now = self.clock()
            return max(
                0.0,
                min(min(self._last[p] + self.delay, self._first[p] + self.max_delay) - now for p in self._first),
            )

    def tick(self) -> int:
        """Re-score (and sync) the people who are due; how many were re-scored."""
        now = self.clock()
        with self._lock:
            due = {
                person
                for person, first in self._first.items()
                if now - self._last[person] >= self.delay or now - first >= self.max_delay
            }
        return self._handle(due)

    def flush(self) -> int:
        """Re-score (and sync) everyone waiting, due or not."""
        with self._lock:
            due = set(self._first)
        return self._handle(due)

    def _handle(self, due: set[str]) -> int:
        if due:
            try:
                outcome = rescore_people(self.engine, self.settings, due, compiled=self.compiled)
            except Exception as exc:  # the store or a lock: they stay waiting, the next tick tries again
                self.log.warning("tracking.rescore_failed", people=len(due), error=str(exc))
                return 0
            with self._lock:
                for person in due:
                    self._first.pop(person, None)
                    self._last.pop(person, None)
                if self.sync is not None and self.settings.tracking.sync_after_rescore:
                    self._to_sync |= outcome.changed
            self.runs += 1
            self.rescored |= due
            self.log.info("tracking.rescored", people=len(due), changed=len(outcome.changed))
        self._push()
        return len(due)

    def _push(self) -> None:
        with self._lock:
            people = set(self._to_sync)
        if not people or self.sync is None:
            return
        try:
            reports = self.sync(people)
        except Exception as exc:  # a target unreachable or locked: sent operations stay in the outbox
            self.log.warning("tracking.sync_failed", people=len(people), error=str(exc))
            return
        unfinished = [
            f"{name}: {report.stopped or f'{report.open_after} operations unanswered'}"
            for name, report in reports.items()
            if report.stopped or report.open_after
        ]
        if unfinished:  # a budget ran out or answers were lost: the outbox keeps them; these people go again
            self.log.warning("tracking.sync_unfinished", people=len(people), reasons="; ".join(unfinished))
            return
        with self._lock:
            self._to_sync -= people
        self.syncs += 1
        self.last_sync = reports


def tracking_worker(
    engine: Engine,
    settings: Settings,
    *,
    worker_id: str | None = None,
    http_clients: dict[str, httpx.Client] | None = None,
) -> tuple[TrackingWorker, DebouncedRescore]:
    """A worker whose affected people are re-scored, and synced when ``[tracking] sync_after_rescore`` is on."""
    sync = TargetedSync(engine, settings, dict(http_clients or {})) if settings.tracking.sync_after_rescore else None
    rescore = DebouncedRescore(engine, settings, sync=sync)
    return TrackingWorker(engine, rescore=rescore, worker_id=worker_id, lease=timedelta(minutes=2)), rescore


def run_tracking(
    worker: TrackingWorker,
    rescore: DebouncedRescore,
    stop: threading.Event,
    *,
    idle_seconds: float = 0.25,
    limit: int = 500,
) -> WorkerTally:
    """Process deliveries and handle due re-scores until ``stop`` is set; then re-score whoever still waits."""
    log = get_logger(__name__)
    total = WorkerTally()
    while not stop.is_set():
        try:
            tally = worker.run_once(limit)
        except Exception as exc:  # a store hiccup must not end the service; the lease hands work on
            log.warning("tracking.worker_error", error=str(exc))
            stop.wait(idle_seconds)
            continue
        total.add(tally)
        rescore.tick()
        if tally.claimed == 0:
            due_in = rescore.seconds_to_next()
            stop.wait(idle_seconds if due_in is None else min(idle_seconds, due_in))
    rescore.flush()
    return total


def start_worker_thread(engine: Engine, settings: Settings) -> tuple[threading.Thread, threading.Event]:
    """The in-process worker of ``leadflow serve``: a daemon thread stopped by setting the returned event."""
    worker, rescore = tracking_worker(engine, settings)
    stop = threading.Event()
    thread = threading.Thread(
        target=run_tracking, args=(worker, rescore, stop), name="leadflow-tracking-worker", daemon=True
    )
    thread.start()
    return thread, stop
