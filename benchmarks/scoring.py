"""Benchmark: score and segment N synthetic golden records (default 1,000,000) with the default config.

    PYTHONPATH=src python -m benchmarks.scoring [--records 1000000] [--events-per-record 3]

Prints wall time per phase and peak RSS. The records are generated column-wise with numpy (seeded), with
realistic gaps (unknown industry, size, revenue ...) so coverage and "unscored" paths run too.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from datetime import UTC, datetime

import duckdb
import numpy as np
import pyarrow as pa

from leadflow.config import Settings
from leadflow.pipeline.score import compile_configured_segments, segment_inputs, summarize
from leadflow.scoring import score_records
from leadflow.segments import APPLIED_SCHEMA, assign_segments

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
INDUSTRIES = ["Computer Software", "Internet", "Retail", "Financial Services", "Hospital & Health Care", "Utilities"]
SENIORITIES = [
    "Owner",
    "Founder",
    "C suite",
    "Partner",
    "Vp",
    "Head",
    "Director",
    "Manager",
    "Senior",
    "Entry",
    "Intern",
]
DEPARTMENTS = ["Sales", "Marketing", "Engineering & Technical", "Finance", "Operations", "Human Resources"]
TITLES = ["VP Sales", "Head of RevOps", "Account Executive", "CEO", "Marketing Manager", "Software Engineer", "CTO"]
COUNTRIES = ["US", "DE", "GB", "FR", "AT", "IN", "BR", "SE", "CA", "AU"]
TECHS = ["Salesforce", "HubSpot", "Zoho CRM", "Gong", "Slack", "Jira", "AWS"]
EVENTS = [
    "email_sent",
    "email_opened",
    "email_clicked",
    "email_replied",
    "meeting_booked",
    "unsubscribed",
    "email_bounced_hard",
    "form_filled",
]
EVENT_P = [0.4, 0.3, 0.12, 0.05, 0.03, 0.03, 0.02, 0.05]


def _pick(rng: np.random.Generator, values: list[str], n: int, missing: float) -> pa.Array:
    chosen = np.array(values, dtype=object)[rng.integers(0, len(values), n)]
    mask = rng.random(n) < missing
    return pa.array(chosen, pa.string(), mask=mask)


def _lists(rng: np.random.Generator, values: list[str], n: int) -> pa.Array:
    lengths = rng.integers(0, 4, n)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    flat = pa.array(np.array(values, dtype=object)[rng.integers(0, len(values), int(offsets[-1]))], pa.string())
    return pa.ListArray.from_arrays(pa.array(offsets), flat)


def make_people(n: int, seed: int = 7) -> pa.Table:
    rng = np.random.default_rng(seed)
    ids = pa.array([f"gp_{i:016x}" for i in range(n)], pa.string())
    emails = pa.compute.binary_join_element_wise(ids, pa.scalar("acme.io"), "@")
    employees = rng.lognormal(4.5, 1.5, n).astype(np.int64)
    revenue = rng.lognormal(16, 2, n)
    return pa.table(
        {
            "id": ids,
            "email": emails,
            "emails": pa.ListArray.from_arrays(pa.array(np.arange(n + 1, dtype=np.int32)), emails),
            "email_is_role": pa.array(rng.random(n) < 0.02),
            "email_is_free": pa.array(rng.random(n) < 0.05),
            "do_not_call": pa.array(rng.random(n) < 0.03),
            "title": _pick(rng, TITLES, n, 0.1),
            "seniority": _pick(rng, SENIORITIES, n, 0.2),
            "department": _pick(rng, DEPARTMENTS, n, 0.3),
            "persona": _pick(rng, ["champion", "economic buyer"], n, 0.8),
            "country": _pick(rng, COUNTRIES, n, 0.1),
            "company_domain": _pick(rng, ["acme.io", "competitor.example", "shop.fr"], n, 0.05),
            "industry": _pick(rng, INDUSTRIES, n, 0.2),
            "employees": pa.array(employees, mask=rng.random(n) < 0.25),
            "annual_revenue": pa.array(revenue, mask=rng.random(n) < 0.4),
            "company_country": _pick(rng, COUNTRIES, n, 0.3),
            "technologies": _lists(rng, TECHS, n),
            "keywords": _lists(rng, ["saas", "b2b", "crm", "retail"], n),
            "email_status": _pick(rng, ["verified", "unverified"], n, 0.1),
            "state": _pick(rng, ["CA", "NY"], n, 0.5),
            "city": _pick(rng, ["Berlin", "Austin"], n, 0.5),
            "crm_module": _pick(rng, ["Leads", "Contacts"], n, 0.7),
        }
    )


def make_events(people: pa.Table, per_record: float, seed: int = 11) -> pa.Table:
    rng = np.random.default_rng(seed)
    count = int(people.num_rows * per_record)
    who = rng.integers(0, people.num_rows, count)
    age_seconds = rng.exponential(30 * 86400, count).astype(np.int64)
    occurred = (int(NOW.timestamp()) - age_seconds) * 1_000_000
    return pa.table(
        {
            "golden_person_id": people.column("id").take(pa.array(who)),
            "email": pa.nulls(count, pa.string()),
            "event_type": pa.array(rng.choice(EVENTS, count, p=EVENT_P), pa.string()),
            "occurred_at": pa.array(occurred, pa.timestamp("us", tz="UTC")),
        }
    )


def through_store(people: pa.Table, events: pa.Table, database_url: str) -> None:
    """Load the records into golden tables and events, then time the whole score stage (read, score, write)."""
    import json

    from leadflow.pipeline.score import run_score_stage
    from leadflow.store import open_store

    engine = open_store(database_url)
    stamp = "2026-11-26 12:00:00.000000"
    with engine.begin() as connection:
        companies = [
            (
                f"gc_{row['id'][3:]}",
                row["company_domain"],
                row["industry"],
                row["employees"],
                row["annual_revenue"],
                row["company_country"],
                json.dumps(row["technologies"]),
                json.dumps(row["keywords"]),
                "{}",
                stamp,
            )
            for row in people.to_pylist()
        ]
        connection.exec_driver_sql(
            "INSERT INTO golden_companies (id, domain, industry, employees, annual_revenue, country, technologies,"
            " keywords, provenance, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            companies,
        )
        persons = [
            (
                row["id"],
                f"gc_{row['id'][3:]}",
                row["email"],
                json.dumps(row["emails"]),
                row["email_is_role"],
                row["email_is_free"],
                row["do_not_call"],
                row["title"],
                row["seniority"],
                row["department"],
                row["persona"],
                row["country"],
                row["email_status"],
                "{}",
                stamp,
            )
            for row in people.to_pylist()
        ]
        connection.exec_driver_sql(
            "INSERT INTO golden_people (id, company_id, email, emails, email_is_role, email_is_free, do_not_call,"
            " title, seniority, department, persona, country, email_status, provenance, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            persons,
        )
        connection.exec_driver_sql(
            "INSERT INTO engagement_events (golden_person_id, event_type, occurred_at, source, payload, created_at)"
            " VALUES (?, ?, ?, 'bench', '{}', ?)",
            [
                (pid, kind, when.strftime("%Y-%m-%d %H:%M:%S.%f"), stamp)
                for pid, kind, when in zip(
                    events["golden_person_id"].to_pylist(),
                    events["event_type"].to_pylist(),
                    events["occurred_at"].to_pylist(),
                    strict=True,
                )
            ],
        )
    for label in ("first run", "second run (nothing changed)"):
        started = time.perf_counter()
        outcome = run_score_stage(engine, Settings(), now=NOW)
        print(
            f"score stage through the store, {label}: {time.perf_counter() - started:.1f} s, "
            f"{outcome.counters['tag_rows_written']:,} tag rows written"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--events-per-record", type=float, default=3.0)
    parser.add_argument("--store", help="also time the whole stage through this store, e.g. sqlite:///bench.db")
    args = parser.parse_args()
    settings = Settings()
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    people = make_people(args.records)
    events = make_events(people, args.events_per_record)
    generated = time.perf_counter()
    cpu_start = time.process_time()
    connection = duckdb.connect()
    scored = score_records(people, events, settings.scoring, now=NOW, connection=connection)
    scoring_done = time.perf_counter()
    compiled = compile_configured_segments(settings)
    segments = assign_segments(
        segment_inputs(people, scored), compiled, APPLIED_SCHEMA.empty_table(), connection=connection
    )
    segmenting_done = time.perf_counter()
    cpu_used = time.process_time() - cpu_start
    counters = summarize(scored, segments)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"records: {people.num_rows:,}  events: {events.num_rows:,}")
    print(f"generate: {generated - started:.1f} s")
    print(f"score: {scoring_done - generated:.1f} s")
    print(f"segment (+ tag diff): {segmenting_done - scoring_done:.1f} s")
    print(f"score + segment: {segmenting_done - generated:.1f} s wall, {cpu_used:.1f} s CPU (both threads)")
    print(
        f"load average (1 min) before / after: {load_before:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(f"peak RSS: {peak_mb:,.0f} MB")
    print(f"grades: {counters['grades']}")
    print(f"segments: {counters['segments']}  suppressed: {counters['suppressed']}  priority: {counters['priority']}")
    if args.store:
        del scored, segments
        through_store(people, events, args.store)


if __name__ == "__main__":
    main()
