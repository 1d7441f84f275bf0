"""A background job worker for emulators: one thread that runs queued jobs in order (Zoho's bulk jobs;
webhook deliveries and other work an emulator does after answering). A backend owns its runners.

Example:
    >>> runner = JobRunner()
    >>> done = []
    >>> runner.submit(lambda: done.append(1))
    >>> runner.wait_idle(5), done
    (True, [1])
    >>> runner.close()
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Task:
    run: Callable[[], None]


class JobRunner:
    """One daemon thread that runs queued jobs in order; ``wait_idle`` lets tests and benchmarks sync.

    The thread stops after ``idle_seconds`` without work and starts again with the next job, so a runner
    that is simply dropped (the control plane's reset does that) leaves no thread behind for long.
    """

    def __init__(self, idle_seconds: float = 5.0, *, name: str = "emulator-jobs") -> None:
        self._queue: queue.Queue[_Task | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._pending = 0
        self._idle = threading.Condition(self._lock)
        self._go = threading.Event()
        self._go.set()
        self._idle_seconds = idle_seconds
        self._name = name

    @property
    def running(self) -> bool:
        """Whether the worker thread is alive right now."""
        with self._lock:
            return self._thread is not None and self._thread.is_alive()

    def pause(self) -> None:
        """Hold queued jobs in ADDED until ``resume`` (tests observe the states this way)."""
        self._go.clear()

    def resume(self) -> None:
        self._go.set()

    def submit(self, run: Callable[[], None]) -> None:
        with self._lock:  # enqueue under the lock: the worker only retires when it sees an empty queue
            self._pending += 1
            self._queue.put(_Task(run))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            try:
                task = self._queue.get(timeout=self._idle_seconds)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            if task is None:
                return
            self._go.wait()
            try:
                task.run()
            except Exception:  # a failed job is recorded by its own runner; never kill the worker
                log.exception("job crashed in %s", self._name)
            finally:
                with self._lock:
                    self._pending -= 1
                    self._idle.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until every submitted job has finished; False on timeout."""
        with self._lock:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self) -> None:
        with self._lock:
            thread = self._thread
        self._go.set()
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout=5)
