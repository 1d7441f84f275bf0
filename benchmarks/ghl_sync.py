"""GoHighLevel sync: requests and wall time to push N new people to GHL, a re-sync with 1% changed and one with
nothing changed, against the minimum possible and a naive flow; then the request rate at GHL's real limit.

The GHL emulator runs as its own process (``python -m leadflow_emulators ghl``); golden people, scores and owned
tags are written straight into the store's tables (the sync only reads those). Requests are the client's own
count (every attempt, retries included).

- minimum: one request per new or changed contact (GHL writes one contact a request), one per tag per 100
  contacts, plus the custom-field set-up (one list, one create per field): what any sync must send;
- naive: what a per-record flow (Zapier/n8n style) sends: one upsert with its tags per person, every run.

Run: ``PYTHONPATH=src python benchmarks/ghl_sync.py --people 10000 --paced 1500``
(``--paced N``: N more people synced with the emulator's limits on, 100 requests per 10 s, as GHL's)
"""

from __future__ import annotations

import argparse
import math
import resource
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import SecretStr

from benchmarks.sync import change, populate
from leadflow.config import GhlSettings, Settings, SyncSettings
from leadflow.ghl import GhlOptions
from leadflow.log import configure_logging
from leadflow.pipeline.emulator import DEMO_GHL_LOCATION, DEMO_GHL_TOKEN, EmulatorProcess
from leadflow.pipeline.ghl_sync import ghl_sync, plan_ghl_sync
from leadflow.store import open_store
from leadflow.sync.ghl_schema import LEADFLOW_FIELDS
from leadflow.sync.plan import Plan

UNMAPPED = ("contact.leadflow_suppressed",)  # owned, but not in the default mapping
FIELDS = len([name for name in LEADFLOW_FIELDS if name not in UNMAPPED])


def copy_tags_to_ghl(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "insert into record_tags (golden_person_id, target, desired, applied, custom_fields, updated_at)"
                " select golden_person_id, 'ghl', desired, '[]', custom_fields, updated_at from record_tags"
                " where target = 'zoho' and golden_person_id not in"
                " (select golden_person_id from record_tags where target = 'ghl')"
            )
        )


def minimum(plan: Plan, *, first: bool) -> int:
    contacts = sum(1 for op in plan.writes if op.kind != "tags")
    per_tag: Counter[str] = Counter()
    for op in plan.writes:
        if op.kind == "tags":
            for action in ("add", "remove"):
                for tag in op.payload.get(action, []):
                    per_tag[f"{action}:{tag}"] += 1
    setup = 1 + FIELDS if first else (1 if contacts else 0)  # list the fields (and create leadflow's the first time)
    return contacts + sum(math.ceil(n / 100) for n in per_tag.values()) + setup


def naive(people: int) -> int:
    return people  # one upsert (tags included) per person, whatever changed


def measure(
    label: str, settings: Settings, engine: sa.Engine, people: int, *, first: bool, paced: bool = False
) -> dict[str, Any]:
    started = time.perf_counter()
    plan = plan_ghl_sync(settings, engine)
    # unpaced: the emulator's limits are off, so the client's pacing is too (requests counted, not waited for)
    options = GhlOptions(burst=100, interval=10.0) if paced else GhlOptions(burst=1_000_000, interval=1.0)
    with ghl_sync(settings, engine, options=options) as runner:
        report = runner.run(plan=plan)
        pacer = runner.target.ghl.pacer  # type: ignore[attr-defined]
        window = pacer.max_in_any_window()
    wall = time.perf_counter() - started
    least = minimum(plan, first=first)
    return {
        "scenario": label,
        "contacts written": sum(1 for op in plan.writes if op.kind != "tags"),
        "requests": report.calls,
        "minimum": least,
        "naive": naive(people),
        "vs minimum": f"{report.calls / max(1, least):.2f}x",
        "vs naive": f"{naive(people) / max(1, report.calls):.0f}x fewer" if report.calls else "0 requests",
        "most in a 10 s window": window if paced else "-",
        "requests per 10 s": round(report.calls / wall * 10, 1) if wall else 0,
        "wall s": round(wall, 1),
        "stopped": report.stopped,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--paced", type=int, default=1_500, help="people synced with GHL's real limits on (0: skip)")
    args = parser.parse_args()
    configure_logging(level="warning")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        url = f"sqlite:///{work / 'leadflow.db'}"
        engine = open_store(url)
        ids = populate(engine, args.people)
        copy_tags_to_ghl(engine)
        with EmulatorProcess(work / "ghl.db", kind="ghl") as emulator:
            # off: no 429s, and headers that never say the window is used up
            emulator.http.post("/_emulator/limits", json={"enabled": False, "burst": 1_000_000_000})
            settings = Settings(
                database_url=url,
                ghl=GhlSettings(
                    api_base_url=emulator.base_url, token=SecretStr(DEMO_GHL_TOKEN), location_id=DEMO_GHL_LOCATION
                ),
                sync=SyncSettings(),
            )
            rows.append(measure(f"{args.people:,} new people", settings, engine, args.people, first=True))
            print(rows[-1], flush=True)
            changed = change(engine, ids, args.changed)
            rows.append(measure(f"re-sync, {changed:,} changed", settings, engine, args.people, first=False))
            print(rows[-1], flush=True)
            rows.append(measure("re-sync, nothing changed", settings, engine, args.people, first=False))
            print(rows[-1], flush=True)
            if args.paced:
                emulator.http.post("/_emulator/limits", json={"enabled": True, "burst": 100, "burst_window_ms": 10_000})
                extra = populate_more(engine, args.people, args.paced)
                rows.append(
                    measure(f"{extra:,} new people at GHL's limit", settings, engine, extra, first=False, paced=True)
                )
                print(rows[-1], flush=True)
            contacts = emulator.state()["counts"].get("contact")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\ncontacts in the emulator: {contacts:,}; peak RSS of this process {peak:,.0f} MiB")
    print("\n| scenario | contacts written | requests | minimum | naive | most in 10 s | requests/10 s | wall s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['scenario']} | {row['contacts written']:,} | {row['requests']:,} | {row['minimum']:,} |"
            f" {row['naive']:,} | {row['most in a 10 s window']} | {row['requests per 10 s']} | {row['wall s']} |"
        )


def populate_more(engine: sa.Engine, start: int, count: int) -> int:
    """``count`` more golden people (ids after ``start``) with scores and tags for both targets."""
    from benchmarks.sync import populate as base_populate

    with tempfile.TemporaryDirectory() as folder:
        scratch = open_store(f"sqlite:///{Path(folder) / 'scratch.db'}")
        base_populate(scratch, start + count)
        with scratch.connect() as source, engine.begin() as target:
            known = set(target.execute(sa.text("select id from golden_companies")).scalars())
            for table in ("golden_companies", "golden_people", "scores", "record_tags"):
                rows = source.execute(sa.text(f"select * from {table}")).mappings().all()
                if table == "golden_companies":
                    fresh = [dict(r) for r in rows if r["id"] not in known]
                else:
                    key = "id" if table == "golden_people" else "golden_person_id"
                    fresh = [dict(r) for r in rows if int(str(r[key])[3:], 16) >= start]
                if fresh:
                    target.execute(sa.table(table, *(sa.column(c) for c in fresh[0])).insert(), fresh)
    copy_tags_to_ghl(engine)
    return count


if __name__ == "__main__":
    main()
