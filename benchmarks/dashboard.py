"""Benchmark: the dashboard's first render in Chromium over a store of N people (default 100,000).

    PYTHONPATH=src python -m benchmarks.dashboard [--people 100000] [--db sqlite:////tmp/dashboard-bench.db]

Fills the store (once; a store that already holds people is reused) with N golden people from 1.2 N source rows,
3 engagement events per person, segments, Zoho records, GHL contacts, Deals with stage history, sync runs and
API ledgers; serves ``create_app`` under uvicorn on a socket; opens ``/dashboard`` in Debian's chromium (Bearer
token) and measures, from the navigation's start, the server's answer, the first contentful paint and the moment
every chart is drawn (all ``figure.chart svg`` in the DOM, after the next two animation frames: painted).

Twice: with ``refresh_seconds = 0`` (every report computed for the view), then as served by default, the
unfiltered page computed ahead by the app's warmer (done here before the first load, and timed), then five more
loads in fresh browser contexts.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import uvicorn
from pydantic import SecretStr

from leadflow.config import Settings
from leadflow.config.settings import DashboardSettings
from leadflow.reporting.model import ReportFilters
from leadflow.store import open_store
from leadflow.store.schema import (
    cluster_members,
    crm_deal_stages,
    crm_deals,
    crm_records,
    engagement_events,
    ghl_request_ledger,
    golden_people,
    runs,
    scores,
    source_records,
    sync_log,
    sync_records,
    zoho_credit_ledger,
)
from leadflow.web.app import create_app

TOKEN = "benchmark-dashboard-token-0123456789"
START = datetime(2026, 9, 1, tzinfo=UTC)
DAYS = 90
SEGMENTS = ["dach", "nurture", "enterprise", "smb"]
EVENTS = ["email_sent", "email_opened", "email_clicked", "email_replied", "meeting_booked", "email_bounced_hard"]
EVENT_P = [0.45, 0.3, 0.1, 0.08, 0.04, 0.03]
STAGES = [("Qualification", 10.0), ("Needs Analysis", 20.0), ("Proposal/Price Quote", 75.0), ("Closed Won", 100.0)]
CHUNK = 20_000

DRAWN = """async () => {
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  const navigation = performance.getEntriesByType("navigation")[0];
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  return {
    response: navigation.responseEnd,
    contentful: paint ? paint.startTime : null,
    drawn: performance.now(),
    charts: document.querySelectorAll("figure.chart svg").length,
    marks: document.querySelectorAll("figure.chart svg .tooltip-trigger").length,
    bytes: document.documentElement.outerHTML.length,
  };
}"""


def _insert(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        connection.execute(sa.insert(table), rows[start : start + CHUNK])


def fill(engine: sa.Engine, people: int, *, seed: int = 7) -> None:
    """N people and what happened to them, in plain inserts (seeded)."""
    rng = random.Random(seed)

    def moment() -> datetime:
        return START + timedelta(seconds=rng.randrange(DAYS * 86_400))

    with engine.begin() as connection:
        connection.execute(
            sa.insert(runs),
            [
                {"id": 1, "kind": "ingest", "status": "succeeded", "started_at": START, "counters": {}},
                *[
                    {"id": 2 + day, "kind": "sync", "status": "failed" if day % 9 == 0 else "succeeded",
                     "started_at": START + timedelta(days=day), "counters": {}}
                    for day in range(DAYS)
                ],
            ],
        )  # fmt: skip
        person_rows, source_rows, members, score_rows, crm_rows, synced = [], [], [], [], [], []
        record = 0
        for n in range(people):
            pid, email = f"p{n:07d}", f"person{n}@example{n % 997}.com"
            person_rows.append(
                {"id": pid, "first_name": f"First{n}", "last_name": f"Last{n}", "email": email,
                 "emails": [email], "company_name": f"Company {n % 20_000}",
                 "crm_module": "Contacts" if n % 3 == 0 else None, "crm_id": f"C{n}" if n % 3 == 0 else None,
                 "provenance": {}, "updated_at": START}
            )  # fmt: skip
            for _ in range(2 if n % 5 == 0 else 1):
                record += 1
                kind = "apollo" if record % 3 else "salesnav"
                source_rows.append(
                    {"id": record, "run_id": 1, "source_kind": kind, "file_name": f"{kind}.csv", "file_sha256": kind,
                     "row_number": record, "raw": {}, "ingested_at": moment()}
                )  # fmt: skip
                members.append({"source_record_id": record, "golden_person_id": pid, "match_reason": "email"})
            segments = [SEGMENTS[n % 4]] + (["dach"] if n % 7 == 0 and n % 4 else [])
            score_rows.append(
                {"golden_person_id": pid, "fit": rng.random(), "fit_coverage": 1.0, "persona_coverage": 1.0,
                 "engagement_coverage": 1.0, "grade": "B1", "priority": False, "suppressed": False,
                 "suppression_reasons": [], "reasons": [], "summary": "", "segments": segments,
                 "content_hash": pid, "computed_at": START}
            )  # fmt: skip
            if n % 3 == 0:
                owner = {"id": f"u{n % 5}", "name": f"Owner {n % 5}"}
                crm_rows.append({"module": "Contacts", "crm_id": f"C{n}", "fields": {"id": f"C{n}", "Owner": owner},
                                 "loaded_at": START})  # fmt: skip
            synced.append({"target": "ghl", "golden_id": pid, "kind": "person", "module": "contacts",
                           "remote_id": f"g{n}", "payload": {}, "version": 1, "synced_at": START})  # fmt: skip
        for table, rows in (
            (source_records, source_rows),
            (golden_people, person_rows),
            (cluster_members, members),
            (scores, score_rows),
            (crm_records, crm_rows),
            (sync_records, synced),
        ):
            _insert(connection, table, rows)
        events = [
            {"golden_person_id": f"p{rng.randrange(people):07d}", "email": None, "event_type": kind,
             "occurred_at": moment(), "source": "ghl", "payload": {}, "created_at": START}
            for kind in rng.choices(EVENTS, weights=EVENT_P, k=3 * people)
        ]  # fmt: skip
        _insert(connection, engagement_events, events)
        deals, history = [], []
        for n in range(0, people, 3 * 20):  # a Deal for one Contact in twenty
            stage, probability = STAGES[n % len(STAGES)]
            created = moment()
            outcome = "won" if stage == "Closed Won" else "open"
            deals.append(
                {"crm_id": f"D{n}", "deal_name": f"Deal {n}", "pipeline": "Standard", "stage": stage,
                 "outcome": outcome, "probability": probability, "amount": float(1_000 + n % 50_000),
                 "currency": "EUR", "closing_date": date(2026, 12, 31), "contact_id": f"C{n}", "account_id": None,
                 "owner_id": f"u{n % 5}", "owner_name": f"Owner {n % 5}", "fields": {"id": f"D{n}"},
                 "loaded_at": START, "created_time": created, "modified_time": created, "stage_since": created,
                 "closed_at": created if outcome == "won" else None}
            )  # fmt: skip
            history.append({"deal_id": f"D{n}", "entry_id": f"h{n}", "stage": stage, "probability": probability,
                            "amount": None, "moved_at": created, "duration_days": None})  # fmt: skip
        _insert(connection, crm_deals, deals)
        _insert(connection, crm_deal_stages, history)
        _insert(
            connection,
            sync_log,
            [
                {"run_id": 2 + n % DAYS, "target": "zoho" if n % 2 else "ghl", "golden_id": f"p{n:07d}",
                 "module": "Contacts", "action": "create", "outcome": "failed" if n % 50 == 0 else "created",
                 "code": "INVALID_DATA" if n % 50 == 0 else None, "message": None,
                 "created_at": START + timedelta(days=n % DAYS)}
                for n in range(people)
            ],
        )  # fmt: skip
        _insert(
            connection,
            zoho_credit_ledger,
            [{"bucket": START + timedelta(days=day), "credits": 2_000 + day, "calls": 200} for day in range(DAYS)],
        )
        _insert(
            connection,
            ghl_request_ledger,
            [{"location_id": "loc1", "bucket": START + timedelta(days=day), "requests": 9_000} for day in range(DAYS)],
        )


def serve(settings: Settings) -> tuple[str, uvicorn.Server, threading.Thread, Any]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread, app


def measure(settings: Settings, loads: int, *, warm: bool) -> list[dict[str, Any]]:
    """``1 + loads`` page loads, each in a fresh browser context; with ``warm``, after the unfiltered page was
    computed (what the app's warmer does when it starts), else with every view computing its reports."""
    from playwright.sync_api import sync_playwright

    base, server, thread, app = serve(settings)
    measured: list[dict[str, Any]] = []
    try:
        if warm:
            started = time.perf_counter()
            app.state.dashboard_snapshots.page(ReportFilters())
            print(f"warm-up (every report computed and the page rendered, in the server): "
                  f"{(time.perf_counter() - started) * 1000:,.0f} ms")  # fmt: skip
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
            for _ in range(1 + loads):
                context = browser.new_context(extra_http_headers={"Authorization": f"Bearer {TOKEN}"})
                page = context.new_page()
                page.goto(f"{base}/dashboard", wait_until="load")
                measured.append(page.evaluate(DRAWN))
                context.close()
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=60)
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--db", default="sqlite:////tmp/dashboard-bench.db")
    parser.add_argument("--loads", type=int, default=5, help="loads after the first, each in a fresh context")
    args = parser.parse_args()

    engine = open_store(args.db)
    with engine.connect() as connection:
        present = connection.execute(sa.select(sa.func.count()).select_from(golden_people)).scalar_one()
    if present == 0:
        started = time.perf_counter()
        fill(engine, args.people)
        print(f"filled the store with {args.people:,} people in {time.perf_counter() - started:.1f} s")
    elif present != args.people:
        raise SystemExit(f"{args.db} holds {present:,} people, not {args.people:,}: give another --db")
    engine.dispose()

    dashboard = DashboardSettings(token=SecretStr(TOKEN))
    cold = measure(
        Settings(database_url=args.db, dashboard=dashboard.model_copy(update={"refresh_seconds": 0})), 0, warm=False
    )
    warm = measure(Settings(database_url=args.db, dashboard=dashboard), args.loads, warm=True)

    def line(label: str, load: dict[str, Any]) -> str:
        return (
            f"{label}: charts drawn at {load['drawn']:,.0f} ms (server answered {load['response']:,.0f} ms, first"
            f" paint {load['contentful'] or 0:,.0f} ms); {load['charts']} charts, {load['marks']} marks,"
            f" {load['bytes'] / 1024:,.0f} KiB of HTML"
        )

    print(f"{args.people:,} people, {args.db}")
    print(line("computed on the view (refresh_seconds = 0)", cold[0]))
    print(line("first load, page kept (the default)", warm[0]))
    rest = warm[1:]
    if rest:
        median = {
            key: statistics.median(load[key] or 0 for load in rest) for key in ("drawn", "response", "contentful")
        }
        print(line(f"median of the next {len(rest)}", {**rest[0], **median}))


if __name__ == "__main__":
    main()
