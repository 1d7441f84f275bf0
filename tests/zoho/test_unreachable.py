"""Zoho unreachable, through the real CLI and a closed port: one line naming the server, the cause and the
setting to check; nothing booked as a call or a credit for requests that never went out."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def leadflow(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    environment["PYTHONPATH"] = str(REPO / "src")
    environment["COLUMNS"] = "200"
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "leadflow", *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120
    )


def booked_credits(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as connection:
        row = connection.execute(
            "select coalesce(sum(credits), 0), coalesce(sum(calls), 0) from zoho_credit_ledger"
        ).fetchone()
    return int(row[0]), int(row[1])


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def test_an_unreachable_accounts_server_is_named_with_what_to_check(tmp_path: Path) -> None:
    port = closed_port()
    (tmp_path / "leadflow.toml").write_text(
        f'database_url = "sqlite:///{tmp_path / "state.db"}"\n'
        "[zoho]\n"
        'client_id = "1000.CLIENT"\nclient_secret = "secret"\nrefresh_token = "1000.refresh"\n'
        f'accounts_url = "http://127.0.0.1:{port}"\n'
    )
    result = leadflow(tmp_path, "zoho", "whoami")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert error_lines(result) == [
        f"error: cannot reach Zoho's accounts server at http://127.0.0.1:{port} (connection refused):"
        " check [zoho] accounts_url / data_centre and the network"
    ]
    assert booked_credits(tmp_path / "state.db") == (0, 0)


def test_an_unreachable_api_host_is_named_and_costs_no_credit(tmp_path: Path) -> None:
    port = closed_port()
    (tmp_path / "leadflow.toml").write_text(
        f'database_url = "sqlite:///{tmp_path / "state.db"}"\n'
        f'[zoho]\nauth = "token"\napi_base_url = "http://127.0.0.1:{port}"\n'
    )
    result = leadflow(tmp_path, "zoho", "coql", "select Email from Leads", LEADFLOW_ZOHO_ACCESS_TOKEN="1000.token")
    assert result.returncode == 1, result.stdout + result.stderr
    assert error_lines(result) == [
        f"error: cannot reach Zoho's API server at http://127.0.0.1:{port} (connection refused):"
        " check [zoho] api_base_url / data_centre and the network"
    ]
    assert booked_credits(tmp_path / "state.db") == (0, 0)
