"""Tracking actions: how many Zoho actions per second the runner performs against the Zoho emulator process.

People are synced to the emulator (a process of its own, SQLite-backed, as the demo runs it) as Leads and linked
to GHL contact ids; GHL deliveries that each call for actions (replies: a Note and a Task; calls; bookings;
unsubscribes; qualifying events: a conversion check) are stored as the intake stores them; the worker turns
them into events and queued actions, then the action runner performs every action, once per concurrency
setting asked for (a fresh set of deliveries each time).

    PYTHONPATH=src python -m benchmarks.tracking_actions --people 500 --deliveries 2000 --concurrency 1 4
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import SecretStr

from benchmarks.sync import populate
from leadflow.config import Settings, ZohoSettings
from leadflow.log import configure_logging
from leadflow.pipeline.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN, EmulatorProcess
from leadflow.pipeline.sync import zoho_sync
from leadflow.pipeline.track import tracking_process
from leadflow.store import open_store
from leadflow.store import tracking as deliveries
from leadflow.store import tracking_actions as actions_repo
from leadflow.store.schema import sync_records

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MIX = {"reply": 0.4, "call": 0.25, "booking": 0.2, "unsubscribe": 0.15}


def _body(kind: str, contact: str, n: int, email: str) -> dict[str, Any]:
    at = (T0 + timedelta(minutes=n)).isoformat().replace("+00:00", "Z")
    common = {"webhookId": f"bench-{kind}-{n}", "locationId": "loc-bench", "contactId": contact}
    if kind == "reply":
        return {
            **common,
            "type": "InboundMessage",
            "messageType": "Email",
            "direction": "inbound",
            "conversationId": f"conv-{contact}",
            "subject": f"Re: offer {n}",
            "body": "Interested, call me",
            "dateAdded": at,
        }
    if kind == "call":
        return {
            **common,
            "type": "InboundMessage",
            "messageType": "CALL",
            "direction": "inbound",
            "callDuration": 240,
            "callStatus": "completed",
            "conversationId": f"conv-{contact}",
            "dateAdded": at,
        }
    if kind == "booking":
        end = (T0 + timedelta(minutes=n + 30)).isoformat().replace("+00:00", "Z")
        return {
            **common,
            "type": "AppointmentCreate",
            "appointment": {"id": f"appt-{n}", "contactId": contact, "title": "Demo", "startTime": at, "endTime": end},
        }
    return {
        **common,
        "type": "LCEmailStats",
        "webhookPayload": {
            "event": "unsubscribed",
            "id": f"mg-{n}",
            "timestamp": int(T0.timestamp()) + n,
            "recipient": email,
            "lc_operations": {"contact_id": contact},
        },
    }


def _store(engine: sa.Engine, people: list[str], emails: dict[str, str], count: int, offset: int, seed: int) -> None:
    rng = random.Random(seed)
    kinds, weights = list(MIX), list(MIX.values())
    with engine.begin() as connection:
        for n in range(offset, offset + count):
            person = people[rng.randrange(len(people))]
            body = _body(rng.choices(kinds, weights)[0], f"ghl-{person}", n, emails[person])
            deliveries.store_delivery(
                connection,
                source="ghl",
                vendor_event_id=body["webhookId"],
                event_type=body["type"],
                contact_key=f"ghl-{person}",
                headers={},
                body=json.dumps(body).encode(),
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--deliveries", type=int, default=2_000, help="per concurrency setting")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    configure_logging(level="warning")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        url = f"sqlite:///{work / 'leadflow.db'}"
        engine = open_store(url)
        people = populate(engine, args.people)
        with EmulatorProcess(work / "zoho.db") as emulator:
            emulator.http.post("/_emulator/limits", json={"daily_credits": 10_000_000})
            settings = Settings(
                database_url=url,
                zoho=ZohoSettings(
                    api_base_url=emulator.base_url,
                    accounts_url=emulator.base_url,
                    client_id=DEMO_CLIENT_ID,
                    client_secret=SecretStr(DEMO_CLIENT_SECRET),
                    refresh_token=SecretStr(DEMO_REFRESH_TOKEN),
                    daily_credit_budget=10_000_000,
                ),
            )
            with zoho_sync(settings, engine) as runner:
                runner.run()
            now = datetime.now(UTC)
            with engine.begin() as connection:
                connection.execute(
                    sa.insert(sync_records),
                    [
                        {
                            "target": "ghl",
                            "golden_id": p,
                            "kind": "person",
                            "module": "contacts",
                            "remote_id": f"ghl-{p}",
                            "payload": {},
                            "version": 1,
                            "synced_at": now,
                        }
                        for p in people
                    ],
                )
                emails = dict(connection.execute(sa.text("select id, email from golden_people")).all())
            print(f"{args.people:,} people synced to the emulator as Leads", flush=True)
            for round_, concurrency in enumerate(args.concurrency):
                _store(engine, people, emails, args.deliveries, round_ * args.deliveries, seed=round_)
                tuned = settings.model_copy(
                    update={"tracking": settings.tracking.model_copy(update={"action_concurrency": concurrency})}
                )
                process = tracking_process(engine, tuned)
                try:
                    started = time.perf_counter()
                    events = process.worker.drain()
                    stored = time.perf_counter() - started
                    credits_before = emulator.state()["credits"]["used"]
                    started = time.perf_counter()
                    done = process.runner.drain()
                    performed = time.perf_counter() - started
                    credits = emulator.state()["credits"]["used"] - credits_before
                finally:
                    process.close()
                with engine.connect() as connection:
                    states = actions_repo.counts(connection)
                finished = done.done + done.skipped
                print(
                    f"concurrency {concurrency}: {events.processed:,} deliveries -> {events.events_stored:,} events,"
                    f" {events.actions_queued:,} actions queued in {stored:.1f} s"
                    f" ({events.processed / stored:,.0f} deliveries/s); actions performed {done.done:,}"
                    f" ({dict(sorted(done.by_kind.items()))}), skipped {done.skipped:,}, failed {done.failed:,}"
                    f" in {performed:.1f} s: **{done.done / performed:,.0f} Zoho writes/s**,"
                    f" {finished / performed:,.0f} actions/s; {credits:,} credits; outbox {dict(states)}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
