from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    env["PYTHONPATH"] = str(REPO / "src")
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "leadflow", "demo", "--workdir", str(tmp_path / "demo"), "--people", "300", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_demo_runs_end_to_end_then_finds_nothing_to_change(tmp_path: Path) -> None:
    first = _demo(tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Zoho Leads created" in first.stdout
    assert "people matched to Zoho records" in first.stdout
    assert "a naive one-call-per-record sync" in first.stdout
    assert (tmp_path / "demo" / "leadflow.db").exists()
    assert (tmp_path / "demo" / "zoho.db").exists()
    with sqlite3.connect(tmp_path / "demo" / "leadflow.db") as db:
        states = dict(db.execute("select state, count(*) from sync_outbox group by state").fetchall())
        people = db.execute("select count(*) from golden_people").fetchone()[0]
        synced = db.execute("select count(*) from sync_records where kind = 'person'").fetchone()[0]
    assert set(states) <= {"confirmed", "superseded"}
    assert synced == people
    outputs = [_demo(tmp_path) for _ in range(2)]
    assert all(run.returncode == 0 for run in outputs), [run.stderr for run in outputs]
    # Re-runs ingest nothing new; the last one writes nothing and says so.
    assert all("0 / " in run.stdout for run in outputs)
    assert "nothing changed since the last run" in outputs[-1].stdout
