"""``leadflow track reconcile`` as a user runs it: against the GHL emulator over a socket, twice (the second
run finds nothing new), and the clear errors for a bad ``--since`` and for nothing configured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from leadflow_emulators.ghl.models.backend import DEFAULT_LOCATION_ID, DEFAULT_TOKEN
from tests.ghl.conftest import Emulator, make_client
from tests.zoho.conftest import serve

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _leadflow(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    environment.update(PYTHONPATH=SRC, COLUMNS="300", LEADFLOW_DATABASE_URL=f"sqlite:///{cwd / 'leadflow.db'}", **env)
    return subprocess.run(
        [sys.executable, "-m", "leadflow", *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120
    )


def test_reconcile_from_the_command_line(tmp_path: Path, emulator: Emulator) -> None:
    live = serve(emulator.app)
    try:
        ghl = make_client(emulator, tmp_path / "client")
        contact = ghl.contacts.create({"firstName": "Ada", "email": "ada@example.com"})
        ghl.conversations.send(contact["id"], "Email", subject="Hello", html="<p>Hi</p>")
        emulator.control("POST", "engagement", {"kind": "reply", "contactId": contact["id"]})
        env = {
            "LEADFLOW_GHL_API_BASE_URL": live.url,
            "LEADFLOW_GHL_AUTH": "pit",
            "LEADFLOW_GHL_TOKEN": DEFAULT_TOKEN,
            "LEADFLOW_GHL_LOCATION_ID": DEFAULT_LOCATION_ID,
        }
        first = _leadflow(["track", "reconcile"], tmp_path, **env)
        assert first.returncode == 0, first.stdout + first.stderr
        assert "GHL messages read 2 (2 new)" in first.stdout
        again = _leadflow(["track", "reconcile"], tmp_path, **env)
        assert "GHL messages read 2 (0 new)" in again.stdout, again.stdout + again.stderr
    finally:
        live.server.should_exit = True
        live.thread.join(timeout=10)

    bad = _leadflow(["track", "reconcile", "--since", "last tuesday"], tmp_path)
    assert bad.returncode != 0
    assert "expected an ISO 8601 time" in bad.stdout + bad.stderr
    nothing = _leadflow(["track", "reconcile"], tmp_path)
    assert nothing.returncode != 0
    assert "neither [ghl] nor [zoho] is configured" in nothing.stdout + nothing.stderr
