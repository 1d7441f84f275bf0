"""Resolve at scale: wall time and peak memory for N prospects from the synthetic generator.

    PYTHONPATH=src python -m benchmarks.resolve_scale --rows 100000 [--store sqlite:///bench.db]
    PYTHONPATH=src python -m benchmarks.resolve_scale --rows 100000 --backend duckdb --backend spark

``--backend`` (repeatable) runs splink on DuckDB (default) and/or Spark (``local[2]``), one fresh process each,
and says whether the backends put the rows in the same clusters. On Spark the CPU seconds count this process
only: the JVM's are reported apart (``spark_jvm_cpu_seconds``, from /proc).

The candidates are generated once and cached as Parquet (not timed); the resolve then runs in a fresh process
so its peak RSS is its own. ``--store`` also writes the golden tables through the store (timed separately).
"""

from __future__ import annotations

import argparse
import hashlib
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


def measure(path: Path, store: str | None, backend: str) -> dict[str, object]:
    from leadflow.config import ResolveSettings
    from leadflow.pipeline.resolve import options_from_settings
    from leadflow.resolve.engine import resolve

    table = pq.read_table(path)
    started, cpu_started = time.perf_counter(), _cpu()
    result = resolve(table, options=options_from_settings(ResolveSettings(backend=backend)))  # type: ignore[arg-type]
    resolve_seconds = time.perf_counter() - started
    clusters = sorted(
        zip(
            result.members.column("rid").to_pylist(), result.members.column("golden_person_id").to_pylist(), strict=True
        )
    )
    figures: dict[str, object] = {
        "backend": backend,
        "rows": table.num_rows,
        "resolve_seconds": round(resolve_seconds, 1),
        "resolve_cpu_seconds": round(_cpu() - cpu_started, 1),
        "golden_people": result.people.num_rows,
        "scored_edges": result.stats["scored_edges"],
        "key_edges": result.stats["key_edges"],
        "model": result.stats["model"],
        "clusters_digest": hashlib.sha256(json.dumps(clusters).encode()).hexdigest()[:16],
    }
    if backend == "spark":
        figures["spark_jvm_cpu_seconds"] = round(_children_cpu(), 1)
    if store:
        from leadflow.store import open_store
        from leadflow.store.golden import replace_golden

        engine = open_store(store)
        started, cpu_started = time.perf_counter(), _cpu()
        with engine.begin() as connection:
            # the candidates were not ingested here, so member rows have no source_records to point at
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            replace_golden(connection, companies=result.companies, people=result.people, members=result.members)
        figures["store_write_seconds"] = round(time.perf_counter() - started, 1)
        figures["store_write_cpu_seconds"] = round(_cpu() - cpu_started, 1)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    figures["load_average_1m_at_end"] = round(os.getloadavg()[0], 1)
    return figures


def _children_cpu() -> float:
    """CPU seconds of this process's live descendants (Spark's JVM and its Python workers), read from /proc."""
    parent: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parent[pid] = int(fields[1])
        times[pid] = sum(int(f) for f in fields[11:15]) / tick
    descendants, frontier = set(), {os.getpid()}
    while frontier:
        frontier = {pid for pid, ppid in parent.items() if ppid in frontier} - descendants
        descendants |= frontier
    return sum(times[pid] for pid in descendants)


def _cpu() -> float:
    """CPU seconds of this process (user + system, all threads): the machine is shared, wall time is not."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--store", help="also write the golden tables to this SQLite URL (sqlite:///FILE)")
    parser.add_argument(
        "--backend", action="append", choices=["duckdb", "spark"], help="splink backend (repeat to compare)"
    )
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    backends = args.backend or ["duckdb"]
    if args.measure:
        print(json.dumps(measure(args.measure, args.store, backends[0])))
        return
    path = prepare(args.rows, args.seed)
    runs = []
    for backend in backends:
        command = [sys.executable, "-m", "benchmarks.resolve_scale", "--measure", str(path), "--backend", backend]
        if args.store:
            command += ["--store", args.store]
        started = time.perf_counter()
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        figures = json.loads(output.strip().splitlines()[-1])
        figures["process_seconds"] = round(time.perf_counter() - started, 1)
        runs.append(figures)
    report: object = (
        runs[0]
        if len(runs) == 1
        else {
            "runs": runs,
            "same_clusters": len({r["clusters_digest"] for r in runs}) == 1,
        }
    )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
