"""Sync engine: calls, credits, wall time and peak memory to push N new prospects to Zoho, then a re-sync with
1% changed, against the minimum possible and a naive one-call-per-record sync.

The emulator runs as its own process (``python -m leadflow_emulators zoho``); golden records, scores and
owned tags are written straight into the store's tables (the sync only reads those). Calls and credits are
the client's own counts, cross-checked against the emulator's credit count.

- naive: one write call per record and one tag call per tag change (1 credit each);
- minimum: every record written by the cheaper of batch upsert (1 credit per 10 records, 100 per call) and
  bulk write (500 credits per 25,000 rows, plus the upload and status calls), and one tag call per tag and 100
  records: what any sync must spend for these changes.

Each scenario writes the plan file first (``leadflow plan --out``, streamed) and then syncs (``leadflow sync``:
the plan streams from the store into the outbox, the runner pages through it), as the CLI does. The peak
resident memory of this process (populating the store included; the emulator is a process of its own) is
printed at the end.

Run: ``PYTHONPATH=src python benchmarks/sync.py --people 10000`` (add ``--changed 0.01`` for the re-sync share)
"""

from __future__ import annotations

import argparse
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import SecretStr

from leadflow.config import Settings, SyncSettings, ZohoSettings
from leadflow.log import configure_logging
from leadflow.pipeline.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN, EmulatorProcess
from leadflow.pipeline.sync import write_plan_file, zoho_sync
from leadflow.store import open_store
from leadflow.store.schema import golden_companies, golden_people, record_tags, scores
from leadflow.sync.cost import naive_cost
from leadflow.sync.plan import PlanTally
from leadflow.sync.runner import SyncReport
from leadflow.sync.target import CallCost
from leadflow.sync.zoho_target import ZohoTarget

TAGS = ("lf-hot", "lf-nurture", "lf-dach-champion")
CHUNK = 5_000


def populate(engine: sa.Engine, people: int, seed: int = 7) -> list[str]:
    """``people`` golden people at people/5 companies, each scored and with one owned tag."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    companies = max(1, people // 5)
    with engine.begin() as connection:
        for start in range(0, companies, CHUNK):
            connection.execute(
                sa.insert(golden_companies),
                [
                    {
                        "id": f"gc_{c:016x}",
                        "name": f"Company {c} GmbH",
                        "domain": f"company{c}.example",
                        "company_key": f"company {c}",
                        "employees": 10 + c % 900,
                        "annual_revenue": float(1_000_000 + c * 1000),
                        "country": "DE",
                        "technologies": [],
                        "keywords": [],
                        "provenance": {},
                        "updated_at": now,
                    }
                    for c in range(start, min(companies, start + CHUNK))
                ],
            )
    ids = [f"gp_{p:016x}" for p in range(people)]
    with engine.begin() as connection:
        for start in range(0, people, CHUNK):
            block = range(start, min(people, start + CHUNK))
            connection.execute(
                sa.insert(golden_people),
                [
                    {
                        "id": ids[p],
                        "company_id": f"gc_{p % companies:016x}",
                        "email": f"person{p}@company{p % companies}.example",
                        "emails": [f"person{p}@company{p % companies}.example"],
                        "first_name": "Ada",
                        "last_name": f"Lovelace{p}",
                        "title": "VP Engineering",
                        "country": "DE",
                        "city": "Berlin",
                        "provenance": {},
                        "updated_at": now,
                    }
                    for p in block
                ],
            )
            connection.execute(sa.insert(scores), [_complete(scores, _score(ids[p], rng, now)) for p in block])
            connection.execute(
                sa.insert(record_tags),
                [
                    {
                        "golden_person_id": ids[p],
                        "target": "zoho",
                        "desired": [rng.choice(TAGS)],
                        "applied": [],
                        "custom_fields": {},
                        "updated_at": now,
                    }
                    for p in block
                ],
            )
    return ids


def _score(person_id: str, rng: random.Random, now: datetime) -> dict[str, Any]:
    return {
        "golden_person_id": person_id,
        "fit": float(rng.randint(0, 100)),
        "persona_influence": float(rng.randint(0, 100)),
        "engagement": None,
        "fit_coverage": 1.0,
        "persona_coverage": 1.0,
        "engagement_coverage": 0.0,
        "grade": rng.choice(["A1", "B2", "C3"]),
        "priority": False,
        "suppressed": False,
        "suppression_reasons": [],
        "reasons": [],
        "summary": "fit: industry +20; persona: VP +30",
        "segments": [],
        "computed_at": now,
    }


def _complete(table: sa.Table, row: dict[str, Any]) -> dict[str, Any]:
    """Neutral values for NOT NULL columns the row does not set (other stages add columns over time)."""
    for column in table.columns:
        if column.name in row or column.nullable or column.default is not None or column.primary_key:
            continue
        kind = column.type
        if isinstance(kind, sa.JSON):
            row[column.name] = []
        elif isinstance(kind, sa.DateTime):
            row[column.name] = datetime.now(UTC)
        elif isinstance(kind, sa.Boolean):
            row[column.name] = False
        elif isinstance(kind, sa.Integer | sa.Float | sa.Numeric):
            row[column.name] = 0
        else:
            row[column.name] = ""
    return row


def change(engine: sa.Engine, ids: list[str], share: float, seed: int = 11) -> int:
    """Move ``share`` of the people to another city (a real field change the sync must push)."""
    picked = random.Random(seed).sample(ids, max(1, int(len(ids) * share)))
    with engine.begin() as connection:
        for start in range(0, len(picked), 1000):
            connection.execute(
                sa.update(golden_people)
                .where(golden_people.c.id.in_(picked[start : start + 1000]))
                .values(city="Hamburg")
            )
    return len(picked)


def minimum(target: ZohoTarget, tally: PlanTally) -> CallCost:
    """The least any sync could spend on the plan's writes and tag changes."""
    calls = credits = 0
    for (_module, method), n in tally.write_groups.items():
        options = [target.write_cost(n, bulk=False)] + ([target.write_cost(n, bulk=True)] if method == "upsert" else [])
        best = min(options, key=lambda c: (c.credits, c.calls))
        calls, credits = calls + best.calls, credits + best.credits
    tag_calls = sum(math.ceil(n / target.schema.batch_size) for n in tally.tag_groups.values())
    return CallCost(calls + tag_calls, credits + tag_calls)


def measure(label: str, settings: Settings, engine: sa.Engine, emulator: EmulatorProcess, work: Path) -> dict[str, Any]:
    started = time.perf_counter()
    tally = write_plan_file(settings, engine, work / "plan.jsonl")  # leadflow plan --out
    planned = time.perf_counter() - started
    credits_before = emulator.state()["credits"]["used"]
    with zoho_sync(settings, engine) as runner:
        assert isinstance(runner.target, ZohoTarget)
        least = minimum(runner.target, tally)
        report: SyncReport = runner.run()  # leadflow sync: plans again (streamed) and applies
    wall = time.perf_counter() - started
    server_credits = emulator.state()["credits"]["used"] - credits_before
    worst = naive_cost(tally.writes, tally.tag_changes)
    return {
        "scenario": label,
        "records": tally.writes,
        "tag changes": tally.tag_changes,
        "methods": report.methods,
        "calls": report.calls,
        "credits": report.credits,
        "emulator credits": server_credits,
        "minimum calls/credits": f"{least.calls}/{least.credits}",
        "naive calls/credits": f"{worst.calls}/{worst.credits}",
        "credits vs naive": f"{worst.credits / max(1, report.credits):.1f}x fewer",
        "credits vs minimum": f"{report.credits / max(1, least.credits):.2f}x",
        "plan s": round(planned, 1),
        "wall s": round(wall, 1),
        "peak RSS MiB": peak_rss_mib(),
        "stopped": report.stopped,
    }


def mirror(settings: Settings, emulator: EmulatorProcess) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEADFLOW_")}
    env.update(
        {
            "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src"),
            "LEADFLOW_DATABASE_URL": settings.database_url,
            "LEADFLOW_ZOHO_API_BASE_URL": emulator.base_url,
            "LEADFLOW_ZOHO_ACCOUNTS_URL": emulator.base_url,
            "LEADFLOW_ZOHO_CLIENT_ID": DEMO_CLIENT_ID,
            "LEADFLOW_ZOHO_CLIENT_SECRET": DEMO_CLIENT_SECRET,
            "LEADFLOW_ZOHO_REFRESH_TOKEN": DEMO_REFRESH_TOKEN,
        }
    )
    subprocess.run([sys.executable, "-m", "leadflow", "mirror"], env=env, check=True, capture_output=True)


def peak_rss_mib() -> int:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--changed", type=float, default=0.01, help="share changed before the re-sync")
    args = parser.parse_args()
    configure_logging(level="warning")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        url = f"sqlite:///{work / 'leadflow.db'}"
        engine = open_store(url)
        started = time.perf_counter()
        ids = populate(engine, args.people)
        print(f"populated {args.people:,} golden people in {time.perf_counter() - started:.1f} s", flush=True)
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
                sync=SyncSettings(),
            )
            # As the pipeline does before resolving against the CRM (`leadflow mirror`, its own process here
            # so its phone metadata does not count in this one's memory): with a fresh mirror the sync checks
            # new Leads against Contacts locally instead of by COQL (1 credit per 50 records).
            mirror(settings, emulator)
            rows = [measure(f"{args.people:,} new prospects", settings, engine, emulator, work)]
            print(rows[-1], flush=True)
            changed = change(engine, ids, args.changed)
            rows.append(measure(f"re-sync, {changed:,} changed ({args.changed:.0%})", settings, engine, emulator, work))
            print(rows[-1], flush=True)
            rows.append(measure("re-sync, nothing changed", settings, engine, emulator, work))
            print(rows[-1], flush=True)
    print("\n| scenario | records | tag changes | calls | credits | minimum | naive | wall s | peak RSS MiB |")
    for row in rows:
        print(
            f"| {row['scenario']} | {row['records']:,} | {row['tag changes']:,} | {row['calls']:,} "
            f"| {row['credits']:,} | {row['minimum calls/credits']} | {row['naive calls/credits']} | {row['wall s']} "
            f"| {row['peak RSS MiB']:,} |"
        )
    print(f"peak RSS of the whole run (populate, plan files and syncs): {peak_rss_mib():,} MiB")


if __name__ == "__main__":
    main()
