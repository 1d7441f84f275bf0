"""Test helper: the Zoho emulator as its own process (``python -m leadflow_emulators zoho``), and settings
that point leadflow at it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from leadflow.config import Settings, SyncSettings, ZohoSettings

REPO = Path(__file__).resolve().parents[2]
CLIENT_ID = "1000.LEADFLOWDEMO"
CLIENT_SECRET = "leadflow-demo-secret"
REFRESH_TOKEN = "1000.leadflow.demo.refresh"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def src_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    env["PYTHONPATH"] = str(REPO / "src")
    return env


class Emulator:
    """A running emulator process on a free port; ``stop()`` ends it."""

    def __init__(
        self,
        db: Path | None = None,
        *,
        daily_credits: int = 1_000_000,
        extra: list[str] | None = None,
        port: int | None = None,
    ) -> None:
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "leadflow_emulators", "zoho", "--port", str(self.port)]
        command += ["--daily-credits", str(daily_credits)]
        if db is not None:
            command += ["--db", str(db)]
        command += extra or []
        self.process = subprocess.Popen(
            command, env=src_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        self.http = httpx.Client(base_url=self.base_url, timeout=30)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.http.get("/_emulator/state")
                break
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"emulator did not start: {self.process.stderr.read() if self.process.stderr else ''}"
                    ) from None
                time.sleep(0.1)

    def state(self) -> dict[str, Any]:
        return dict(self.http.get("/_emulator/state").json())

    def faults(self, **settings: Any) -> dict[str, Any]:
        return dict(self.http.post("/_emulator/faults", json=settings).json())

    def clear_faults(self) -> None:
        self.http.delete("/_emulator/faults")

    def stop(self) -> None:
        self.http.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def settings_for(emulator: Emulator, database_url: str, **sync: Any) -> Settings:
    """Settings pointing at ``emulator`` with the store at ``database_url``."""
    return Settings(
        database_url=database_url,
        zoho=ZohoSettings(
            api_base_url=emulator.base_url,
            accounts_url=emulator.base_url,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,  # type: ignore[arg-type]
            refresh_token=REFRESH_TOKEN,  # type: ignore[arg-type]
        ),
        sync=SyncSettings(**sync),
    )


def env_for(emulator: Emulator, database_url: str) -> dict[str, str]:
    """Environment for a ``python -m leadflow`` subprocess talking to ``emulator``."""
    env = src_env()
    env.update(
        {
            "LEADFLOW_DATABASE_URL": database_url,
            "LEADFLOW_ZOHO_API_BASE_URL": emulator.base_url,
            "LEADFLOW_ZOHO_ACCOUNTS_URL": emulator.base_url,
            "LEADFLOW_ZOHO_CLIENT_ID": CLIENT_ID,
            "LEADFLOW_ZOHO_CLIENT_SECRET": CLIENT_SECRET,
            "LEADFLOW_ZOHO_REFRESH_TOKEN": REFRESH_TOKEN,
        }
    )
    return env
