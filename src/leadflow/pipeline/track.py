"""The tracking stage run by ``leadflow serve`` and ``leadflow worker``: the worker with re-scoring wired in."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import Engine

from leadflow.config import Settings
from leadflow.pipeline.score import run_score_stage
from leadflow.tracking.worker import TrackingWorker

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


def tracking_worker(
    engine: Engine, settings: Settings, *, worker_id: str | None = None, as_of: datetime | None = None
) -> tuple[TrackingWorker, DebouncedRescore]:
    """A worker whose affected people are re-scored (debounced; as of ``as_of`` when given, else now)."""
    rescore = DebouncedRescore(engine, settings, as_of=as_of)
    return TrackingWorker(engine, rescore=rescore, worker_id=worker_id, lease=timedelta(minutes=2)), rescore


def start_worker_thread(engine: Engine, settings: Settings) -> tuple[threading.Thread, threading.Event]:
    """The in-process worker of ``leadflow serve``: a daemon thread stopped by setting the returned event."""
    worker, rescore = tracking_worker(engine, settings)
    stop = threading.Event()

    def loop() -> None:
        worker.run_forever(stop)
        rescore.flush()

    thread = threading.Thread(target=loop, name="leadflow-tracking-worker", daemon=True)
    thread.start()
    return thread, stop
