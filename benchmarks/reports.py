"""Benchmark: every report (funnel, pipeline, sources, segments, engagement, sync, a people drill-down) on a store of
N golden people (default 1,000,000) with 3 events each, filled with bulk inserts.

    PYTHONPATH=src python -m benchmarks.reports [--people 1000000] [--url sqlite:////tmp/reports.db] [--keep]

The store holds, per N people: 1.2 N source rows (Apollo and Sales Navigator, 20 % duplicates), golden people
(35 % linked to a Zoho Lead or Contact with an owner), 5 % matched to a record already in the CRM, scores with 0-2
of 6 segments each, 20 % enrolled in a GHL workflow, 3 N engagement events over 90 days, N / 20 Deals with 3
Stage_History entries each, N / 2 sync log rows, 90 days of Zoho credit and GHL request ledgers (one bucket a
minute), N webhook deliveries and N / 100 quarantined rows. The report facts are then brought up to date by the
product's own refresh (a full build on a store just filled: the bulk inserts fired the triggers, and the facts
have never been built), timed on its own. Each report runs twice (unfiltered, then with a period and a segment);
the figures printed are wall seconds (CPU seconds of this process). Last, 10,000 new events are inserted and the
incremental refresh timed, then they are deleted and the refresh timed again (the store is left as filled). A
PostgreSQL ``--url`` is loaded with COPY.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from leadflow.reporting import REPORTS, ReportFilters, people
from leadflow.reporting.facts import FactsRefresh, refresh_report_facts
from leadflow.store import open_store

START = datetime(2026, 9, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 1, tzinfo=UTC)
DAYS = 90
SEGMENTS = ["dach-champion", "nurture", "enterprise", "smb", "reactivation", "partners"]
EVENT_KINDS = [
    "email_sent", "email_opened", "email_clicked", "website_visit", "email_replied", "email_bounced_hard",
    "email_bounced_soft", "meeting_booked", "form_filled", "unsubscribed", "lead_converted",
]  # fmt: skip
EVENT_P = [0.40, 0.22, 0.10, 0.08, 0.05, 0.02, 0.02, 0.03, 0.04, 0.02, 0.02]
STAGES = [("Qualification", 10, "open"), ("Needs Analysis", 20, "open"), ("Value Proposition", 40, "open"),
          ("Proposal/Price Quote", 75, "open"), ("Negotiation/Review", 90, "open"), ("Closed Won", 100, "won"),
          ("Closed Lost", 0, "lost")]  # fmt: skip
CHUNK = 50_000
INCREMENT = 10_000  # new events for the incremental refresh's figure


class Loader:
    """Bulk inserts: ``executemany`` in one transaction on SQLite, ``COPY`` on PostgreSQL."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"

    def ts(self, moment: datetime) -> Any:
        # SQLAlchemy's SQLite DateTime storage format, so the store reads these back like its own rows.
        return moment if self.postgres else moment.strftime("%Y-%m-%d %H:%M:%S.%f")

    def day(self, value: date) -> Any:
        return value if self.postgres else value.isoformat()

    def load(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        count = 0
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if self.postgres:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            else:
                statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                batch: list[Sequence[Any]] = []
                for row in rows:
                    batch.append(row)
                    if len(batch) >= CHUNK:
                        cursor.executemany(statement, batch)
                        count += len(batch)
                        batch.clear()
                cursor.executemany(statement, batch)
                count += len(batch)
            raw.commit()
        finally:
            raw.close()
        return count


def person_id(number: int) -> str:
    return f"gp_{number:010d}"


def fill(engine: sa.Engine, n: int, *, seed: int = 7) -> dict[str, int]:
    """Fill an empty store with the synthetic world; returns rows per table."""
    rng = np.random.default_rng(seed)
    loader = Loader(engine)
    ts, counts = loader.ts, {}
    empty = "{}"
    seconds = DAYS * 86_400

    def moment(offset: float) -> Any:
        return ts(START + timedelta(seconds=float(offset)))

    counts["runs"] = loader.load(
        "runs", ["id", "kind", "status", "started_at", "counters"], [(1, "ingest", "succeeded", ts(START), empty)]
    )

    # Source rows: every person one, 20 % a second (a duplicate from the other source).
    rows_total = int(n * 1.2)
    owners = np.concatenate([np.arange(n), rng.integers(0, n, rows_total - n)])
    kinds = np.where(rng.random(rows_total) < 0.6, "apollo", "salesnav")
    ingested = rng.random(rows_total) * seconds

    def source_rows() -> Iterator[tuple[Any, ...]]:
        for i in range(rows_total):
            kind = str(kinds[i])
            yield (i + 1, 1, kind, f"{kind}.csv", kind, i + 1, empty, moment(ingested[i]))

    counts["source_records"] = loader.load(
        "source_records",
        ["id", "run_id", "source_kind", "file_name", "file_sha256", "row_number", "raw", "ingested_at"],
        source_rows(),
    )
    crm = rng.random(n)
    module = np.where(crm < 0.15, "Leads", np.where(crm < 0.35, "Contacts", ""))
    owner_of = rng.integers(1, 11, n)

    def golden_rows() -> Iterator[tuple[Any, ...]]:
        for i in range(n):
            crm_module = str(module[i]) or None
            yield (person_id(i), f"p{i}@example.com", "[]", f"First{i}", f"Last{i}", f"Company {i % 40_000}",
                   crm_module, f"z{i}" if crm_module else None, empty, ts(START))  # fmt: skip

    counts["golden_people"] = loader.load(
        "golden_people",
        ["id", "email", "emails", "first_name", "last_name", "company_name", "crm_module", "crm_id",
         "provenance", "updated_at"],
        golden_rows(),
    )  # fmt: skip
    counts["cluster_members"] = loader.load(
        "cluster_members",
        ["source_record_id", "golden_person_id", "match_reason"],
        ((i + 1, person_id(int(owners[i])), "email") for i in range(rows_total)),
    )

    counts["crm_records"] = loader.load(
        "crm_records",
        ["module", "crm_id", "fields", "loaded_at"],
        (
            (str(module[i]), f"z{i}", json.dumps({"Owner": {"id": f"u{owner_of[i]}", "name": f"Owner {owner_of[i]}"}}),
             ts(START))
            for i in range(n)
            if module[i]
        ),
    )  # fmt: skip
    from_crm = np.flatnonzero((module == "Contacts") & (rng.random(n) < 0.25))
    counts["crm_cluster_members"] = loader.load(
        "crm_cluster_members",
        ["crm_module", "crm_id", "golden_person_id", "match_reason"],
        (("Contacts", f"z{i}", person_id(int(i)), "email") for i in from_crm),
    )
    synced = rng.random(n)
    counts["sync_records"] = loader.load(
        "sync_records",
        ["target", "golden_id", "kind", "module", "remote_id", "payload", "version", "synced_at"],
        (
            (target, person_id(i), "person", "Leads" if target == "zoho" else "contacts", f"{target}{i}", empty, 1,
             ts(START))
            for i in range(n)
            for target in (("zoho", "ghl") if synced[i] < 0.4 else ("zoho",) if synced[i] < 0.5 else ())
        ),
    )  # fmt: skip
    segment_count = rng.integers(0, 3, n)
    first_segment = rng.integers(0, len(SEGMENTS), n)

    def score_rows() -> Iterator[tuple[Any, ...]]:
        for i in range(n):
            names = [SEGMENTS[(first_segment[i] + k) % len(SEGMENTS)] for k in range(segment_count[i])]
            yield (person_id(i), 0.5, 1.0, 1.0, 1.0, "B1", False, False, "[]", "[]", "", json.dumps(names),
                   "h", ts(START))  # fmt: skip

    counts["scores"] = loader.load(
        "scores",
        ["golden_person_id", "fit", "fit_coverage", "persona_coverage", "engagement_coverage", "grade", "priority",
         "suppressed", "suppression_reasons", "reasons", "summary", "segments", "content_hash", "computed_at"],
        score_rows(),
    )  # fmt: skip
    enrolled = rng.random(n) < 0.2
    counts["record_tags"] = loader.load(
        "record_tags",
        ["golden_person_id", "target", "desired", "applied", "custom_fields", "updated_at"],
        (
            (person_id(i), "ghl", "[]", json.dumps(["lf-nurture", f"lf-workflow:Sequence {i % 5}"]), empty,
             moment(rng_offset))
            for i, rng_offset in zip(np.flatnonzero(enrolled), rng.random(int(enrolled.sum())) * seconds, strict=True)
        ),
    )  # fmt: skip

    events_total = 3 * n
    event_person = rng.integers(0, n, events_total)
    event_kind = rng.choice(len(EVENT_KINDS), events_total, p=EVENT_P)
    event_time = rng.random(events_total) * seconds
    unmatched = rng.random(events_total) < 0.01

    def event_rows() -> Iterator[tuple[Any, ...]]:
        for i in range(events_total):
            kind = EVENT_KINDS[event_kind[i]]
            person = int(event_person[i])
            payload = json.dumps({"contact_id": f"z{person}"}) if kind == "lead_converted" else empty
            when = moment(event_time[i])
            yield (None if unmatched[i] else person_id(person), kind, when, "ghl", payload, when)

    counts["engagement_events"] = loader.load(
        "engagement_events",
        ["golden_person_id", "event_type", "occurred_at", "source", "payload", "created_at"],
        event_rows(),
    )

    contacts = np.flatnonzero(module == "Contacts")
    deals_total = max(1, n // 20)
    deal_contact = rng.choice(contacts, deals_total) if len(contacts) else np.zeros(deals_total, dtype=int)
    deal_stage = rng.integers(0, len(STAGES), deals_total)
    deal_created = rng.random(deals_total) * seconds * 0.7
    deal_amount = rng.lognormal(9, 1, deals_total).round(2)

    def deal_rows() -> Iterator[tuple[Any, ...]]:
        for i in range(deals_total):
            stage, probability, outcome = STAGES[deal_stage[i]]
            created = START + timedelta(seconds=float(deal_created[i]))
            since = created + timedelta(days=int(deal_stage[i]) * 3)
            yield (f"d{i}", f"Deal {i}", "Standard (Standard)", stage, outcome, float(probability),
                   float(deal_amount[i]), "EUR", loader.day(date(2026, 12, 31)), f"z{deal_contact[i]}",
                   f"u{owner_of[deal_contact[i]]}", f"Owner {owner_of[deal_contact[i]]}", ts(created), ts(since),
                   ts(since), ts(since) if outcome != "open" else None, empty, ts(NOW))  # fmt: skip

    counts["crm_deals"] = loader.load(
        "crm_deals",
        ["crm_id", "deal_name", "pipeline", "stage", "outcome", "probability", "amount", "currency", "closing_date",
         "contact_id", "owner_id", "owner_name", "created_time", "modified_time", "stage_since", "closed_at",
         "fields", "loaded_at"],
        deal_rows(),
    )  # fmt: skip
    counts["crm_deal_stages"] = loader.load(
        "crm_deal_stages",
        ["deal_id", "entry_id", "stage", "probability", "moved_at", "duration_days"],
        (
            (f"d{i}", f"h{i}-{step}", STAGES[step][0], float(STAGES[step][1]),
             ts(START + timedelta(seconds=float(deal_created[i]), days=3 * step)), 3)
            for i in range(deals_total)
            for step in range(3)
        ),
    )  # fmt: skip
    outcomes = ["created", "updated", "failed", "invalid"]
    log_outcome = rng.choice(4, n // 2, p=[0.6, 0.35, 0.04, 0.01])
    counts["sync_log"] = loader.load(
        "sync_log",
        ["run_id", "target", "golden_id", "module", "action", "outcome", "code", "created_at"],
        (
            (1, "zoho" if i % 3 else "ghl", person_id(i), "Leads", "create", outcomes[log_outcome[i]],
             "INVALID_DATA" if log_outcome[i] >= 2 else None, moment(i * seconds / (n // 2)))
            for i in range(n // 2)
        ),
    )  # fmt: skip
    minutes = DAYS * 1_440
    counts["zoho_credit_ledger"] = loader.load(
        "zoho_credit_ledger",
        ["bucket", "credits", "calls"],
        ((ts(START + timedelta(minutes=m)), 3, 2) for m in range(minutes)),
    )
    counts["ghl_request_ledger"] = loader.load(
        "ghl_request_ledger",
        ["location_id", "bucket", "requests"],
        (("loc1", ts(START + timedelta(minutes=m)), 40) for m in range(minutes)),
    )
    received = rng.random(n) * seconds
    lag = rng.exponential(2.0, n)
    counts["webhook_deliveries"] = loader.load(
        "webhook_deliveries",
        ["source", "vendor_event_id", "event_type", "received_at", "headers", "body", "state", "attempts",
         "processed_at"],
        (
            ("ghl", f"w{i}", "OutboundMessage", moment(received[i]), empty, b"{}",
             "received" if i % 1000 == 0 else "processed", 1,
             None if i % 1000 == 0 else moment(received[i] + lag[i]))
            for i in range(n)
        ),
    )  # fmt: skip
    counts["quarantine"] = loader.load(
        "quarantine",
        ["run_id", "source_kind", "file_name", "file_sha256", "row_number", "raw_text", "reason", "created_at"],
        ((1, "apollo", "apollo.csv", "q", i, "x", "no_identity", moment(i * 60.0)) for i in range(n // 100)),
    )
    if loader.postgres:  # what autovacuum does to a loaded table: statistics and a visibility map (index-only scans)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.commit()
    return counts


def timed(run: Callable[[], Any]) -> tuple[float, float]:
    """(wall, CPU) seconds of ``run``. On SQLite the queries run in this process, so CPU is what they cost on a
    core of their own; on a shared machine wall time adds the wait for a core. On PostgreSQL the server works."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def timed_refresh(engine: sa.Engine) -> tuple[tuple[float, float], FactsRefresh]:
    """The product's own refresh of the report facts (a full build on a store just filled), timed."""
    outcome: list[FactsRefresh] = []
    figures = timed(lambda: outcome.append(refresh_report_facts(engine)))
    return figures, outcome[0]


def add_events(engine: sa.Engine, people: int, count: int, *, seed: int = 11) -> list[int]:
    """``count`` new events for random people on the last day (what the tracking worker adds in a few
    batches); returns their ids."""
    rng = np.random.default_rng(seed)
    when = (NOW - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S.%f")
    rows = [
        {
            "golden_person_id": person_id(int(person)),
            "event_type": EVENT_KINDS[int(kind)],
            "occurred_at": NOW - timedelta(hours=1) if engine.dialect.name == "postgresql" else when,
            "source": "ghl",
            "payload": "{}",
            "created_at": NOW if engine.dialect.name == "postgresql" else when,
        }
        for person, kind in zip(
            rng.integers(0, people, count), rng.choice(len(EVENT_KINDS), count, p=EVENT_P), strict=True
        )
    ]
    table = sa.table(
        "engagement_events",
        *(sa.column(name) for name in ("id", "golden_person_id", "event_type", "occurred_at", "source", "payload",
                                       "created_at")),
    )  # fmt: skip
    with engine.begin() as connection:
        first = connection.execute(sa.select(sa.func.max(table.c.id))).scalar_one()
        connection.execute(sa.insert(table), rows)
        return list(connection.execute(sa.select(table.c.id).where(table.c.id > first)).scalars())


def remove_events(engine: sa.Engine, ids: list[int]) -> None:
    table = sa.table("engagement_events", sa.column("id"))
    with engine.begin() as connection:
        connection.execute(sa.delete(table).where(table.c.id.in_(ids)))


def shown(figures: tuple[float, float]) -> str:
    return f"{figures[0]:6.2f}s ({figures[1]:5.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--url", default=None, help="Store URL (default: a new SQLite file under /tmp)")
    parser.add_argument("--keep", action="store_true", help="Reuse the store at --url as it is (no fill)")
    args = parser.parse_args()
    url = args.url or f"sqlite:////tmp/leadflow-reports-{args.people}.db"
    if url.startswith("sqlite:///") and not args.keep:
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = open_store(url)
    if not args.keep:
        started = time.perf_counter()
        counts = fill(engine, args.people)
        print(f"filled in {time.perf_counter() - started:.1f} s: " + ", ".join(f"{t} {c:,}" for t, c in counts.items()))
    refreshed = timed_refresh(engine)
    print(f"facts refresh before the reports: {shown(refreshed[0])}, {refreshed[1]}")
    narrowed = ReportFilters(since=date(2026, 10, 1), until=date(2026, 10, 31), segment="nurture")
    print(f"{'report':<12} {'all: wall (CPU)':>18} {'October + segment':>20}")
    worst = 0.0
    with engine.connect() as connection:
        for name, query in REPORTS.items():
            everything = timed(lambda q=query: q(connection, ReportFilters(), now=NOW))
            filtered = timed(lambda q=query: q(connection, narrowed, now=NOW))
            worst = max(worst, everything[0], filtered[0])
            print(f"{name:<12} {shown(everything):>18} {shown(filtered):>20}")
        drill = timed(lambda: people(connection, ReportFilters(), step="replied"))
        drill_filtered = timed(lambda: people(connection, narrowed, step="segment:nurture"))
        worst = max(worst, drill[0], drill_filtered[0])
        print(f"{'people':<12} {shown(drill):>18} {shown(drill_filtered):>20}   (drill-down, first 500)")
    added = add_events(engine, args.people, INCREMENT)
    refreshed = timed_refresh(engine)
    print(f"facts refresh after {INCREMENT:,} new events: {shown(refreshed[0])}, {refreshed[1]}")
    remove_events(engine, added)
    refreshed = timed_refresh(engine)
    print(f"facts refresh after deleting them again: {shown(refreshed[0])}, {refreshed[1]}")
    print(
        f"slowest wall: {worst:.2f} s (target < 5 s); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    engine.dispose()


if __name__ == "__main__":
    main()
