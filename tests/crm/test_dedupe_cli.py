"""``leadflow crm dedupe`` as a user runs it, against the Zoho emulator as its own process: a dry run that
changes nothing, a plan file applied exactly, and an apply SIGKILLed at random points mid-merge that resumes
without merging anything twice (asserted on the emulator's own counts)."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert

from leadflow.store import open_store, record_merges
from leadflow.store.runs import utcnow
from leadflow.store.schema import crm_cluster_members, golden_people
from leadflow.zoho.client import ZohoClient
from tests.sync.emulator import Emulator, env_for, settings_for

PEOPLE = 6
ID_BASE = 5725767000099100000


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    running = Emulator()
    try:
        yield running
    finally:
        running.stop()


def _seed(emulator: Emulator, url: str) -> dict[str, list[str]]:
    """PEOPLE golden people, each held by two Contacts (the first a year older) and a Note on the younger."""
    lines, clusters = [], {}
    for n in range(PEOPLE):
        old, new = str(ID_BASE + 2 * n), str(ID_BASE + 2 * n + 1)
        email = f"person{n}@example.org"
        lines.append(
            {
                "module": "Contacts",
                "record": {"id": old, "Last_Name": f"P{n}", "Created_Time": "2025-01-01T09:00:00+00:00"},
            }
        )
        lines.append(
            {
                "module": "Contacts",
                "record": {
                    "id": new,
                    "Last_Name": f"P{n}",
                    "Email": email,
                    "Created_Time": "2026-01-01T09:00:00+00:00",
                },
            }
        )
        lines.append(
            {
                "module": "Notes",
                "record": {"Note_Content": f"note {n}", "Parent_Id": {"module": {"api_name": "Contacts"}, "id": new}},
            }
        )
        clusters[f"gp_{n:016x}"] = [old, new]
    reply = emulator.http.post("/_emulator/seed", content="\n".join(json.dumps(line) for line in lines))
    assert reply.status_code == 200, reply.text
    assert not reply.json()["errors"], reply.text
    engine = open_store(url)
    with engine.begin() as connection:
        for golden_id, (old, new) in clusters.items():
            connection.execute(
                insert(golden_people).values(
                    id=golden_id,
                    emails=[],
                    provenance={},
                    updated_at=utcnow(),
                    email=f"person{int(golden_id[3:], 16)}@example.org",
                )
            )
            for crm_id in (old, new):
                connection.execute(
                    insert(crm_cluster_members).values(
                        crm_module="Contacts", crm_id=crm_id, golden_person_id=golden_id, match_reason="email"
                    )
                )
    engine.dispose()
    return clusters


def _leadflow(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadflow", *args], cwd=cwd, env={**env, "COLUMNS": "200"},
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def _merged(emulator: Emulator) -> int:
    return int(emulator.state()["operations"].get("Contacts", {}).get("merged", 0))


def test_dry_run_then_the_plan_file_applied(emulator: Emulator, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'leadflow.db'}"
    clusters = _seed(emulator, url)
    env = env_for(emulator, url)
    records = emulator.state()["records"]

    dry = _leadflow(["crm", "dedupe", "--plan", str(tmp_path / "merges.jsonl")], env, tmp_path)

    assert dry.returncode == 0, dry.stderr
    assert "Contacts merges" in dry.stdout
    assert "dry run: nothing was merged" in dry.stdout
    assert emulator.state()["records"] == records
    assert _merged(emulator) == 0

    applied = _leadflow(["crm", "dedupe", "--plan", str(tmp_path / "merges.jsonl"), "--apply"], env, tmp_path)

    assert applied.returncode == 0, applied.stderr + applied.stdout
    assert "Contacts merged" in applied.stdout
    assert _merged(emulator) == PEOPLE
    assert emulator.state()["records"]["Contacts"] == PEOPLE
    engine = open_store(url)
    with ZohoClient.from_settings(settings_for(emulator, url), engine) as zoho:
        for n, (old, new) in enumerate(clusters.values()):  # the older Contact is the master and holds the note
            assert zoho.contacts.get(new) is None
            notes = zoho.api.call("GET", zoho.api.crm_url(f"Contacts/{old}/Notes")).data()
            assert [note["Note_Content"] for note in notes] == [f"note {n}"]
    engine.dispose()

    again = _leadflow(["crm", "dedupe", "--plan", str(tmp_path / "merges.jsonl"), "--apply"], env, tmp_path)
    assert again.returncode == 0
    assert _merged(emulator) == PEOPLE

    broken = tmp_path / "broken.jsonl"
    broken.write_text("not json\n")
    refused = _leadflow(["crm", "dedupe", "--plan", str(broken), "--apply"], env, tmp_path)
    assert refused.returncode != 0
    assert "not a leadflow merge plan line" in refused.stderr + refused.stdout


def _in_flight(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as connection:
            return int(connection.execute("select count(*) from record_merges where state = 'in_flight'").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet, or locked for a moment
        return 0


def _kill_when_in_flight(process: subprocess.Popen[str], db: Path, rng: random.Random) -> bool:
    """SIGKILL ``process`` a moment after a merge is marked in flight (sent, answer not yet in); False when it
    finished first."""
    while process.poll() is None:
        if _in_flight(db):
            time.sleep(rng.uniform(0.0, 0.3))
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.02)
    return False


@pytest.mark.slow
def test_sigkilled_applies_resume_without_merging_twice(emulator: Emulator, tmp_path: Path) -> None:
    db = tmp_path / "leadflow.db"
    url = f"sqlite:///{db}"
    _seed(emulator, url)
    env = env_for(emulator, url)
    emulator.faults(latency_ms=400)  # every call takes a while, so the kill lands while a merge is under way
    rng = random.Random(20261205)
    kills = 0
    for _ in range(20):
        process = subprocess.Popen(
            [sys.executable, "-m", "leadflow", "crm", "dedupe", "--apply"], cwd=tmp_path, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        if kills < 3 and _kill_when_in_flight(process, db, rng):
            kills += 1
            assert process.stdout is not None
            process.stdout.close()
            continue
        process.wait(timeout=300)
        output = process.stdout.read() if process.stdout else ""
        if process.stdout:
            process.stdout.close()
        engine = open_store(url)
        with engine.connect() as connection:
            states = record_merges.counts(connection, target="zoho")
        engine.dispose()
        if process.returncode == 0 and set(states) == {"confirmed"}:
            break
    else:
        pytest.fail(f"dedupe never finished: {states}\n{output[-2000:]}")
    assert kills == 3  # each one while a merge was in flight
    assert _merged(emulator) == PEOPLE  # every person merged once, none twice
    assert emulator.state()["records"]["Contacts"] == PEOPLE
    assert states == {"confirmed": PEOPLE}
