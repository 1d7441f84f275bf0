"""``leadflow crm dedupe`` on N golden people each held by two Zoho Contacts (a Note on the younger): the dry
run's and the apply's wall time, calls and credits, against the Zoho emulator in a process of its own.

Run: ``PYTHONPATH=src python benchmarks/crm_dedupe.py --people 500``
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from leadflow.config import Settings
from leadflow.log import configure_logging
from leadflow.pipeline.crm_dedupe import crm_dedupe
from leadflow.pipeline.emulator import EmulatorProcess
from leadflow.store import open_store
from leadflow.store.runs import utcnow
from leadflow.store.schema import crm_cluster_members, golden_people

ID_BASE = 5725767000090000000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=500)
    args = parser.parse_args()
    configure_logging(level="warning")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        with EmulatorProcess(tmp / "zoho.db", args=["--daily-credits", "10000000"]) as zoho:
            lines = []
            for n in range(args.people):
                old, new = str(ID_BASE + 2 * n), str(ID_BASE + 2 * n + 1)
                born = ("2025-01-01T09:00:00+00:00", "2026-01-01T09:00:00+00:00")
                for record_id, created in zip((old, new), born, strict=True):
                    record = {"id": record_id, "Last_Name": f"P{n}", "Created_Time": created}
                    lines.append({"module": "Contacts", "record": record})
                note = {"Note_Content": f"n{n}", "Parent_Id": {"module": {"api_name": "Contacts"}, "id": new}}
                lines.append({"module": "Notes", "record": note})
            zoho.http.post("/_emulator/seed", content="\n".join(json.dumps(line) for line in lines)).raise_for_status()
            url = f"sqlite:///{tmp / 'leadflow.db'}"
            engine = open_store(url)
            with engine.begin() as connection:
                for n in range(args.people):
                    gid = f"gp_{n:016x}"
                    connection.execute(
                        insert(golden_people).values(id=gid, emails=[], provenance={}, updated_at=utcnow())
                    )
                    for crm_id in (ID_BASE + 2 * n, ID_BASE + 2 * n + 1):
                        connection.execute(
                            insert(crm_cluster_members).values(
                                crm_module="Contacts", crm_id=str(crm_id), golden_person_id=gid, match_reason="email"
                            )
                        )
            settings = zoho.settings_for(Settings(), database_url=url)
            started = time.perf_counter()
            dry = crm_dedupe(settings, engine)
            planned = time.perf_counter() - started
            started = time.perf_counter()
            applied = crm_dedupe(settings, engine, apply=True)
            seconds = time.perf_counter() - started
            assert applied.report is not None
            state = zoho.state()
            print(f"people with duplicates: {args.people:,}; merges planned: {len(dry.plan.merges):,}")
            print(f"dry run: {planned:.1f} s")
            print(
                f"apply: {seconds:.1f} s ({args.people / seconds:.1f} merges/s), calls {applied.report.calls:,},"
                f" credits {applied.report.credits:,}, failures {len(applied.report.failures)}"
            )
            print(f"Zoho: {state['records']['Contacts']:,} Contacts left, {state['operations']['Contacts']}")


if __name__ == "__main__":
    main()
