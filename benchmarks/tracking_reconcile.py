"""Reconcile: how fast ``leadflow track reconcile`` recovers GHL messages the webhooks lost, and what a second
poll (nothing new) costs.

The GHL emulator runs as a process with no webhook subscriber (every event is "lost"); each contact is sent an
email and replies to it, some also call. The first reconcile stores every message as its webhook delivery; the
second re-reads the overlap window and stores nothing.

    PYTHONPATH=src python -m benchmarks.tracking_reconcile --contacts 300
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import httpx
from pydantic import SecretStr

from leadflow.config import GhlSettings, Settings
from leadflow.ghl import GhlClient
from leadflow.log import configure_logging
from leadflow.pipeline.emulator import DEMO_GHL_LOCATION, DEMO_GHL_TOKEN, EmulatorProcess
from leadflow.store import open_store
from leadflow.tracking.reconcile import Reconciler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--contacts", type=int, default=300)
    args = parser.parse_args()
    configure_logging(level="warning")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        url = f"sqlite:///{work / 'leadflow.db'}"
        engine = open_store(url)
        with EmulatorProcess(work / "ghl.db", kind="ghl") as emulator:
            emulator.http.post("/_emulator/limits", json={"enabled": False, "burst": 1_000_000_000})
            settings = Settings(
                database_url=url,
                ghl=GhlSettings(
                    api_base_url=emulator.base_url, token=SecretStr(DEMO_GHL_TOKEN), location_id=DEMO_GHL_LOCATION
                ),
            )
            control = httpx.Client(base_url=emulator.base_url, timeout=30)
            with GhlClient.from_settings(settings, engine) as ghl:
                for n in range(args.contacts):
                    contact = ghl.contacts.create({"firstName": f"P{n}", "email": f"p{n}@bench.example"})["id"]
                    ghl.conversations.send(contact, "Email", subject="Hello", html="<p>Hi</p>")
                    control.post("/_emulator/engagement", json={"kind": "reply", "contactId": contact})
                    if n % 3 == 0:
                        control.post("/_emulator/engagement", json={"kind": "call", "contactId": contact})
                reconciler = Reconciler(engine, conversations=ghl.conversations)
                for label in ("first poll (all lost)", "second poll (nothing new)"):
                    started = time.perf_counter()
                    tally = reconciler.run()
                    seconds = time.perf_counter() - started
                    rate = tally.ghl_messages / seconds if seconds else 0.0
                    print(
                        f"{label}: {tally.ghl_messages:,} messages read, {tally.ghl_new:,} stored,"
                        f" {seconds:.2f} s ({rate:,.0f} messages/s)",
                        flush=True,
                    )
            control.close()


if __name__ == "__main__":
    main()
