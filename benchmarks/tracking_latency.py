"""Tracking: processing throughput of the worker, and end-to-end latency from a reply to the Note in Zoho and the
person's new score.

Both emulators run as processes of their own (limits off); ``--people`` golden people are scored and synced to
Zoho and GoHighLevel first.

1. Processing: ``--events`` GHL deliveries (opens and clicks, as the intake stores them) for those people go
   through the tracking worker (parse, tie to golden people, engagement log, in order per contact), then the
   debounced incremental re-score of the people touched and the sync of those whose segments changed. Reported:
   deliveries/s of the worker alone, and of worker + re-score + sync.
2. Latency: ``leadflow serve`` (its own process; the worker inside, as by default) is subscribed to the GHL
   emulator's webhooks. For ``--replies`` people, one after the other, the GHL emulator simulates a reply
   (``POST /_emulator/engagement``: an inbound email, delivered signed to the service); the clock runs from that
   call until (a) the reply's Note is on the Lead in Zoho (read through the Zoho API) and (b) the person's score
   in the store has changed. Reported: p50 / p95 / max of both.

Run: ``PYTHONPATH=src python -m benchmarks.tracking_latency [--people 200] [--events 5000] [--replies 40]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from pydantic import SecretStr

from benchmarks.sync import populate
from leadflow.config import GhlSettings, Settings, TrackingSettings, ZohoSettings
from leadflow.ghl import GhlClient, GhlOptions
from leadflow.pipeline.emulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_GHL_LOCATION,
    DEMO_GHL_TOKEN,
    DEMO_REFRESH_TOKEN,
    EmulatorProcess,
    free_port,
)
from leadflow.pipeline.ghl_sync import ghl_sync
from leadflow.pipeline.score import run_score_stage
from leadflow.pipeline.sync import zoho_sync
from leadflow.pipeline.track import TargetedSync, tracking_worker
from leadflow.store import open_store
from leadflow.store import tracking as deliveries
from leadflow.zoho.activities import RecordRef
from leadflow.zoho.client import ZohoClient

REPO = Path(__file__).resolve().parents[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def linked(engine: sa.Engine, target: str) -> dict[str, str]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("select golden_id, remote_id from sync_records where target = :t and kind = 'person'"),
            {"t": target},
        ).all()
    return {str(golden): str(remote) for golden, remote in rows if remote}


def engagement_of(engine: sa.Engine, person: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(
            sa.text("select engagement, computed_at from scores where golden_person_id = :p"), {"p": person}
        ).one_or_none()


def email_stat(contact: str, n: int, event: str, stamp: datetime) -> dict[str, Any]:
    """An ``LCEmailStats`` delivery as GHL sends it (``opened`` or ``clicked``)."""
    return {
        "type": "LCEmailStats",
        "webhookId": f"bench-{event}-{n}",
        "locationId": DEMO_GHL_LOCATION,
        "contactId": contact,
        "timestamp": stamp.isoformat(),
        "webhookPayload": {
            "event": event,
            "id": f"mg-{n}",
            "timestamp": int(stamp.timestamp()) - n % 86_400,
            "recipient": "someone@example.com",
            "lc_operations": {"contact_id": contact, "email_message_id": f"em-{n}"},
        },
    }


def processing(engine: sa.Engine, settings: Settings, contacts: dict[str, str], events: int) -> None:
    rng = random.Random(15)
    now = datetime.now(UTC)
    people = sorted(contacts)
    rows = []
    for n in range(events):
        contact = contacts[rng.choice(people)]
        body = email_stat(contact, n, rng.choice(["opened", "opened", "clicked"]), now)
        rows.append(
            deliveries.delivery_row(
                source="ghl",
                vendor_event_id=body["webhookId"],
                event_type=body["type"],
                contact_key=contact,
                headers={},
                body=json.dumps(body).encode(),
            )
        )
    with engine.begin() as connection:
        deliveries.store_deliveries(connection, rows)
    quiet = settings.model_copy(update={"tracking": settings.tracking.model_copy(update={"sync_after_rescore": False})})
    worker, rescore = tracking_worker(engine, quiet)  # the sync is timed on its own below
    cpu0, started = time.process_time(), time.perf_counter()
    tally = worker.drain()
    worker_wall = time.perf_counter() - started
    rescore.flush()
    rescore_wall = time.perf_counter() - started - worker_wall
    reports = TargetedSync(engine, settings)(rescore.rescored)
    total_wall = time.perf_counter() - started
    sync_wall = total_wall - worker_wall - rescore_wall
    cpu = time.process_time() - cpu0
    synced = {name: dict(report.counts) for name, report in reports.items()}
    print(
        f"processing: {tally.processed:,} deliveries ({tally.events_stored:,} events, {len(tally.people):,} people):"
        f" worker {worker_wall:.2f} s = {tally.processed / worker_wall:,.0f} deliveries/s; incremental re-score of"
        f" the {len(rescore.rescored):,} people {rescore_wall:.2f} s (worker + re-score"
        f" {tally.processed / (worker_wall + rescore_wall):,.0f} deliveries/s); sync of those people to both"
        f" targets {sync_wall:.2f} s {synced}; all three {tally.processed / total_wall:,.0f} deliveries/s"
        f" ({cpu:.1f} CPU-s in this process)",
        flush=True,
    )


def serve(workdir: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    command = [sys.executable, "-m", "leadflow", "serve", "--host", "127.0.0.1", "--port", str(port)]
    log = (workdir / "serve.log").open("w")
    process = subprocess.Popen(command, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"leadflow serve did not start: {(workdir / 'serve.log').read_text()[-2000:]}")
        time.sleep(0.2)


def latency(
    engine: sa.Engine,
    settings: Settings,
    ghl_emulator: EmulatorProcess,
    env: dict[str, str],
    workdir: Path,
    replies: int,
) -> None:
    contacts, leads = linked(engine, "ghl"), linked(engine, "zoho")
    people = [p for p in sorted(contacts) if p in leads][:replies]
    with GhlClient.from_settings(settings, engine) as ghl:
        for person in people:  # the e-mail each reply answers
            ghl.conversations.send(contacts[person], "Email", subject="Quick question", html="<p>Hi</p>")
    server, url = serve(workdir, env)
    note_times: list[float] = []
    score_times: list[float] = []
    missing = 0
    load_before = os.getloadavg()[0]
    try:
        ghl_emulator.http.post("/_emulator/webhooks", json={"urls": [f"{url}/webhooks/ghl"]}).raise_for_status()
        with ZohoClient.from_settings(settings, engine) as zoho:
            for person in people:
                before = engagement_of(engine, person)
                started = time.perf_counter()
                ghl_emulator.http.post(
                    "/_emulator/engagement", json={"kind": "reply", "contactId": contacts[person]}
                ).raise_for_status()
                note_at = score_at = None
                while time.perf_counter() - started < 30 and (note_at is None or score_at is None):
                    if note_at is None and zoho.activities.notes(RecordRef("Leads", leads[person])):
                        note_at = time.perf_counter() - started
                    if score_at is None and engagement_of(engine, person) != before:
                        score_at = time.perf_counter() - started
                    time.sleep(0.05)
                if note_at is None or score_at is None:
                    missing += 1
                    continue
                note_times.append(note_at)
                score_times.append(score_at)
    finally:
        server.terminate()
        server.wait(timeout=60)
    load_after = os.getloadavg()[0]
    print(
        f"latency over {len(note_times)} replies (one at a time; {missing} not seen within 30 s): reply -> Note in"
        f" Zoho p50 {percentile(note_times, 0.5):.2f} s, p95 {percentile(note_times, 0.95):.2f} s, max"
        f" {max(note_times, default=float('nan')):.2f} s; reply -> new score p50 {percentile(score_times, 0.5):.2f} s,"
        f" p95 {percentile(score_times, 0.95):.2f} s, max {max(score_times, default=float('nan')):.2f} s"
        f" (load average {load_before:.2f} before, {load_after:.2f} after, on {os.cpu_count()} cores)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--events", type=int, default=5_000, help="deliveries for the processing figure")
    parser.add_argument("--replies", type=int, default=40, help="replies timed end to end")
    parser.add_argument("--db", default=None, help="store URL (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="leadflow-latency-bench-") as folder:
        work = Path(folder)
        url = args.db or f"sqlite:///{work / 'leadflow.db'}"
        engine = open_store(url)
        populate(engine, args.people)
        with (
            EmulatorProcess(work / "zoho.db") as zoho_emulator,
            EmulatorProcess(work / "ghl.db", kind="ghl") as ghl_emulator,
        ):
            zoho_emulator.http.post("/_emulator/limits", json={"daily_credits": 10_000_000})
            ghl_emulator.http.post("/_emulator/limits", json={"enabled": False, "burst": 1_000_000_000})
            keys = ghl_emulator.http.get("/_emulator/webhooks/keys").json()
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
                    api_base_url=ghl_emulator.base_url,
                    token=SecretStr(DEMO_GHL_TOKEN),
                    location_id=DEMO_GHL_LOCATION,
                    webhook_public_key=keys["ed25519"],
                    webhook_legacy_public_key=keys["rsa"],
                ),
                tracking=TrackingSettings(),
            )
            run_score_stage(engine, settings)
            with zoho_sync(settings, engine) as runner:
                runner.run()
            with ghl_sync(settings, engine, options=GhlOptions(burst=1_000_000, interval=1.0)) as runner:
                runner.run()
            with zoho_sync(settings, engine) as runner:  # the GHL contact ids (cross-links)
                runner.run()
            print(f"{args.people:,} people scored and synced to both emulators", flush=True)
            processing(engine, settings, linked(engine, "ghl"), args.events)
            env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")} | {
                "PYTHONPATH": str(REPO / "src"),
                "LEADFLOW_DATABASE_URL": url,
                "LEADFLOW_ZOHO_API_BASE_URL": zoho_emulator.base_url,
                "LEADFLOW_ZOHO_ACCOUNTS_URL": zoho_emulator.base_url,
                "LEADFLOW_ZOHO_CLIENT_ID": DEMO_CLIENT_ID,
                "LEADFLOW_ZOHO_CLIENT_SECRET": DEMO_CLIENT_SECRET,
                "LEADFLOW_ZOHO_REFRESH_TOKEN": DEMO_REFRESH_TOKEN,
                "LEADFLOW_ZOHO_DAILY_CREDIT_BUDGET": "10000000",
                "LEADFLOW_GHL_API_BASE_URL": ghl_emulator.base_url,
                "LEADFLOW_GHL_TOKEN": DEMO_GHL_TOKEN,
                "LEADFLOW_GHL_LOCATION_ID": DEMO_GHL_LOCATION,
                "LEADFLOW_GHL_WEBHOOK_PUBLIC_KEY": keys["ed25519"],
                "LEADFLOW_GHL_WEBHOOK_LEGACY_PUBLIC_KEY": keys["rsa"],
            }
            latency(engine, settings, ghl_emulator, env, work, args.replies)
        engine.dispose()


if __name__ == "__main__":
    main()
