"""Webhook delivery as GHL does it: every event POSTed as JSON to each subscribed URL, signed over the
raw bytes; retried only after a 429, up to six times, ``retry_interval`` seconds apart (GHL: about ten
minutes; settable here); any other answer, or no answer at all, is final, so a receiver that is down
loses the event. Each attempt and its answer is recorded on the backend (``backend.deliveries``).

One worker thread sends in order of due time; ``wait_idle`` lets tests and the demo wait for it.
"""

from __future__ import annotations

import heapq
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from leadflow_emulators.ghl.models import GhlBackend
from leadflow_emulators.ghl.signing import SigningKeys

MAX_RETRIES = 6
DEFAULT_APP_ID = "65f0c0ffee0000000000abcd"  # the first part of the default OAuth client id, as GHL's appId


@dataclass
class WebhookSettings:
    urls: list[str] = field(default_factory=list)
    retry_interval: float = 600.0
    max_retries: int = MAX_RETRIES
    timeout: float = 5.0
    app_id: str = DEFAULT_APP_ID


@dataclass(order=True)
class _Job:
    due: float
    order: int
    url: str = field(compare=False)
    raw: bytes = field(compare=False)
    record: dict[str, Any] = field(compare=False)


class WebhookDispatcher:
    def __init__(self, backend: GhlBackend, keys: SigningKeys, settings: WebhookSettings | None = None) -> None:
        self.backend = backend
        self.keys = keys
        self.settings = settings or WebhookSettings()
        self._jobs: list[_Job] = []
        self._order = itertools.count()
        self._busy = 0
        self._cond = threading.Condition()
        self._stopped = False
        self._client = httpx.Client(timeout=self.settings.timeout)
        self._thread = threading.Thread(target=self._run, name="ghl-webhooks", daemon=True)
        self._thread.start()
        backend.listeners.append(self.enqueue)
        backend.reset_hooks.append(self.clear)
        backend.webhooks_pending = self.pending

    def enqueue(self, event: dict[str, Any]) -> None:
        if not self.settings.urls:
            return
        raw = json.dumps({**event, "appId": self.settings.app_id}, separators=(",", ":")).encode("utf-8")
        with self._cond:
            for url in self.settings.urls:
                record: dict[str, Any] = {
                    "webhookId": event["webhookId"],
                    "type": event["type"],
                    "url": url,
                    "attempts": [],
                    "outcome": "pending",
                }
                self.backend.record_delivery(record)
                heapq.heappush(self._jobs, _Job(time.monotonic(), next(self._order), url, raw, record))
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._jobs or self._jobs[0].due > time.monotonic()):
                    wait = self._jobs[0].due - time.monotonic() if self._jobs else None
                    self._cond.wait(wait)
                if self._stopped:
                    return
                job = heapq.heappop(self._jobs)
                self._busy += 1
            try:
                self._attempt(job)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _attempt(self, job: _Job) -> None:
        headers = {"Content-Type": "application/json", **self.keys.sign(job.raw)}
        attempt: dict[str, Any] = {"at": self.backend.clock.now().isoformat()}
        try:
            response = self._client.post(job.url, content=job.raw, headers=headers)
            attempt["status"] = response.status_code
        except httpx.HTTPError as error:
            attempt["error"] = f"{type(error).__name__}: {error}"
        job.record["attempts"].append(attempt)
        status = attempt.get("status")
        retries = len(job.record["attempts"]) - 1
        if status == 429 and retries < self.settings.max_retries:
            job.record["outcome"] = "retrying"
            with self._cond:
                heapq.heappush(
                    self._jobs,
                    _Job(
                        time.monotonic() + self.settings.retry_interval, next(self._order), job.url, job.raw, job.record
                    ),
                )
            return
        if status is not None and 200 <= status < 300:
            job.record["outcome"] = "delivered"
        else:
            job.record["outcome"] = "lost"

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is due now or being sent (retries scheduled later do not count)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._busy or (self._jobs and self._jobs[0].due <= time.monotonic()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
            return True

    def pending(self) -> int:
        with self._cond:
            return len(self._jobs) + self._busy

    def clear(self) -> None:
        with self._cond:
            self._jobs.clear()

    def close(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._thread.join(timeout=5)
        self._client.close()
