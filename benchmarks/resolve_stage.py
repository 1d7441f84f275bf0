"""Benchmark: the resolve stage on a store that ingest filled (read prospects, resolve, write golden tables).

Together with ``benchmarks/ingest.py`` this is the whole ingest + normalize + resolve path:

    python benchmarks/ingest.py --rows 1000000 --db sqlite:////tmp/bench1m.db
    PYTHONPATH=src python -m benchmarks.resolve_stage --db sqlite:////tmp/bench1m.db

The stage runs in a child process, so the peak resident memory reported is the stage's own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time


def _stage(database_url: str) -> dict[str, object]:
    from leadflow.config import ResolveSettings
    from leadflow.pipeline.resolve import run_resolve
    from leadflow.store import open_store

    engine = open_store(database_url)
    report = run_resolve(engine, ResolveSettings())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "load_average_1m_at_end": round(os.getloadavg()[0], 1),
        **{k: report.stats[k] for k in ("candidates", "golden_people", "golden_companies", "scored_edges")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="store URL that `benchmarks/ingest.py --db` filled")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_stage(args.db)))
        return
    started = time.perf_counter()
    command = [sys.executable, "-m", "benchmarks.resolve_stage", "--db", args.db, "--child"]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    figures["wall_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
