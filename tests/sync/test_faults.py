"""Exactly once under faults: SIGKILLed and resumed syncs against a faulty emulator, and two syncs at once.

Both the sync (``python -m leadflow sync``) and the emulator (``python -m leadflow_emulators zoho``) run as
processes of their own, as a user would run them.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from leadflow.pipeline.sync import plan_sync
from leadflow.store import open_store, sync_ledger
from leadflow.sync.mapping import comparable
from tests.sync import golden
from tests.sync.emulator import Emulator, env_for, settings_for
from tests.sync.kill_loop import KillLoop, kill_and_resume
from tests.sync.test_sync_emulator import remote

SYNC = [sys.executable, "-m", "leadflow", "sync", "--wait", "60"]
PEOPLE = 5_000
COMPANIES = 500
KILLS = 20


def _faulty(emulator: Emulator) -> None:
    emulator.faults(error_rate=0.1, burst_429=2, drop_after_commit=2, error_after_commit=1, path_prefix="/crm")


@pytest.mark.slow
def test_sigkilled_syncs_under_faults_end_with_exactly_one_record_each(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'leadflow.db'}"
    engine = open_store(url)
    golden.populate(engine, PEOPLE, companies=COMPANIES)
    emulator = Emulator(db=tmp_path / "zoho.db")
    try:
        settings = settings_for(emulator, url)
        plan = plan_sync(settings, engine)
        people = {op.golden_id: op.desired for op in plan.operations if op.kind == "person"}
        accounts = {op.golden_id: op.desired for op in plan.operations if op.kind == "account"}
        tags = {op.golden_id: op.desired["tags"] for op in plan.operations if op.kind == "tags"}
        loop = KillLoop(
            SYNC,
            env_for(emulator, url),
            kills=KILLS,
            seed=20261126,
            delay=(1.0, 5.0),
            final_timeout=600,
            max_finished=25,
        )
        kill_and_resume(
            loop, before_each=lambda: _faulty(emulator), done=lambda: not plan_sync(settings, engine).operations
        )
        state = emulator.state()
        emulator.clear_faults()
        with engine.connect() as connection:
            reconciled = connection.execute(
                sa.text("select count(*) from sync_log where response like '%reconciled%'")
            ).scalar_one()
        # The faults really hit: answers were lost, and writes were confirmed by look-up, not sent twice.
        assert state["faults"]["dropped"] > 0
        assert state["faults"]["errors_injected"] > 0
        assert reconciled > 0
        assert state["records"]["Leads"] == PEOPLE
        assert state["records"]["Accounts"] == COMPANIES
        assert state["operations"]["Leads"]["created"] == PEOPLE  # never a second create for one golden record
        assert state["operations"]["Accounts"]["created"] == COMPANIES
        _assert_records(settings, engine, "Leads", people, tags)
        _assert_records(settings, engine, "Accounts", accounts, None)
        with engine.connect() as connection:
            counts = sync_ledger.outbox_counts(connection, target="zoho")
        assert counts.get("in_flight", 0) == 0
        assert counts.get("pending", 0) == 0
        assert counts.get("failed", 0) == 0
    finally:
        emulator.stop()


def _assert_records(
    settings: Any,
    engine: sa.Engine,
    module: str,
    expected: dict[str, dict[str, Any]],
    tags: dict[str, list[str]] | None,
) -> None:
    fields = sorted({name for values in expected.values() for name in values if name != "Leadflow_ID"})
    found = remote(settings, engine, module, [*fields, "Tag"])  # raises on two records with one Leadflow_ID
    assert set(found) == set(expected)
    for golden_id, values in expected.items():
        record = found[golden_id]
        for name, value in values.items():
            assert comparable(record.get(name)) == comparable(value), (golden_id, name, record.get(name), value)
        if tags is not None:
            assert sorted(t["name"] for t in record.get("Tag") or []) == tags.get(golden_id, [])


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_syncs_started_at_once_never_write_a_record_twice(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'leadflow.db'}"
        if database == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    engine = open_store(url)
    golden.populate(engine, 1_000, companies=100)
    emulator = Emulator()
    try:
        env = env_for(emulator, url)
        processes = [
            subprocess.Popen(SYNC, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for _ in range(2)
        ]
        outputs = [process.communicate(timeout=300)[0] for process in processes]
        assert [p.returncode for p in processes] == [0, 0], outputs
        state = emulator.state()
        assert state["records"]["Leads"] == 1_000
        assert state["operations"]["Leads"] == {"created": 1_000, "tags_added": 1_000}
        assert state["operations"]["Accounts"] == {"created": 100}
        with engine.connect() as connection:
            runs = connection.execute(sa.text("select counters from runs where kind = 'sync' order by id")).all()
        calls = sorted(int(_counters(row[0]).get("calls", 0)) for row in runs)
        assert calls[0] == 0 < calls[1]  # the second waited for the lock, then found nothing to do
        assert any("nothing changed" in output for output in outputs)
    finally:
        emulator.stop()
        engine.dispose()


def _counters(value: Any) -> dict[str, Any]:
    import json

    return dict(json.loads(value) if isinstance(value, str) else value)


def test_runs_and_sync_map_commands(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'leadflow.db'}"
    engine = open_store(url)
    golden.populate(engine, 30, companies=3)
    emulator = Emulator()
    try:
        env = env_for(emulator, url)

        def leadflow(*args: str) -> subprocess.CompletedProcess[str]:
            env["COLUMNS"] = "200"
            return subprocess.run(
                [sys.executable, "-m", "leadflow", *args], env=env, capture_output=True, text=True, timeout=120
            )

        planned = leadflow("plan", "--out", str(tmp_path / "plan.jsonl"))
        assert planned.returncode == 0, planned.stderr
        assert "Leads create" in planned.stdout
        assert (tmp_path / "plan.jsonl").exists()
        assert leadflow("sync", "--dry-run").returncode == 0
        assert emulator.state()["credits"]["used"] == 0
        synced = leadflow("sync", "--plan", str(tmp_path / "plan.jsonl"))
        assert synced.returncode == 0, synced.stdout + synced.stderr
        again = leadflow("sync")
        assert "nothing changed" in again.stdout
        listed = leadflow("runs", "list")
        assert "succeeded" in listed.stdout
        shown = leadflow("runs", "show", "1")
        assert "Leads" in shown.stdout
        assert "created" in shown.stdout
        mirrored = leadflow("mirror")
        assert mirrored.returncode == 0, mirrored.stderr
        assert "30 Leads" in mirrored.stdout
        assert "3 Accounts" in mirrored.stdout
        with engine.connect() as connection:
            ids = connection.execute(sa.text("select count(*) from crm_records where fields like '%Leadflow_ID%'"))
            assert ids.scalar_one() == 33
        out = tmp_path / "map.csv"
        assert leadflow("export", "sync-map", "--out", str(out)).returncode == 0
        lines = out.read_text().splitlines()
        assert lines[0] == "golden_id,target,module,remote_id"
        assert len(lines) == 1 + 30 + 3
        assert {line.split(",")[2] for line in lines[1:]} == {"Leads", "Accounts"}
        missing = leadflow("runs", "show", "999")
        assert missing.returncode == 2
    finally:
        emulator.stop()
        time.sleep(0)
