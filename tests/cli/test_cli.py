from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

LEADFLOW = [sys.executable, "-m", "leadflow"]


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    environment["PYTHONPATH"] = str(Path(__file__).resolve().parents[2] / "src")
    environment["COLUMNS"] = "200"
    environment.update(env)
    return subprocess.run([*LEADFLOW, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120)


def test_version(tmp_path: Path) -> None:
    result = run(["--version"], tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("leadflow ")


def test_init_then_doctor_is_healthy(tmp_path: Path) -> None:
    assert run(["init"], tmp_path).returncode == 0
    assert (tmp_path / "leadflow.toml").exists()
    result = run(["doctor"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "healthy" in result.stdout


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    run(["init"], tmp_path)
    result = run(["init"], tmp_path)
    assert result.returncode == 2
    assert "already exists" in result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("unknown_key = 1\n", "unknown_key: unknown key"),
        ('[zoho]\nconcurrency = "ten"\n', "[zoho] concurrency"),
        ('database_url = "oracle://scott@db/x"\n', "unsupported database 'oracle'"),
    ],
)
def test_broken_config_is_one_line_exit_2(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "leadflow.toml").write_text(text)
    result = run(["doctor"], tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "leadflow.toml" in lines[0]
    assert expected in lines[0]


def test_doctor_reports_unreachable_database(tmp_path: Path) -> None:
    (tmp_path / "leadflow.toml").write_text('database_url = "postgresql+psycopg://nobody@127.0.0.1:1/x"\n')
    result = run(["doctor"], tmp_path)
    assert result.returncode == 1
    assert "cannot reach the database" in result.stdout


def test_doctor_sees_the_connection_saved_by_auth_zoho(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    from leadflow.store import open_store
    from leadflow.store.zoho import save_connection
    from leadflow.zoho.secrets import SecretBox

    key = Fernet.generate_key().decode()
    box = SecretBox(key)
    url = f"sqlite:///{tmp_path / 'state.db'}"
    with open_store(url).begin() as connection:
        save_connection(
            connection,
            data_centre="eu",
            accounts_url="https://accounts.zoho.eu",
            api_domain="https://www.zohoapis.eu",
            client_id="1000.SAVED",
            client_secret_encrypted=box.encrypt("secret"),
            refresh_token_encrypted=box.encrypt("1000.refresh"),
            scopes=["ZohoCRM.modules.ALL"],
        )
    without_key = run(["doctor"], tmp_path, LEADFLOW_DATABASE_URL=url)
    assert without_key.returncode == 0, without_key.stdout + without_key.stderr
    assert "set LEADFLOW_SECRET_KEY" in without_key.stdout
    connected = run(["doctor"], tmp_path, LEADFLOW_DATABASE_URL=url, LEADFLOW_SECRET_KEY=key)
    assert connected.returncode == 0, connected.stdout + connected.stderr
    assert "connection saved by `leadflow auth zoho` (client 1000.SAVED, data centre eu)" in connected.stdout
    assert "not connected yet" not in connected.stdout


def test_doctor_migrate_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    result = run(["doctor", "--migrate"], tmp_path, LEADFLOW_DATABASE_URL=postgres_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "at 0001" in result.stdout or "at " in result.stdout


def test_secrets_from_env_never_printed(tmp_path: Path) -> None:
    result = run(
        ["doctor"],
        tmp_path,
        LEADFLOW_ZOHO_CLIENT_SECRET="very-secret-client",
        LEADFLOW_ZOHO_REFRESH_TOKEN="1000.very.secret",
        LEADFLOW_ZOHO_CLIENT_ID="client",
    )
    assert "very-secret" not in result.stdout + result.stderr


def test_commands_not_built_are_not_listed(tmp_path: Path) -> None:
    result = run(["--help"], tmp_path)
    assert result.returncode == 0
    for command in ("init", "doctor", "demo"):
        assert command in result.stdout
