"""``leadflow serve`` as a process keeps the Zoho notification channel: with ``[tracking] zoho_channel_id`` and
``[zoho]`` set it enables the channel at its own address on start, and Zoho's notifications reach it."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from leadflow.store import open_store
from leadflow.zoho import ZohoClient
from leadflow_emulators.zoho.app import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN
from tests.zoho.conftest import LiveServer, zoho_settings

SRC = str(Path(__file__).resolve().parents[2] / "src")
CHANNEL = "1000000068077"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _until(check: object, seconds: float = 30.0) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()  # type: ignore[operator]
        if found:
            return found
        time.sleep(0.2)
    return None


def test_serve_enables_the_channel_and_hears_zoho(tmp_path: Path, live: LiveServer, backend: Any) -> None:
    database = tmp_path / "leadflow.db"
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    environment.update(
        PYTHONPATH=SRC,
        LEADFLOW_DATABASE_URL=f"sqlite:///{database}",
        LEADFLOW_ZOHO_API_BASE_URL=live.url,
        LEADFLOW_ZOHO_ACCOUNTS_URL=live.url,
        LEADFLOW_ZOHO_CLIENT_ID=DEFAULT_CLIENT_ID,
        LEADFLOW_ZOHO_CLIENT_SECRET=DEFAULT_CLIENT_SECRET,
        LEADFLOW_ZOHO_REFRESH_TOKEN=DEFAULT_REFRESH_TOKEN,
        LEADFLOW_TRACKING_ZOHO_CHANNEL_ID=CHANNEL,
        LEADFLOW_TRACKING_RECONCILE_EVERY_SECONDS="0",
    )
    service = subprocess.Popen(
        [sys.executable, "-m", "leadflow", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    zoho = ZohoClient.from_settings(
        zoho_settings(f"sqlite:///{tmp_path / 'user.db'}", api_base_url=live.url, accounts_url=live.url),
        open_store(f"sqlite:///{tmp_path / 'user.db'}"),
    )
    try:
        channel = _until(lambda: zoho.watch.get(CHANNEL))
        assert channel is not None, "the service did not enable the channel"
        assert channel.notify_url == f"http://127.0.0.1:{port}/webhooks/zoho"  # type: ignore[attr-defined]
        assert {"Deals.all", "Leads.all", "Contacts.all"} <= set(channel.events)  # type: ignore[attr-defined]
        assert channel.token  # type: ignore[attr-defined]  # generated and kept in the store

        zoho.leads.insert([{"Last_Name": "Lovelace", "Company": "Analytical", "Email": "ada@example.com"}])

        def stored() -> list[tuple[str, str]]:
            with sqlite3.connect(database) as db:
                return db.execute("select event_type, state from webhook_deliveries where source = 'zoho'").fetchall()

        found = _until(stored)
        assert found, [(d.status, d.error) for d in backend.watches.deliveries]
        assert found[0][0] == "Leads.insert"  # type: ignore[index]
    finally:
        zoho.close()
        service.send_signal(signal.SIGINT)
        try:
            output, _ = service.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            service.kill()
            output, _ = service.communicate()
    assert "Zoho channel           enabled and renewed by this service" in output
