"""Persistence: the emulator keeps records, recycle bin, tags, custom fields and tokens across restarts."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from leadflow_emulators.zoho.models import ZohoBackend
from tests.emulators.zoho.conftest import refresh_form
from tests.specs import REPO_ROOT


def test_backend_reopens_its_database(tmp_path: Path) -> None:
    path = str(tmp_path / "zoho.db")
    first = ZohoBackend(db_path=path, seed=3)
    first.oauth.register_client("1000.P", "s", refresh_token="1000.p")
    first.add_field("Leads", {"field_label": "Leadflow ID", "data_type": "text", "unique": {"casesensitive": "false"}})
    results = first.insert("Leads", [{"Last_Name": f"N{n}", "Leadflow_ID": f"gp_{n}"} for n in range(100)])
    ids = [str(result.id) for result in results]
    first.tag_records("Leads", ids[:2], ["kept"])
    first.delete("Leads", [ids[-1]])
    first.close()

    second = ZohoBackend(db_path=path, seed=3)
    assert second.stats()["records"]["Leads"] == 99
    assert second.stats()["recycle_bin"]["Leads"] == 1
    assert second.get_record("Leads", ids[0])["Tag"][0]["name"] == "kept"
    assert [tag["name"] for tag in second.tags("Leads")] == ["kept"]
    assert second.fields("Leads")["Leadflow_ID"].unique
    [duplicate] = second.insert("Leads", [{"Last_Name": "x", "Leadflow_ID": "GP_5"}])
    assert duplicate.code == "DUPLICATE_DATA"
    [fresh] = second.insert("Leads", [{"Last_Name": "new"}])
    assert fresh.id not in ids
    assert "1000.P" in second.oauth.clients
    second.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(db: Path, port: int, seed: Path | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
    command = [sys.executable, "-m", "leadflow_emulators", "zoho", "--port", str(port), "--db", str(db)]
    if seed is not None:
        command += ["--seed", str(seed)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/_emulator/state", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"emulator did not start: {process.communicate()[0]}")


def _stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    output, _ = process.communicate(timeout=20)
    return output


def test_server_restart_with_db_keeps_every_record(tmp_path: Path) -> None:
    db = tmp_path / "zoho.db"
    seed = tmp_path / "seed.jsonl"
    seed.write_text(json.dumps({"module": "Accounts", "record": {"Account_Name": "Seeded Inc"}}) + "\n")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    process = _start(db, port, seed)
    try:
        token = httpx.post(f"{base}/oauth/v2/token", data=refresh_form()).json()["access_token"]
        headers = {"Authorization": f"Zoho-oauthtoken {token}"}
        rows = [{"Last_Name": f"Restart{n}", "Email": f"r{n}@x.io"} for n in range(100)]
        created = httpx.post(f"{base}/crm/v8/Leads", content=json.dumps({"data": rows}), headers=headers)
        assert created.status_code == 201
    finally:
        output = _stop(process)
    assert "1000.LEADFLOWDEMO" in output
    assert "1000.leadflow.demo.refresh" in output
    assert "seeded 1 records" in output
    process = _start(db, port)
    try:
        state = httpx.get(f"{base}/_emulator/state").json()
        assert state["records"]["Leads"] == 100
        assert state["records"]["Accounts"] == 1
        # The access token issued before the restart still works (tokens are persisted too).
        listed = httpx.get(f"{base}/crm/v8/Leads", params={"fields": "Email", "per_page": 200}, headers=headers)
        assert {item["Email"] for item in listed.json()["data"]} == {f"r{n}@x.io" for n in range(100)}
    finally:
        _stop(process)


def test_port_zero_prints_the_port_it_got(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
    command = [sys.executable, "-m", "leadflow_emulators", "zoho", "--port", "0"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        base = first.split(" on ", 1)[1].split()[0]
        assert not base.endswith(":0")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                reply = httpx.post(f"{base}/oauth/v2/token", data=refresh_form(), timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert reply.json()["api_domain"] == base
    finally:
        process.terminate()
        process.communicate(timeout=20)
