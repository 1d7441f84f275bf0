"""Peak memory of one process syncing N golden people to both targets: Zoho (bulk write, batch upserts, tags)
then GoHighLevel (one contact a request, bulk tags), each emulator in a process of its own with its limits off.

Run: ``PYTHONPATH=src python benchmarks/two_targets.py --people 100000``
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pydantic import SecretStr

from benchmarks.ghl_sync import copy_tags_to_ghl
from benchmarks.sync import populate
from leadflow.config import GhlSettings, Settings, SyncSettings, ZohoSettings
from leadflow.ghl import GhlOptions
from leadflow.log import configure_logging
from leadflow.pipeline.emulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_GHL_LOCATION,
    DEMO_GHL_TOKEN,
    DEMO_REFRESH_TOKEN,
    EmulatorProcess,
)
from leadflow.pipeline.ghl_sync import ghl_sync
from leadflow.pipeline.sync import mirror_crm, zoho_sync
from leadflow.store import open_store
from leadflow.zoho.client import ZohoClient


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--populate-only", default=None, help=argparse.SUPPRESS)  # a store URL: fill it and stop
    args = parser.parse_args()
    configure_logging(level="warning")
    if args.populate_only:
        engine = open_store(args.populate_only)
        populate(engine, args.people)
        copy_tags_to_ghl(engine)
        return
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        url = f"sqlite:///{work / 'leadflow.db'}"
        # the store is filled by another process, so the peak below is the sync's alone
        subprocess.run([sys.executable, __file__, "--people", str(args.people), "--populate-only", url], check=True)
        engine = open_store(url)
        print(f"populated {args.people:,} people (in another process)", flush=True)
        with (
            EmulatorProcess(work / "zoho.db") as zoho_emulator,
            EmulatorProcess(work / "ghl.db", kind="ghl") as ghl_emulator,
        ):
            zoho_emulator.http.post("/_emulator/limits", json={"daily_credits": 10_000_000})
            ghl_emulator.http.post("/_emulator/limits", json={"enabled": False, "burst": 1_000_000_000})
            settings = Settings(
                database_url=url,
                zoho=ZohoSettings(
                    api_base_url=zoho_emulator.base_url,
                    accounts_url=zoho_emulator.base_url,
                    client_id=DEMO_CLIENT_ID,
                    client_secret=SecretStr(DEMO_CLIENT_SECRET),
                    refresh_token=SecretStr(DEMO_REFRESH_TOKEN),
                    daily_credit_budget=10_000_000,
                ),
                ghl=GhlSettings(
                    api_base_url=ghl_emulator.base_url, token=SecretStr(DEMO_GHL_TOKEN), location_id=DEMO_GHL_LOCATION
                ),
                sync=SyncSettings(),
            )
            with ZohoClient.from_settings(settings, engine) as zoho_client:
                mirror_crm(settings, engine, zoho_client)  # as `leadflow mirror`: the duplicate check reads it
            started = time.perf_counter()
            with zoho_sync(settings, engine) as runner:
                zoho = runner.run()
            zoho_wall = time.perf_counter() - started
            print(
                f"Zoho: {zoho.calls:,} calls, {zoho.credits:,} credits, {zoho_wall:,.1f} s; peak {peak_mib():,.0f} MiB"
            )
            started = time.perf_counter()
            with ghl_sync(settings, engine, options=GhlOptions(burst=1_000_000, interval=1.0)) as runner:
                ghl = runner.run()
            ghl_wall = time.perf_counter() - started
            print(f"GHL: {ghl.calls:,} requests, {ghl_wall:,.1f} s; peak {peak_mib():,.0f} MiB", flush=True)
            contacts = ghl_emulator.state()["counts"].get("contact", 0)
            leads = zoho_emulator.state()["records"].get("Leads", 0)
    print(
        f"\n{args.people:,} people to both targets: Zoho {leads:,} Leads ({zoho.calls:,} calls, {zoho_wall:,.0f} s),"
        f" GHL {contacts:,} contacts ({ghl.calls:,} requests, {ghl_wall:,.0f} s); peak RSS {peak_mib():,.0f} MiB"
    )


if __name__ == "__main__":
    main()
