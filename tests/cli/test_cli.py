from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

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


def test_log_flags_win_over_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "leadflow.toml").write_text('[logging]\nlevel = "error"\njson = false\n')
    quiet = run(["doctor"], tmp_path)
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert "settings loaded" not in quiet.stderr
    loud = run(["--log-level", "debug", "--log-json", "doctor"], tmp_path)
    assert loud.returncode == 0, loud.stdout + loud.stderr
    events = [json.loads(line) for line in loud.stderr.splitlines() if line.startswith("{")]
    assert {"event": "settings loaded", "level": "debug"}.items() <= events[0].items(), loud.stderr


def test_the_debug_log_never_shows_the_database_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://leadflow:pg-secret-pw@127.0.0.1:1/x"
    result = run(["--log-level", "debug", "doctor"], tmp_path, LEADFLOW_DATABASE_URL=url)
    assert "settings loaded" in result.stderr
    assert "pg-secret-pw" not in result.stdout + result.stderr


def test_log_level_must_be_a_level(tmp_path: Path) -> None:
    result = run(["--log-level", "loud", "doctor"], tmp_path)
    assert result.returncode == 2
    assert "'loud' is not one of debug, info, warning, error" in result.stderr


@pytest.mark.parametrize("named_by", ["--config", "LEADFLOW_CONFIG"])
def test_a_named_config_file_that_is_missing_is_an_error_naming_it(tmp_path: Path, named_by: str) -> None:
    if named_by == "--config":
        result = run(["--config", "missing.toml", "doctor"], tmp_path)
    else:
        result = run(["doctor"], tmp_path, LEADFLOW_CONFIG="missing.toml")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "config file missing.toml does not exist" in lines[0]
    assert named_by in lines[0]
    assert not (tmp_path / "leadflow.db").exists()


@pytest.mark.parametrize("command", [["doctor"], ["init"]])
def test_a_config_path_naming_a_directory_is_one_line_exit_2(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "conf").mkdir()
    result = run(["--config", "conf", *command], tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "conf is a directory" in lines[0]


def test_a_config_file_that_is_not_text_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "leadflow.toml").write_bytes(b"\xff\xfe\x00binary\x80")
    result = run(["doctor"], tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "leadflow.toml is not UTF-8 text" in result.stderr


def test_init_writes_the_file_named_by_config(tmp_path: Path) -> None:
    result = run(["--config", "team.toml", "init"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "team.toml").exists()
    assert run(["--config", "team.toml", "doctor"], tmp_path).returncode == 0


def test_doctor_changes_nothing_it_checks(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'state.db'}"
    result = run(["doctor"], tmp_path, LEADFLOW_DATABASE_URL=url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "does not exist yet" in result.stdout
    assert "leadflow doctor --migrate` creates it" in result.stdout
    assert "reachable" not in result.stdout
    assert not (tmp_path / "missing").exists()
    default = run(["doctor"], tmp_path)
    assert default.returncode == 0, default.stdout + default.stderr
    assert list(tmp_path.iterdir()) == []  # no leadflow.db in the working folder
    migrated = run(["doctor", "--migrate"], tmp_path, LEADFLOW_DATABASE_URL=url)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert (tmp_path / "missing" / "state.db").exists()
    assert "reachable" in migrated.stdout


def test_doctor_reads_an_existing_sqlite_store_without_writing_it(tmp_path: Path) -> None:
    store = tmp_path / "state.db"
    url = f"sqlite:///{store}"
    assert run(["doctor", "--migrate"], tmp_path, LEADFLOW_DATABASE_URL=url).returncode == 0
    for leftover in tmp_path.glob("state.db-*"):
        leftover.unlink()
    before = store.stat().st_mtime_ns, store.read_bytes()
    store.chmod(0o444)
    try:
        result = run(["doctor"], tmp_path, LEADFLOW_DATABASE_URL=url)
    finally:
        store.chmod(0o644)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "reachable: sqlite:///" in result.stdout
    assert (store.stat().st_mtime_ns, store.read_bytes()) == before


def _help_pages() -> list[list[str]]:
    from leadflow.cli.app import cli_command

    pages: list[list[str]] = []

    def walk(command: Any, path: list[str]) -> None:
        pages.append(path)
        for name, sub in (getattr(command, "commands", None) or {}).items():
            walk(sub, [*path, name])

    walk(cli_command(), [])
    return pages


def test_every_help_page_renders_its_text(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from leadflow.cli.app import cli_command

    monkeypatch.setenv("COLUMNS", "200")
    command = cli_command()
    pages = _help_pages()
    assert len(pages) > 15
    for path in pages:
        assert command.main([*path, "--help"], prog_name="leadflow", standalone_mode=False) in (0, None)
        output = capsys.readouterr().out
        assert "Usage: leadflow" in output, path
        assert "<bool>" not in output, path
        assert "`" not in output, path
        assert "default:  " not in output, path


def test_help_keeps_config_keys_in_brackets(tmp_path: Path) -> None:
    result = run(["auth", "zoho", "--help"], tmp_path)
    assert result.returncode == 0
    assert "(default: [zoho] client_id)" in result.stdout
    assert "<bool>" not in result.stdout
    assert "`" not in result.stdout


def test_hints_name_the_leadflow_the_user_ran(tmp_path: Path) -> None:
    # a project venv that is not activated: its bin folder is not on PATH, so the hint must say bin/leadflow
    script = tmp_path / "venv" / "bin" / "leadflow"
    script.parent.mkdir(parents=True)
    script.write_text(f"#!{sys.executable}\nfrom leadflow.cli.app import main\nmain()\n")
    script.chmod(0o755)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    environment["PYTHONPATH"] = str(Path(__file__).resolve().parents[2] / "src")
    environment["PATH"] = "/usr/bin:/bin"
    result = subprocess.run(
        ["venv/bin/leadflow", "init"], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "next: venv/bin/leadflow doctor" in result.stdout
    follow = subprocess.run(
        ["bash", "-c", "venv/bin/leadflow doctor"], cwd=tmp_path, env=environment, capture_output=True, text=True
    )
    assert follow.returncode == 0, follow.stderr
