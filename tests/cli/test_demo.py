from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    env["PYTHONPATH"] = str(REPO / "src")
    env["COLUMNS"] = "200"
    return env


def _demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadflow", "demo", "--workdir", "demo", *args],
        cwd=tmp_path,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_demo_runs_end_to_end_then_finds_nothing_to_change(tmp_path: Path) -> None:
    # The default size (1,000 people): the sample data that once made the second run update a Contact.
    first = _demo(tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Zoho Leads created" in first.stdout
    assert "people matched to Zoho records" in first.stdout
    assert "a naive one-call-per-record sync" in first.stdout
    assert (tmp_path / "demo" / "leadflow.db").exists()
    # numbers carry thousands separators; golden people and credits are explained once
    assert re.search(r"scored / suppressed\W+\d{1,3},\d{3} / \d", first.stdout), first.stdout
    assert first.stdout.count("golden people: one record per real person") == 1
    assert first.stdout.count("credits: Zoho's API allowance") == 1
    assert (tmp_path / "demo" / "zoho.db").exists()
    assert (tmp_path / "demo" / "ghl.db").exists()
    # it ends with the HTML report (self-contained: no script, nothing fetched) and the funnel on the terminal
    report = (tmp_path / "demo" / "report.html").read_text(encoding="utf-8")
    assert 'data-report="funnel"' in report
    assert "<script" not in report
    assert f"HTML report (opens offline): {(tmp_path / 'demo' / 'report.html').resolve()}" in first.stdout
    assert re.search(r"Unique people\W+[\d,]+\W+", first.stdout), first.stdout
    assert re.search(r"GHL contacts created\W+\d", first.stdout), first.stdout
    assert re.search(r"GHL now holds\W+[\d,]+ contacts, [1-9]\d* enrolled", first.stdout), first.stdout
    with sqlite3.connect(tmp_path / "demo" / "leadflow.db") as db:
        states = dict(
            db.execute("select state, count(*) from sync_outbox where target = 'zoho' group by state").fetchall()
        )
        ghl_states = dict(
            db.execute("select state, count(*) from sync_outbox where target = 'ghl' group by state").fetchall()
        )
        people = db.execute("select count(*) from golden_people").fetchone()[0]
        synced = db.execute("select count(*) from sync_records where kind = 'person' and target = 'zoho'").fetchone()[0]
        in_ghl = db.execute("select count(*) from sync_records where kind = 'person' and target = 'ghl'").fetchone()[0]
        outbox_after_first = db.execute("select count(*) from sync_outbox").fetchone()[0]
    assert set(states) <= {"confirmed", "superseded"}
    assert synced == people
    # people with neither an e-mail nor a phone cannot be GHL contacts: planned as invalid, never sent
    assert set(ghl_states) <= {"confirmed", "superseded", "invalid"}
    assert in_ghl == people - ghl_states.get("invalid", 0)
    # The very next run ingests nothing new, plans no operation, makes no call to Zoho, and says so.
    second = _demo(tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert re.search(r"new / already ingested before\W+0 / ", second.stdout)
    assert re.search(r"API calls / credits for the sync\W+0 / 0", second.stdout)
    assert re.search(r"GHL requests for the sync\W+0 ", second.stdout)
    assert not re.search(r"Zoho (Leads|Contacts|Accounts) (created|updated|tags)", second.stdout)
    assert "nothing changed since the last run" in second.stdout
    with sqlite3.connect(tmp_path / "demo" / "leadflow.db") as db:
        assert db.execute("select count(*) from sync_outbox").fetchone()[0] == outbox_after_first
    # the closing hint works as printed, pasted into a shell in the same folder
    hint = re.search(r"\(e\.g\. (LEADFLOW_DATABASE_URL=\S+ .+ runs list)\)", second.stdout)
    assert hint is not None, second.stdout
    listed = subprocess.run(
        ["bash", "-c", hint.group(1)], cwd=tmp_path, env=_environment(), capture_output=True, text=True, timeout=120
    )
    assert listed.returncode == 0, hint.group(1) + listed.stderr
    assert "succeeded" in listed.stdout


def test_fresh_never_deletes_files_the_demo_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = subprocess.run(
        [sys.executable, "-m", "leadflow", "demo", "--workdir", ".", "--fresh"],
        cwd=tmp_path,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "--fresh would delete ., which holds files the demo did not write (precious.txt)" in result.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_a_workdir_that_is_a_file_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "demo").write_text("")
    result = _demo(tmp_path)
    assert result.returncode == 2
    assert [line for line in result.stderr.splitlines() if line.strip()] == [
        "error: --workdir demo is a file, not a folder"
    ]
