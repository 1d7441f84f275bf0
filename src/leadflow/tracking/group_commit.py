"""Group commit for the webhook intake: the deliveries of concurrent requests committed in one transaction.

Every delivery must be committed before its 2xx goes out. One transaction per request makes the commit (and its
fsync) the intake's bound; here one writer thread takes every delivery waiting, inserts them with one statement,
commits once, and only then answers each request. A request waits for at most the commit in progress plus its
own, and under load a commit carries hundreds of deliveries.

On SQLite the writer's connection runs ``synchronous=FULL``: in WAL mode that syncs the log at every commit, so a
committed delivery survives a power cut (the store's default, NORMAL, keeps it across a crash of the process but
not of the machine). PostgreSQL commits are durable as configured (``synchronous_commit`` on by default).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

from leadflow.log import get_logger
from leadflow.store import tracking as repo
from leadflow.store.db import create_store_engine

MAX_BATCH = 1_000  # deliveries per transaction at most (one INSERT statement with many VALUES rows)


@dataclass
class _Waiting:
    row: Mapping[str, Any]
    future: Future[bool] = field(default_factory=Future)
    # set when an event loop awaits the row: its future is resolved on that loop, all of a commit's at once
    loop: asyncio.AbstractEventLoop | None = None
    awaited: asyncio.Future[bool] | None = None


class GroupCommitter:
    """Stores delivery rows for many threads or tasks; :meth:`submit` gives a future that is True (stored) or
    False (already stored) once the row's transaction committed, or holds the store's error.

    Example:
        >>> committer = GroupCommitter(open_store("sqlite:///leadflow.db"))  # doctest: +SKIP
        >>> committer.submit(repo.delivery_row(...)).result()  # doctest: +SKIP
        True
    """

    def __init__(self, engine: Engine, *, max_batch: int = MAX_BATCH) -> None:
        self.engine = _durable(engine)
        self._owns_engine = self.engine is not engine
        self.max_batch = max_batch
        self.commits = 0
        self._queue: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.log = get_logger(__name__)

    def submit(self, row: Mapping[str, Any]) -> Future[bool]:
        waiting = _Waiting(row)
        self._enqueue(waiting)
        return waiting.future

    def _enqueue(self, waiting: _Waiting) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the intake's writer is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="leadflow-intake-writer", daemon=True)
                self._thread.start()
            self._queue.put(waiting)

    async def stored(self, row: Mapping[str, Any]) -> bool:
        """Submit from the event loop and await the commit: True when the row was new (raises the store's error).

        The writer wakes the loop once per commit, not once per row."""
        loop = asyncio.get_running_loop()
        waiting = _Waiting(row, loop=loop, awaited=loop.create_future())
        self._enqueue(waiting)
        assert waiting.awaited is not None
        return await waiting.awaited

    def store(self, row: Mapping[str, Any]) -> bool:
        """Submit and wait: True when the row was new."""
        return self.submit(row).result()

    def close(self) -> None:
        """Commit what is waiting, then stop the writer (and release its connections)."""
        with self._lock:
            self._closed = True
            thread = self._thread
            if thread is not None:
                self._queue.put(None)
        if thread is not None:
            thread.join(timeout=30)
        if self._owns_engine:
            self.engine.dispose()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            batch: list[_Waiting] = []
            stop = first is None
            if first is not None:
                batch.append(first)
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            if batch:
                self._write(batch)
            if stop:
                return

    def _write(self, batch: list[_Waiting]) -> None:
        try:
            with self.engine.begin() as connection:
                outcomes = repo.store_deliveries(connection, [waiting.row for waiting in batch])
        except Exception as exc:
            if len(batch) == 1:
                self.log.warning("tracking.intake_store_failed", error=str(exc))
                _settle(batch, [exc])
                return
            # one row must not fail the others: each alone, so only the bad one gets the error
            for waiting in batch:
                self._write([waiting])
            return
        self.commits += 1
        _settle(batch, outcomes)


def _settle(batch: list[_Waiting], outcomes: Sequence[bool | Exception]) -> None:
    """Give each row its outcome: thread futures directly, the loops' futures in one callback per loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[bool], bool | Exception]]] = defaultdict(list)
    for waiting, outcome in zip(batch, outcomes, strict=True):
        if waiting.loop is not None and waiting.awaited is not None:
            by_loop[waiting.loop].append((waiting.awaited, outcome))
        elif isinstance(outcome, Exception):
            waiting.future.set_exception(outcome)
        else:
            waiting.future.set_result(outcome)
    for loop, settled in by_loop.items():
        with suppress(RuntimeError):  # the loop closed meanwhile: nobody is waiting any more
            loop.call_soon_threadsafe(_resolve, settled)


def _resolve(settled: list[tuple[asyncio.Future[bool], bool | Exception]]) -> None:
    for future, outcome in settled:
        if future.done():  # the request was cancelled (client gone); its row is stored all the same
            continue
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


def _durable(engine: Engine) -> Engine:
    """``engine`` itself, or for SQLite an engine of its own whose connections sync every commit."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return engine
    durable = create_store_engine(engine.url.render_as_string(hide_password=False))

    @event.listens_for(durable, "connect")
    def _full_sync(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    return durable
