"""The client over real sockets: the emulator under uvicorn in a thread, and as `python -m leadflow_emulators zoho`
in a subprocess driven through the `leadflow` CLI (auth zoho, zoho whoami|coql|fields)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet

from leadflow.errors import ResponseLost
from leadflow.store import open_store
from leadflow.zoho import ClientOptions, ZohoClient
from leadflow.zoho.consent import DEFAULT_SCOPES, RedirectListener, consent_url, exchange_and_save
from leadflow.zoho.secrets import SecretBox
from leadflow_emulators.zoho.app import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN
from tests.zoho.conftest import LiveServer, Sleeps, zoho_settings

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def socket_client(live: LiveServer, sqlite_url: str) -> Iterator[ZohoClient]:
    settings = zoho_settings(sqlite_url, accounts_url=live.url)
    options = ClientOptions(sleep=Sleeps(), bulk_poll_initial=0.05, bulk_poll_max=0.2)
    with ZohoClient.from_settings(settings, open_store(sqlite_url), options=options) as zoho:
        yield zoho


def control(live: LiveServer, method: str, path: str, **kwargs: object) -> dict[str, object]:
    response = httpx.request(method, f"{live.url}/_emulator/{path}", **kwargs)  # type: ignore[arg-type]
    assert response.status_code < 300, response.text
    return dict(response.json())


def test_records_coql_and_bulk_over_a_socket(socket_client: ZohoClient, live: LiveServer) -> None:
    zoho = socket_client
    assert zoho.api.root() == live.url  # the token's api_domain
    results = zoho.leads.upsert([{"Last_Name": f"S{i}", "Email": f"s{i}@x.io"} for i in range(150)])
    assert all(r.ok for r in results)
    assert len(list(zoho.leads.iter(["Email"], per_page=50))) == 150
    assert len(list(zoho.coql("select Email from Leads where Email like '%@x.io'"))) == 150
    bulk = zoho.bulk.write("Leads", [{"Last_Name": f"B{i}", "Email": f"s{i}@x.io"} for i in range(300)])
    assert bulk.counts() == {"insert": 150, "update": 150, "error": 0}
    assert len(list(zoho.bulk.read("Leads", ["Email"]))) == 300
    assert control(live, "GET", "state")["records"]["Leads"] == 300  # type: ignore[index]


def test_concurrency_cap_over_a_socket(socket_client: ZohoClient, live: LiveServer) -> None:
    control(live, "POST", "faults", json={"latency_ms": 50})
    errors: list[BaseException] = []

    def work() -> None:
        try:
            socket_client.org.get(refresh=True)
        except BaseException as exc:  # collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    concurrency = control(live, "GET", "state")["concurrency"]
    assert concurrency["rejected"] == 0  # type: ignore[index]
    assert 2 <= concurrency["max_in_flight"] <= 10  # type: ignore[index,operator]


def test_a_dropped_connection_after_commit_is_a_lost_response(socket_client: ZohoClient, live: LiveServer) -> None:
    socket_client.org.get()
    control(live, "POST", "faults", json={"drop_after_commit": 1})
    with pytest.raises(ResponseLost):
        socket_client.contacts.insert([{"Last_Name": "Maybe"}])
    assert control(live, "GET", "state")["records"]["Contacts"] == 1  # type: ignore[index]


def test_consent_redirect_to_the_local_listener_then_exchange(live: LiveServer, sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    box = SecretBox(Fernet.generate_key().decode())
    with RedirectListener("http://127.0.0.1:0/callback", expected_state="st4te") as listener:
        url = consent_url(live.url, client_id=DEFAULT_CLIENT_ID, redirect_uri=listener.redirect_uri, state="st4te")
        page = httpx.get(url, follow_redirects=True)  # the browser: consent, then Zoho's redirect to us
        assert page.status_code == 200
        grant = listener.wait(5)
    assert grant.accounts_server == live.url
    with httpx.Client() as http:
        saved, reply = exchange_and_save(
            http=http,
            engine=engine,
            box=box,
            grant=grant,
            client_id=DEFAULT_CLIENT_ID,
            client_secret=DEFAULT_CLIENT_SECRET,
            data_centre="eu",
            redirect_uri=listener.redirect_uri,
        )
    assert reply.refresh_token
    assert saved.accounts_url == live.url
    assert saved.data_centre == "us"  # the redirect's location wins over the configured data centre


# ---- subprocess emulator + CLI ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def emulator_process() -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    process = subprocess.Popen(
        [sys.executable, "-m", "leadflow_emulators", "zoho", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{base}/_emulator/state", timeout=1)
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read() if process.stdout else ""
                raise RuntimeError(f"the emulator did not start: {output}") from None
            time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(timeout=10)


def cli(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    environment.update(
        {"PYTHONPATH": str(SRC), "COLUMNS": "200", "LEADFLOW_DATABASE_URL": f"sqlite:///{tmp_path}/lf.db"}
    )
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "leadflow", *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def oauth_env(base: str) -> dict[str, str]:
    return {
        "LEADFLOW_ZOHO_ACCOUNTS_URL": base,
        "LEADFLOW_ZOHO_CLIENT_ID": DEFAULT_CLIENT_ID,
        "LEADFLOW_ZOHO_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        "LEADFLOW_ZOHO_REFRESH_TOKEN": DEFAULT_REFRESH_TOKEN,
    }


def test_cli_whoami_fields_and_coql(emulator_process: str, tmp_path: Path) -> None:
    env = oauth_env(emulator_process)
    httpx.post(
        f"{emulator_process}/_emulator/seed",
        content="\n".join(
            json.dumps({"module": "Leads", "record": {"Last_Name": f"Cli{i}", "Email": f"cli{i}@x.io"}})
            for i in range(3)
        ),
    )
    whoami = cli(["zoho", "whoami"], tmp_path, **env)
    assert whoami.returncode == 0, whoami.stderr
    assert "org" in whoami.stdout
    assert "credits" in whoami.stdout
    assert "data centre" in whoami.stdout
    assert f"{emulator_process}/crm/v8" in whoami.stdout
    fields = cli(["zoho", "fields", "Leads"], tmp_path, **env)
    assert fields.returncode == 0, fields.stderr
    assert "Last_Name" in fields.stdout
    assert "Designation" in fields.stdout
    query = "select Last_Name, Email from Leads where Email like 'cli%' order by Email"
    as_csv = cli(["zoho", "coql", query, "--format", "csv"], tmp_path, **env)
    assert as_csv.returncode == 0, as_csv.stderr
    assert as_csv.stdout.splitlines()[0] == "Last_Name,Email,id"
    assert as_csv.stdout.splitlines()[1].startswith("Cli0,cli0@x.io,")
    as_jsonl = cli(["zoho", "coql", query, "-f", "jsonl"], tmp_path, **env)
    assert [json.loads(line)["Email"] for line in as_jsonl.stdout.splitlines()] == [f"cli{i}@x.io" for i in range(3)]
    table = cli(["zoho", "coql", query], tmp_path, **env)
    assert "3 rows" in table.stdout
    bad = cli(["zoho", "coql", "select from"], tmp_path, **env)
    assert bad.returncode == 1
    assert "SYNTAX_ERROR" in bad.stderr


def grant_code(base: str, redirect_uri: str = "http://127.0.0.1:9/callback") -> str:
    reply = httpx.get(
        f"{base}/oauth/v2/auth",
        params={
            "client_id": DEFAULT_CLIENT_ID,
            "response_type": "code",
            "scope": ",".join(DEFAULT_SCOPES),
            "access_type": "offline",
            "redirect_uri": redirect_uri,
        },
    )
    assert reply.status_code == 302
    return parse_qs(urlsplit(reply.headers["location"]).query)["code"][0]


def test_cli_auth_with_a_code_saves_the_refresh_token_encrypted(emulator_process: str, tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    base_env = {
        "LEADFLOW_ZOHO_ACCOUNTS_URL": emulator_process,
        "LEADFLOW_ZOHO_CLIENT_ID": DEFAULT_CLIENT_ID,
        "LEADFLOW_ZOHO_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
    }
    missing_key = cli(["auth", "zoho", "--code", "1000.any"], tmp_path, **base_env)
    assert missing_key.returncode == 2
    assert "LEADFLOW_SECRET_KEY is not set" in missing_key.stderr
    expired = cli(["auth", "zoho", "--code", "1000.not.a.real.code"], tmp_path, LEADFLOW_SECRET_KEY=key, **base_env)
    assert expired.returncode == 1
    assert "invalid_code" in expired.stderr
    assert "leadflow auth zoho" in expired.stderr
    connected = cli(
        ["auth", "zoho", "--code", grant_code(emulator_process)], tmp_path, LEADFLOW_SECRET_KEY=key, **base_env
    )
    assert connected.returncode == 0, connected.stderr
    assert "connected" in connected.stdout
    engine = open_store(f"sqlite:///{tmp_path}/lf.db")
    with engine.connect() as connection:
        from leadflow.store import zoho as repo

        saved = repo.get_connection(connection)
    assert saved is not None
    assert not saved["refresh_token_encrypted"].startswith("1000.")
    assert SecretBox(key).decrypt(saved["refresh_token_encrypted"]).startswith("1000.")
    # Later commands need only the key: client id, secret and refresh token come from the saved connection.
    whoami = cli(["zoho", "whoami"], tmp_path, LEADFLOW_SECRET_KEY=key, LEADFLOW_ZOHO_ACCOUNTS_URL=emulator_process)
    assert whoami.returncode == 0, whoami.stderr
    no_key = cli(["zoho", "whoami"], tmp_path, LEADFLOW_ZOHO_ACCOUNTS_URL=emulator_process)
    assert no_key.returncode == 2
    assert "LEADFLOW_SECRET_KEY" in no_key.stderr


def test_cli_auth_through_the_local_redirect_listener(emulator_process: str, tmp_path: Path) -> None:
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    environment.update(
        {
            "PYTHONPATH": str(SRC),
            "LEADFLOW_DATABASE_URL": f"sqlite:///{tmp_path}/lf.db",
            "LEADFLOW_SECRET_KEY": Fernet.generate_key().decode(),
            "LEADFLOW_ZOHO_ACCOUNTS_URL": emulator_process,
            "LEADFLOW_ZOHO_CLIENT_ID": DEFAULT_CLIENT_ID,
            "LEADFLOW_ZOHO_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        }
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "leadflow",
            "auth",
            "zoho",
            "--redirect-uri",
            f"http://127.0.0.1:{port}/callback",
            "--timeout",
            "60",
        ],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    url = ""
    for line in process.stdout:
        if line.startswith("http"):
            url = line.strip()
            break
    assert "access_type=offline" in url
    assert "scope=ZohoCRM.modules.ALL" in url
    landing = httpx.get(url, follow_redirects=True, timeout=10)  # the person's browser
    assert "received the Zoho grant" in landing.text
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "connected" in out


def test_cli_auth_with_a_pasted_redirect(emulator_process: str, tmp_path: Path) -> None:
    redirect = "http://127.0.0.1:8765/callback"
    code = grant_code(emulator_process, redirect_uri=redirect)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    environment.update(
        {
            "PYTHONPATH": str(SRC),
            "LEADFLOW_DATABASE_URL": f"sqlite:///{tmp_path}/lf.db",
            "LEADFLOW_SECRET_KEY": Fernet.generate_key().decode(),
            "LEADFLOW_ZOHO_ACCOUNTS_URL": emulator_process,
            "LEADFLOW_ZOHO_CLIENT_ID": DEFAULT_CLIENT_ID,
            "LEADFLOW_ZOHO_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        }
    )
    pasted = f"{redirect}?code={code}&location=us&accounts-server={emulator_process}\n"
    result = subprocess.run(
        [sys.executable, "-m", "leadflow", "auth", "zoho", "--paste", "--redirect-uri", redirect],
        cwd=tmp_path,
        env=environment,
        input=pasted,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "access_type=offline" in result.stdout
    assert "connected" in result.stdout


def test_cli_watch_enable_status_renew_and_disable(emulator_process: str, tmp_path: Path) -> None:
    env = oauth_env(emulator_process)
    enabled = cli(
        [
            "zoho",
            "watch",
            "enable",
            "--url",
            "https://hooks.example/zoho",
            "--channel-id",
            "1000000068009",
            "-e",
            "Leads.create",
        ],
        tmp_path,
        **env,
    )
    assert enabled.returncode == 0, enabled.stderr
    assert "channel 1000000068009 watches Leads.create -> https://hooks.example/zoho until" in enabled.stdout
    status = cli(["zoho", "watch", "status", "--renew"], tmp_path, **env)
    assert status.returncode == 0, status.stderr
    assert "1000000068009" in status.stdout
    assert "Leads.create" in status.stdout
    bad = cli(["zoho", "watch", "enable", "--url", "https://h.example/z", "-e", "Leads.poke"], tmp_path, **env)
    assert bad.returncode != 0
    assert "Module.operation" in bad.stderr + bad.stdout
    disabled = cli(["zoho", "watch", "disable", "1000000068009"], tmp_path, **env)
    assert disabled.returncode == 0, disabled.stderr
    empty = cli(["zoho", "watch", "status"], tmp_path, **env)
    assert "no watch channels" in empty.stdout
