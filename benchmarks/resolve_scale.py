"""Resolve at scale on DuckDB: wall time and peak memory for N prospects from the synthetic generator.

    PYTHONPATH=src python -m benchmarks.resolve_scale --rows 100000 [--store sqlite:///bench.db]

The candidates are generated once and cached as Parquet (not timed); the resolve then runs in a fresh process
so its peak RSS is its own. ``--store`` also writes the golden tables through the store (timed separately).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

CACHE = Path(os.environ.get("LEADFLOW_BENCH_DIR", "/tmp/leadflow-bench"))
ROWS_PER_PERSON = 1.68  # the generator's average with its default source probabilities


def prepare(rows: int, seed: int) -> Path:
    path = CACHE / f"candidates_{rows}_{seed}.parquet"
    if path.exists():
        return path
    from benchmarks.synthetic import candidates_from_sample
    from leadflow.sampledata import GeneratorConfig, generate

    CACHE.mkdir(parents=True, exist_ok=True)
    data = generate(GeneratorConfig(people=int(rows / ROWS_PER_PERSON), seed=seed))
    table = candidates_from_sample(data).candidates
    pq.write_table(table.slice(0, rows), path)
    return path


def measure(path: Path, store: str | None) -> dict[str, object]:
    from leadflow.config import ResolveSettings
    from leadflow.pipeline.resolve import options_from_settings
    from leadflow.resolve.engine import resolve

    table = pq.read_table(path)
    started, cpu_started = time.perf_counter(), _cpu()
    result = resolve(table, options=options_from_settings(ResolveSettings()))
    resolve_seconds = time.perf_counter() - started
    figures: dict[str, object] = {
        "rows": table.num_rows,
        "resolve_seconds": round(resolve_seconds, 1),
        "resolve_cpu_seconds": round(_cpu() - cpu_started, 1),
        "golden_people": result.people.num_rows,
        "scored_edges": result.stats["scored_edges"],
        "key_edges": result.stats["key_edges"],
    }
    if store:
        from leadflow.pipeline.resolve import _company_row, _member_row, _person_row, _rows
        from leadflow.store import open_store
        from leadflow.store.golden import replace_golden

        engine = open_store(store)
        started, cpu_started = time.perf_counter(), _cpu()
        with engine.begin() as connection:
            # the candidates were not ingested here, so member rows have no source_records to point at
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            replace_golden(
                connection,
                companies=(_company_row(r) for r in _rows(result.companies)),
                people=(_person_row(r, {}) for r in _rows(result.people)),
                members=(_member_row(r) for r in _rows(result.members)),
            )
        figures["store_write_seconds"] = round(time.perf_counter() - started, 1)
        figures["store_write_cpu_seconds"] = round(_cpu() - cpu_started, 1)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    figures["load_average_1m_at_end"] = round(os.getloadavg()[0], 1)
    return figures


def _cpu() -> float:
    """CPU seconds of this process (user + system, all threads): the machine is shared, wall time is not."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--store", help="also write the golden tables to this SQLite URL (sqlite:///FILE)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.store)))
        return
    path = prepare(args.rows, args.seed)
    command = [sys.executable, "-m", "benchmarks.resolve_scale", "--measure", str(path)]
    if args.store:
        command += ["--store", args.store]
    started = time.perf_counter()
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    figures["process_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
