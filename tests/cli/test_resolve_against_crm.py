"""``leadflow resolve --against-crm`` brings the CRM mirror up to date itself, or refuses in one line (issue 17)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.test_loud_failures import assert_one_line_error, write_apollo
from tests.sync.emulator import Emulator, env_for, free_port, src_env


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    running = Emulator()
    try:
        yield running
    finally:
        running.stop()


def leadflow(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadflow", *args],
        cwd=cwd,
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=180,
    )


def seed_leads(emulator: Emulator, emails: list[str]) -> None:
    lines = [
        json.dumps({"module": "Leads", "record": {"First_Name": "Ann", "Last_Name": f"Lee{i % 97}",
                                                  "Company": f"Acme {i % 50}", "Email": email}})
        for i, email in ((int(e[1:].split("@")[0]), e) for e in emails)
    ]  # fmt: skip
    response = emulator.http.post("/_emulator/seed", content="\n".join(lines))
    response.raise_for_status()


def crm_matched(stdout: str) -> int:
    line = next(line for line in stdout.splitlines() if "crm matched" in line)
    return int(line.split("│")[2].strip().replace(",", ""))


def test_against_crm_with_an_empty_mirror_reads_zoho_first_and_matches(tmp_path: Path, emulator: Emulator) -> None:
    write_apollo(tmp_path / "a.csv", 40)
    held = [f"p{i}@acme{i % 50}.io" for i in range(0, 40, 4)]  # 10 people Zoho already holds
    seed_leads(emulator, held)
    env = env_for(emulator, f"sqlite:///{tmp_path / 'leadflow.db'}")
    assert leadflow(["ingest", "a.csv"], tmp_path, env).returncode == 0

    result = leadflow(["resolve", "--against-crm"], tmp_path, env)  # no `leadflow mirror` before
    assert result.returncode == 0, result.stderr
    assert "CRM mirror up to date (read from Zoho: 10 Leads" in result.stdout
    assert crm_matched(result.stdout) == len(held)
    with sqlite3.connect(tmp_path / "leadflow.db") as db:
        assert db.execute("select count(*) from crm_records where module = 'Leads'").fetchone() == (10,)
        linked = db.execute("select count(*) from golden_people where crm_id is not null").fetchone()
    assert linked == (10,)

    seed_leads(emulator, ["p1@acme1.io"])  # a record added in Zoho since: the next resolve reads only changes
    again = leadflow(["resolve", "--against-crm"], tmp_path, env)
    assert again.returncode == 0, again.stderr
    assert crm_matched(again.stdout) == len(held) + 1


def test_against_crm_refuses_in_one_line_when_zoho_is_unreachable_or_not_configured(tmp_path: Path) -> None:
    write_apollo(tmp_path / "a.csv", 5)
    database = f"sqlite:///{tmp_path / 'leadflow.db'}"
    closed = f"http://127.0.0.1:{free_port()}"
    env = {
        **src_env(),
        "LEADFLOW_DATABASE_URL": database,
        "LEADFLOW_ZOHO_API_BASE_URL": closed,
        "LEADFLOW_ZOHO_ACCOUNTS_URL": closed,
        "LEADFLOW_ZOHO_CLIENT_ID": "1000.X",
        "LEADFLOW_ZOHO_CLIENT_SECRET": "s",
        "LEADFLOW_ZOHO_REFRESH_TOKEN": "r",
    }
    assert leadflow(["ingest", "a.csv"], tmp_path, env).returncode == 0

    line = assert_one_line_error(leadflow(["resolve", "--against-crm"], tmp_path, env), exit_code=1)
    assert "CRM mirror could not be brought up to date" in line

    unconfigured = {**src_env(), "LEADFLOW_DATABASE_URL": database}
    line = assert_one_line_error(leadflow(["resolve", "--against-crm"], tmp_path, unconfigured))
    assert "CRM mirror could not be brought up to date" in line
    assert "client_id" in line
    with sqlite3.connect(tmp_path / "leadflow.db") as db:
        assert db.execute("select count(*) from runs where kind = 'resolve'").fetchone() == (0,)
        assert db.execute("select count(*) from golden_people").fetchone() == (0,)
