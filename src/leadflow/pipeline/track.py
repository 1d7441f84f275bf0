"""The tracking stage run by ``leadflow serve`` and ``leadflow worker``: the worker with re-scoring wired in,
and the runner of the actions its events queue in Zoho.

New kinds of action plug in here: a planner in :func:`action_planners` (event -> actions, run in the worker's
transaction) and a handler in :func:`action_registry` (how to perform one, how to find an earlier attempt).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine

from leadflow.config import Settings
from leadflow.log import get_logger
from leadflow.pipeline.score import run_score_stage
from leadflow.tracking.actions import (
    ActionContext,
    ActionPlanner,
    ActionRegistry,
    ActionRow,
    ActionRunner,
    ActionTally,
    RetryPolicy,
)
from leadflow.tracking.rules import CONVERT, rules_planner
from leadflow.tracking.worker import TrackingWorker, WorkerTally
from leadflow.tracking.zoho_actions import default_registry
from leadflow.zoho.client import ZohoClient

RESCORE_EVERY_SECONDS = 2.0  # re-scores are debounced: a burst of events costs one scoring run


class DebouncedRescore:
    """Re-scores (every golden record, through the score stage) at most once per ``interval`` seconds; people
    whose events arrived in between are covered by the next run, which ``flush`` forces."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        interval: float = RESCORE_EVERY_SECONDS,
        as_of: datetime | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.interval = interval
        self.as_of = as_of  # score as of this moment rather than now (the demo's week stands still)
        self.pending: set[str] = set()
        self.runs = 0
        self._last = 0.0
        self._lock = threading.Lock()

    def __call__(self, people: set[str]) -> None:
        with self._lock:
            self.pending |= people
            if time.monotonic() - self._last >= self.interval:
                self._run()

    def flush(self) -> None:
        with self._lock:
            if self.pending:
                self._run()

    def _run(self) -> None:
        run_score_stage(self.engine, self.settings, now=self.as_of)
        self.runs += 1
        self.pending.clear()
        self._last = time.monotonic()


def action_planners(settings: Settings) -> list[ActionPlanner]:
    """What turns stored events into actions: ``[tracking.rules]`` (add a planner here for a new kind)."""
    return [rules_planner(settings.tracking.rules)]


def action_registry(settings: Settings) -> ActionRegistry:
    """The handler of every kind of action (register a new kind's handler here)."""
    return default_registry(settings.tracking.rules)


def tracking_worker(
    engine: Engine, settings: Settings, *, worker_id: str | None = None, as_of: datetime | None = None
) -> tuple[TrackingWorker, DebouncedRescore]:
    """A worker whose affected people are re-scored (debounced; as of ``as_of`` when given, else now) and whose
    events queue their actions."""
    rescore = DebouncedRescore(engine, settings, as_of=as_of)
    worker = TrackingWorker(
        engine,
        rescore=rescore,
        planners=action_planners(settings),
        worker_id=worker_id,
        lease=timedelta(seconds=settings.tracking.lease_seconds),
    )
    return worker, rescore


def action_runner(
    engine: Engine,
    settings: Settings,
    zoho: ZohoClient,
    *,
    rescore: DebouncedRescore | None = None,
    worker_id: str | None = None,
    services: Mapping[str, Any] | None = None,
) -> ActionRunner:
    """The runner of queued actions; a batch holding a conversion first brings pending re-scores up to date
    (the grade decides it)."""

    def fresh_scores(actions: Sequence[ActionRow]) -> None:
        if rescore is not None and any(a.kind == CONVERT and a.golden_person_id in rescore.pending for a in actions):
            rescore.flush()

    t = settings.tracking
    return ActionRunner(
        engine,
        action_registry(settings),
        ActionContext(engine, zoho, dict(services or {})),
        worker_id=worker_id,
        lease=timedelta(seconds=t.lease_seconds),
        policy=RetryPolicy(max_attempts=t.action_max_attempts, base_seconds=t.action_retry_seconds),
        before_batch=fresh_scores,
    )


@dataclass
class TrackingProcess:
    """A worker process's tracking loop: store events (queueing their actions), re-score, perform actions."""

    worker: TrackingWorker
    rescore: DebouncedRescore
    runner: ActionRunner
    zoho: ZohoClient
    events: WorkerTally = field(default_factory=WorkerTally)
    actions: ActionTally = field(default_factory=ActionTally)

    def run_once(self, limit: int = 500) -> int:
        """One batch of events then one of actions; how many of either were claimed."""
        tally = self.worker.run_once(limit)
        self.events.add(tally)
        done = self.runner.run_once(min(limit, 100))
        self.actions.add(done)
        return tally.claimed + done.claimed

    def drain(self) -> None:
        """Every waiting event, then every due action."""
        self.events.add(self.worker.drain())
        self.rescore.flush()
        self.actions.add(self.runner.drain())

    def run_forever(self, stop: threading.Event, *, idle_seconds: float = 0.5) -> None:
        log = get_logger(__name__)
        while not stop.is_set():
            try:
                claimed = self.run_once()
            except Exception as exc:  # a store or network hiccup must not end the service; leases hand work on
                log.warning("tracking.loop_error", error=str(exc))
                stop.wait(idle_seconds)
                continue
            if claimed == 0:
                stop.wait(idle_seconds)
        self.rescore.flush()

    def close(self) -> None:
        self.zoho.close()


def tracking_process(
    engine: Engine,
    settings: Settings,
    *,
    http_client: httpx.Client | None = None,
    worker_id: str | None = None,
    services: Mapping[str, Any] | None = None,
    as_of: datetime | None = None,
) -> TrackingProcess:
    """The worker and the action runner of one process (``http_client`` lets tests talk to an emulator; ``as_of``:
    re-score as of that moment, not now)."""
    worker, rescore = tracking_worker(engine, settings, worker_id=worker_id, as_of=as_of)
    zoho = ZohoClient.from_settings(settings, engine, http_client)
    runner = action_runner(engine, settings, zoho, rescore=rescore, worker_id=worker_id, services=services)
    return TrackingProcess(worker, rescore, runner, zoho)


def start_worker_thread(engine: Engine, settings: Settings) -> tuple[threading.Thread, threading.Event]:
    """The in-process worker of ``leadflow serve``: a daemon thread stopped by setting the returned event."""
    process = tracking_process(engine, settings)
    stop = threading.Event()

    def loop() -> None:
        try:
            process.run_forever(stop)
        finally:
            process.close()

    thread = threading.Thread(target=loop, name="leadflow-tracking-worker", daemon=True)
    thread.start()
    return thread, stop
