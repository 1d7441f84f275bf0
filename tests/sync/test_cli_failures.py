"""``leadflow sync`` when Zoho cannot be reached: through the real CLI, against the emulator's process and
then its closed port (the OAuth token cached from the first run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from leadflow.store import open_store, runs, sync_outbox
from tests.sync import golden
from tests.sync.emulator import Emulator, env_for

SYNC = [sys.executable, "-m", "leadflow", "sync"]


def _sync(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(SYNC, env={**env, "COLUMNS": "200"}, capture_output=True, text=True, timeout=300)


def test_sync_with_zoho_unreachable_fails_loudly_and_the_next_run_is_not_called_a_crash(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'leadflow.db'}"
    engine = open_store(url)
    golden.populate(engine, 20, companies=2)
    emulator = Emulator(db=tmp_path / "zoho.db")
    port = emulator.port
    try:
        env = env_for(emulator, url)
        first = _sync(env)
        assert first.returncode == 0, first.stdout + first.stderr
        with engine.begin() as connection:
            golden.add_person(connection, id="gp_new_one", last_name="Newcomer", email="new@company0.example")
    finally:
        emulator.stop()

    down = _sync(env)  # connection refused on the API host; the access token is cached in the store
    assert down.returncode != 0, down.stdout
    errors = [line for line in down.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, down.stderr
    assert f"127.0.0.1:{port}" in errors[0]
    assert "connection refused" in errors[0]
    assert "Traceback" not in down.stderr
    assert "nothing changed" not in down.stdout
    with engine.connect() as connection:
        (run,) = runs.list_runs(connection, kind="sync", limit=1)
        states = sync_outbox.counts(connection, target="zoho")
    assert run["status"] == "failed"
    assert "connection refused" in run["error"]
    assert "in_flight" not in states  # the send never connected: back to pending, not "in flight"
    assert states.get("pending", 0) >= 1

    emulator = Emulator(db=tmp_path / "zoho.db", port=port)
    try:
        again = _sync(env)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "reconciled after a crash" not in again.stdout
        assert "Leads created" in again.stdout
        assert emulator.state()["records"]["Leads"] == 21
    finally:
        emulator.stop()
    with engine.connect() as connection:
        assert "pending" not in sync_outbox.counts(connection, target="zoho")
