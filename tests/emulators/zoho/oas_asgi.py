"""An ASGI wrapper that checks every JSON answer of the emulator against Zoho's OAS, for tests whose client
is not ours (the official SDKs over a real socket): the failures are collected, the test asserts none."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.emulators.zoho.oas import OpenApiChecker, in_spec


@dataclass
class OasCheckingApp:
    """Passes requests through to ``app``; each in-spec JSON response is validated after it is sent."""

    app: ASGIApp
    checker: OpenApiChecker
    failures: list[str] = field(default_factory=list)
    checked: int = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not in_spec(scope["path"]):
            await self.app(scope, receive, send)
            return
        status = 0
        headers: dict[str, str] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = {key.decode().lower(): value.decode() for key, value in message.get("headers", [])}
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        if not body or status == 404 or "attachment" in headers.get("content-disposition", ""):
            return
        self._check(scope["method"], scope["path"], status, headers, body)

    def _check(self, method: str, path: str, status: int, headers: dict[str, str], body: bytes) -> None:
        self.checked += 1
        if headers.get("content-type") != "application/json":
            self.failures.append(f"{method} {path}: content-type {headers.get('content-type')!r}")
            return
        try:
            parsed: Any = json.loads(body)
            self.checker.check(method, path, status, parsed)
        except Exception as error:  # a schema failure or an operation missing from the spec
            self.failures.append(f"{method} {path} {status}: {str(error).splitlines()[0][:300]}")
