"""Fault injection for emulators: added latency, a share of 500s, 429 bursts, "commit then drop", and
counted server errors before or after the write.

``FaultMiddleware`` is a raw ASGI middleware that wraps an emulator app. "Commit then drop" lets the
request run to completion (the write happens) and then withholds the response: over a real socket (uvicorn)
the connection is closed without a byte of response; in-process (httpx's ``ASGITransport`` or Starlette's
``TestClient``) it raises ``httpx.RemoteProtocolError`` from the transport. ``error_after_commit`` lets the
next n writes run to completion and answers each with ``error_status`` (what a real server can do when it
fails after committing); ``error_before_commit`` answers the next n writes with ``error_status`` without
running them. Those three counted faults apply to the methods of ``drop_methods`` (the writes by default).

Example:
    >>> faults = Faults(seed=1)
    >>> faults.configure({"burst_429": 2})
    >>> faults.snapshot()["burst_429"]
    2
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import httpx

from leadflow_emulators.common.jsonresp import dumps

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
CONTROL_PREFIX = "/_emulator/"


@dataclass
class FaultConfig:
    """What to inject, and into which requests (``path_prefix``/``path_contains``/``methods``)."""

    latency_ms: float = 0.0
    error_rate: float = 0.0
    error_status: int = 500
    burst_429: int = 0
    drop_after_commit: int = 0
    error_after_commit: int = 0
    error_before_commit: int = 0
    drop_methods: list[str] = field(default_factory=lambda: list(_WRITE_METHODS))
    path_prefix: str = ""
    path_contains: str = ""
    dropped: int = 0
    errors_injected: int = 0
    throttled: int = 0


class Faults:
    """Thread-safe fault settings shared by the control plane and the middleware.

    ``path_prefix`` is where faults apply unless configured otherwise (Zoho: ``/crm``); the control
    plane (``/_emulator/``) is never faulted. An emulator with faults of its own passes a subclass of
    ``FaultConfig`` as ``config_type`` (its fields become settable at ``/_emulator/faults``) and reads
    them from ``config`` where it applies them.
    """

    def __init__(self, seed: int = 0, *, path_prefix: str = "", config_type: type[FaultConfig] = FaultConfig) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._default_prefix = path_prefix
        self._config_type = config_type
        self.config = config_type(path_prefix=path_prefix)

    def configure(self, changes: dict[str, Any]) -> None:
        """Merge settings (unknown keys raise ``ValueError``)."""
        with self._lock:
            known = set(self._config_type.__dataclass_fields__)
            unknown = set(changes) - known
            if unknown:
                raise ValueError(f"unknown fault settings: {sorted(unknown)}")
            for key, value in changes.items():
                setattr(self.config, key, value)

    def clear(self) -> None:
        with self._lock:
            self.config = self._config_type(path_prefix=self._default_prefix)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return asdict(self.config)

    def applies(self, path: str) -> bool:
        config = self.config
        if path.startswith(CONTROL_PREFIX):
            return False
        return path.startswith(config.path_prefix) and config.path_contains in path

    def take_429(self) -> bool:
        with self._lock:
            if self.config.burst_429 > 0:
                self.config.burst_429 -= 1
                self.config.throttled += 1
                return True
            return False

    def take_error(self) -> bool:
        with self._lock:
            if self.config.error_rate > 0 and self._random.random() < self.config.error_rate:
                self.config.errors_injected += 1
                return True
            return False

    def take(self, counter: str) -> bool:
        """Use up one of an integer fault setting (``burst_429``-like ones of an emulator's own config)."""
        with self._lock:
            left = getattr(self.config, counter)
            if left > 0:
                setattr(self.config, counter, left - 1)
                return True
            return False

    def take_drop(self, method: str) -> bool:
        """Whether this request runs to completion and its answer is then withheld."""
        return self._take_for_method("drop_after_commit", method, tally="dropped")

    def take_write_error(self, when: Literal["before", "after"], method: str) -> bool:
        """Whether this request is answered ``error_status`` instead of running (``before``), or after it ran."""
        return self._take_for_method(f"error_{when}_commit", method, tally="errors_injected")

    def _take_for_method(self, counter: str, method: str, *, tally: str) -> bool:
        with self._lock:
            left = getattr(self.config, counter)
            if left > 0 and method.upper() in self.config.drop_methods:
                setattr(self.config, counter, left - 1)
                setattr(self.config, tally, getattr(self.config, tally) + 1)
                return True
            return False

    async def delay(self) -> None:
        """Sleep for the configured latency (call inside the concurrency gates so it counts as in flight)."""
        latency = self.config.latency_ms
        if latency > 0:
            await asyncio.sleep(latency / 1000.0)


async def _send_json(send: Send, status: int, payload: dict[str, Any], headers: list[tuple[bytes, bytes]]) -> None:
    body = dumps(payload)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _discard(message: Message) -> None:
    """An ASGI ``send`` that keeps the app's response from the client."""


class FaultMiddleware:
    """Applies ``Faults`` to HTTP requests whose path matches, before and after the wrapped app."""

    def __init__(self, app: ASGIApp, faults: Faults, error_body: dict[str, Any], throttle_body: dict[str, Any]) -> None:
        self.app = app
        self.faults = faults
        self.error_body = error_body
        self.throttle_body = throttle_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.faults.applies(scope["path"]):
            await self.app(scope, receive, send)
            return
        if self.faults.take_429():
            await _send_json(send, 429, self.throttle_body, [(b"retry-after", b"1")])
            return
        method = scope["method"]
        if self.faults.take_error() or self.faults.take_write_error("before", method):
            await _send_json(send, self.faults.config.error_status, self.error_body, [])
            return
        if self.faults.take_write_error("after", method):
            await self.app(scope, receive, _discard)  # the write happens; its answer is replaced by the error
            await _send_json(send, self.faults.config.error_status, self.error_body, [])
            return
        if not self.faults.take_drop(method):
            await self.app(scope, receive, send)
            return
        # Commit then drop: run the request fully, keep its response from the client.
        await self.app(scope, receive, _discard)
        # A real server (uvicorn) exposes its connection on the receive callable: close it, send nothing.
        transport = getattr(getattr(receive, "__self__", None), "transport", None)
        if transport is not None and hasattr(transport, "close"):
            transport.close()
            for _ in range(3):  # let the server notice the disconnect before the app returns
                await asyncio.sleep(0)
            return
        raise httpx.RemoteProtocolError("Server disconnected without sending a response (injected fault)")
