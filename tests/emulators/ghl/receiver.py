"""A webhook receiver for tests: records raw bodies and headers, answers with scripted statuses."""

from __future__ import annotations

import threading

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


class Receiver:
    """A webhook endpoint that records raw bodies and headers and answers with scripted statuses."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []
        self.script: list[int] = []
        self.lock = threading.Lock()
        self.app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        raw = await request.body()
        with self.lock:
            self.received.append((raw, dict(request.headers)))
            status = self.script.pop(0) if self.script else 200
        return Response(b"", status_code=status)
