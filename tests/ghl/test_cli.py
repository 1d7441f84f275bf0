"""``leadflow ghl ...`` and ``leadflow auth ghl`` through the real CLI against the GHL emulator over a socket."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from leadflow_emulators.ghl.models.backend import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_LOCATION_ID,
    DEFAULT_TOKEN,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ghl_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    db = tmp_path_factory.mktemp("ghl") / "ghl.db"
    command = [sys.executable, "-m", "leadflow_emulators", "ghl", "--port", "0", "--db", str(db)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        base = process.stdout.readline().split(" on ", 1)[1].split()[0]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/_emulator/state", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=20)


def _cli(tmp_path: Path, base: str, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    env.update(
        {
            "PYTHONPATH": str(REPO / "src"),
            "COLUMNS": "200",
            "LEADFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'leadflow.db'}",
            "LEADFLOW_GHL_API_BASE_URL": base,
            "LEADFLOW_GHL_LOCATION_ID": DEFAULT_LOCATION_ID,
            "LEADFLOW_GHL_TOKEN": DEFAULT_TOKEN,
            **extra,
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "leadflow", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


def test_whoami_fields_and_search(tmp_path: Path, ghl_server: str) -> None:
    httpx.post(
        f"{ghl_server}/contacts/upsert",
        json={"locationId": DEFAULT_LOCATION_ID, "email": "ada@example.com", "firstName": "Ada", "tags": ["lf-hot"]},
        headers={"Authorization": f"Bearer {DEFAULT_TOKEN}", "Version": "2021-07-28"},
    ).raise_for_status()
    whoami = _cli(tmp_path, ghl_server, "ghl", "whoami")
    assert whoami.returncode == 0, whoami.stderr
    assert DEFAULT_LOCATION_ID in whoami.stdout
    assert "contacts refused" in whoami.stdout
    assert "GHL says" in whoami.stdout
    fields = _cli(tmp_path, ghl_server, "ghl", "fields")
    assert fields.returncode == 0, fields.stderr
    found = _cli(tmp_path, ghl_server, "ghl", "contacts", "search", "--tag", "lf-hot")
    assert found.returncode == 0, found.stderr
    assert "ada@example.com" in found.stdout
    assert "1 shown" in found.stdout


def test_bad_token_is_one_line_and_non_zero(tmp_path: Path, ghl_server: str) -> None:
    result = _cli(tmp_path, ghl_server, "ghl", "whoami", LEADFLOW_GHL_TOKEN="pit-00000000-0000-4000-8000-000000000000")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr


def test_auth_ghl_with_a_code_saves_tokens_that_work(tmp_path: Path, ghl_server: str) -> None:
    code = httpx.post(f"{ghl_server}/_emulator/oauth/codes", json={"client_id": DEFAULT_CLIENT_ID}).json()["code"]
    oauth = {
        "LEADFLOW_GHL_AUTH": "oauth",
        "LEADFLOW_GHL_CLIENT_ID": DEFAULT_CLIENT_ID,
        "LEADFLOW_GHL_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        "LEADFLOW_SECRET_KEY": Fernet.generate_key().decode(),
    }
    connected = _cli(tmp_path, ghl_server, "auth", "ghl", "--code", code, **oauth)
    assert connected.returncode == 0, connected.stderr
    assert f"location {DEFAULT_LOCATION_ID}" in connected.stdout
    whoami = _cli(tmp_path, ghl_server, "ghl", "whoami", **oauth)
    assert whoami.returncode == 0, whoami.stderr
    assert "auth         oauth" in whoami.stdout
    reused = _cli(tmp_path, ghl_server, "auth", "ghl", "--code", code, **oauth)  # a code works once
    assert reused.returncode != 0
    assert "GoHighLevel refused the token request" in reused.stderr


def test_sync_to_ghl_through_the_cli_then_nothing_to_do(tmp_path: Path, ghl_server: str) -> None:
    import sqlalchemy as sa

    from leadflow.store import open_store
    from tests.sync import golden

    engine = open_store(f"sqlite:///{tmp_path / 'leadflow.db'}")
    people = golden.populate(engine, 30, companies=3)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "insert into record_tags (golden_person_id, target, desired, applied, custom_fields, updated_at)"
                " select golden_person_id, 'ghl', desired, '[]', custom_fields, updated_at from record_tags"
            )
        )
    engine.dispose()
    planned = _cli(tmp_path, ghl_server, "plan", "--target", "ghl", "--out", str(tmp_path / "ghl-plan.jsonl"))
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "for ghl" in planned.stdout
    assert re.search(r"contacts create\W+30", planned.stdout), planned.stdout
    first = _cli(tmp_path, ghl_server, "sync", "--plan", str(tmp_path / "ghl-plan.jsonl"))  # exactly that plan
    assert first.returncode == 0, first.stdout + first.stderr
    assert "to ghl" in first.stdout
    assert re.search(r"contacts created\W+30", first.stdout), first.stdout
    again = _cli(tmp_path, ghl_server, "sync", "--target", "ghl")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "contacts created" not in again.stdout
    listed = _cli(tmp_path, ghl_server, "export", "sync-map", "--target", "ghl", "--out", str(tmp_path / "map.csv"))
    assert listed.returncode == 0, listed.stderr
    rows = (tmp_path / "map.csv").read_text().splitlines()
    assert len(rows) == 1 + len(people)
    assert all(",ghl," in row for row in rows[1:])
    wrong = _cli(tmp_path, ghl_server, "sync", "--target", "nope")
    assert wrong.returncode == 2
    assert "use zoho, ghl or all" in wrong.stderr
    unconfigured = _cli(tmp_path, ghl_server, "sync", "--target", "ghl", LEADFLOW_GHL_LOCATION_ID="")
    assert unconfigured.returncode == 2
    assert "names no location" in unconfigured.stderr
