"""leadflow's web service in this process: uvicorn serving an ASGI app on a free loopback port, from a thread.

The demo runs the tracking service beside the emulators this way (``leadflow serve`` is the same app in its own
process). The app is given, not imported: pipeline sits below web.

Example:
    >>> with ServiceThread(app) as service:  # doctest: +SKIP
    ...     httpx.get(f"{service.base_url}/healthz").json()["status"]
    'ok'
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from leadflow.errors import LeadflowError


class ServiceThread:
    """Serves ``app`` on ``host`` (port chosen by the system) until stopped; ``base_url`` says where."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", startup: float = 30.0) -> None:
        config = uvicorn.Config(app, host=host, port=0, log_level="warning", lifespan="on", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="leadflow-service", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + startup
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise LeadflowError(f"the tracking service did not start on {host} within {startup:.0f} s")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)

    def __enter__(self) -> ServiceThread:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
