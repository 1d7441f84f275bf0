"""Run a local emulator (Zoho or GoHighLevel) as a separate process (``python -m leadflow_emulators zoho|ghl``)
and talk to it over HTTP only: leadflow never imports the emulator package."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from pydantic import SecretStr

from leadflow.config import Settings
from leadflow.errors import LeadflowError

DEMO_CLIENT_ID = "1000.LEADFLOWDEMO"
DEMO_CLIENT_SECRET = "leadflow-demo-secret"
DEMO_REFRESH_TOKEN = "1000.leadflow.demo.refresh"
DEMO_GHL_TOKEN = "pit-4c5e7a52-6f0b-4d55-9a57-3f1d2e0b9c11"
DEMO_GHL_LOCATION = "leadflowLocation00001"


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmulatorProcess:
    """An emulator (``kind``: ``zoho`` or ``ghl``) on a free local port, with its state in ``db``; stopped on exit.

    Example:
        >>> with EmulatorProcess(Path(".leadflow-demo/zoho.db")) as zoho:  # doctest: +SKIP
        ...     zoho.state()["records"]["Leads"]
        0
    """

    def __init__(
        self,
        db: Path,
        *,
        seed: Path | None = None,
        log: Path | None = None,
        startup: float = 60.0,
        kind: str = "zoho",
        args: Sequence[str] = (),
    ) -> None:
        self.db = db
        self.kind = kind
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "leadflow_emulators", kind, "--port", str(self.port), "--db", str(db), *args]
        if seed is not None:
            command += ["--seed", str(seed)]
        self._log = (log or db.with_suffix(".log")).open("w", encoding="utf-8")
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT)
        self.http = httpx.Client(base_url=self.base_url, timeout=30.0)
        deadline = time.monotonic() + startup
        while True:
            try:
                self.http.get("/_emulator/state").raise_for_status()
                return
            except httpx.HTTPError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    name = "GoHighLevel" if kind == "ghl" else "Zoho"
                    raise LeadflowError(
                        f"the {name} emulator did not start (see {self._log.name}); is the package installed?"
                    ) from None
                time.sleep(0.1)

    def settings_for(self, base: Settings, *, database_url: str | None = None) -> Settings:
        """``base`` with ``[zoho]`` pointed at this emulator (its demo OAuth client), and the store at
        ``database_url`` when given."""
        zoho = base.zoho.model_copy(
            update={
                "api_base_url": self.base_url,
                "accounts_url": self.base_url,
                "auth": "oauth",
                "client_id": DEMO_CLIENT_ID,
                "client_secret": SecretStr(DEMO_CLIENT_SECRET),
                "refresh_token": SecretStr(DEMO_REFRESH_TOKEN),
            }
        )
        update: dict[str, Any] = {"zoho": zoho}
        if database_url is not None:
            update["database_url"] = database_url
        return base.model_copy(update=update)

    def ghl_settings_for(self, base: Settings) -> Settings:
        """``base`` with ``[ghl]`` pointed at this (GoHighLevel) emulator: its location and Private Integration
        Token."""
        ghl = base.ghl.model_copy(
            update={
                "api_base_url": self.base_url,
                "auth": "pit",
                "token": SecretStr(DEMO_GHL_TOKEN),
                "location_id": DEMO_GHL_LOCATION,
            }
        )
        return base.model_copy(update={"ghl": ghl})

    def state(self) -> dict[str, Any]:
        """The emulator's own counts (records, operations, credits; contacts, enrolments...) from its control plane."""
        return dict(self.http.get("/_emulator/state").json())

    def stop(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
