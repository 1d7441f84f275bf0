"""What ``leadflow zoho ...`` says when Zoho refuses a request, through the real CLI against the emulator over
a real socket: one plain line about what the user typed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from leadflow_emulators.zoho.app import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN
from tests.zoho.conftest import LiveServer

REPO = Path(__file__).resolve().parents[2]


def leadflow(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    environment["PYTHONPATH"] = str(REPO / "src")
    environment["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "leadflow", *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def workdir(tmp_path: Path, live: LiveServer) -> Path:
    (tmp_path / "leadflow.toml").write_text(
        f'database_url = "sqlite:///{tmp_path / "state.db"}"\n'
        "[zoho]\n"
        f'client_id = "{DEFAULT_CLIENT_ID}"\nclient_secret = "{DEFAULT_CLIENT_SECRET}"\n'
        f'refresh_token = "{DEFAULT_REFRESH_TOKEN}"\naccounts_url = "{live.url}"\napi_base_url = "{live.url}"\n'
    )
    return tmp_path


def only_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Zoho counts in the text sent, which has "order by id asc limit 2000 offset 0" appended.
        ("select Email from Leads where", "COQL syntax error at the end of the query: it is incomplete after 'where'"),
        ("select Email from Leads whre Email is not null", "COQL syntax error near 'whre' at column 25 of the query"),
        (
            "  select Email\nfrom Leads\nwhere Email == 'x'",
            "COQL syntax error near '=' at line 3, column 14 of the query",
        ),
    ],
)
def test_a_coql_syntax_error_points_at_what_the_user_typed(workdir: Path, query: str, expected: str) -> None:
    result = leadflow(workdir, "zoho", "coql", query)
    assert result.returncode == 1
    line = only_line(result)
    assert line == f"error: {expected} (code SYNTAX_ERROR, HTTP 400)"
    assert "order" not in line
    assert "{" not in line


def test_fields_of_an_unknown_module_names_the_modules_there_are(workdir: Path) -> None:
    result = leadflow(workdir, "zoho", "fields", "Nope")
    assert result.returncode == 2
    line = only_line(result)
    assert line.startswith("error: Zoho has no module 'Nope' in this org (API names are case-sensitive); its modules")
    assert "Leads" in line
    assert "Contacts" in line
    assert "leadflow zoho fields" not in line
    assert "{" not in line
    assert "resource_path_index" not in line
