"""Auth strategies against the emulator's accounts server: OAuth refresh per data centre with api_domain,
the token cache in the store, expiry mid-run, single flight, token endpoint errors, static token, proxy mode."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from leadflow.errors import AuthExpired, ConfigError
from leadflow.store import open_store
from leadflow.store import zoho as repo
from leadflow.zoho import ClientOptions, TokenError, ZohoClient
from leadflow.zoho.datacentres import DATA_CENTRES
from leadflow_emulators.zoho.app import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN
from tests.zoho.conftest import EMULATOR, Rig, zoho_settings


def recording(rig: Rig) -> tuple[TestClient, list[httpx.URL]]:
    """The in-process emulator answering for any host (accounts.zoho.eu included), recording every URL."""
    urls: list[httpx.URL] = []
    client = TestClient(rig.app, base_url=EMULATOR)
    client.event_hooks["request"].append(lambda r: urls.append(r.url))
    return client, urls


def test_oauth_refreshes_once_and_caches_the_token_in_the_store(rig: Rig) -> None:
    with rig.client() as zoho:
        zoho.leads.insert([{"Last_Name": "Ng"}])
        zoho.org.get()
        assert zoho.api.auth.refreshes == 1  # type: ignore[union-attr]
    with rig.engine.connect() as connection:
        cached = repo.get_token(connection, key=zoho.api.auth.key)  # type: ignore[union-attr]
    assert cached is not None
    assert cached.access_token is not None
    assert cached.expires_at is not None
    assert cached.expires_at > datetime.now(UTC) + timedelta(minutes=55)
    with rig.client() as second:  # another process: same store, no new refresh
        second.users.current()
        assert second.api.auth.refreshes == 0  # type: ignore[union-attr]
    assert rig.state()["tokens"]["issued"] == 1


@pytest.mark.parametrize("centre", sorted(DATA_CENTRES))
def test_each_data_centre_uses_its_accounts_server_then_the_api_domain(rig: Rig, centre: str) -> None:
    http, urls = recording(rig)
    with http, rig.client(http=http, data_centre=centre, accounts_url=None) as zoho:
        zoho.users.current()
    token_url, api_url = urls[0], urls[1]
    assert f"{token_url.scheme}://{token_url.host}" == DATA_CENTRES[centre].accounts_url
    assert token_url.path == "/oauth/v2/token"
    # The emulator answers api_domain with its own address (here the host it was asked on).
    assert api_url.host == token_url.host
    assert api_url.path == "/crm/v8/users"


def test_api_base_url_overrides_api_domain(rig: Rig) -> None:
    http, urls = recording(rig)
    with http, rig.client(http=http, api_base_url="http://override.test", api_version="v2") as zoho:
        zoho.org.get()
    assert str(urls[-1]) == "http://override.test/crm/v2/org"


def test_token_expiry_mid_run_refreshes_once_and_retries(rig: Rig) -> None:
    with rig.client() as zoho:
        first = zoho.leads.insert([{"Last_Name": "Before"}])
        rig.control("POST", "clock", json={"advance_seconds": 3_700})  # server side: the token is now expired
        second = zoho.leads.insert([{"Last_Name": "After"}])
        assert first[0].ok
        assert second[0].ok
        assert zoho.api.auth.refreshes == 2  # type: ignore[union-attr]
        assert zoho.api.transport.stats.refreshes == 1
    assert rig.state()["records"]["Leads"] == 2  # the refused write was not applied twice


def test_token_is_refreshed_a_minute_before_it_expires(rig: Rig) -> None:
    now = [datetime.now(UTC)]
    options = ClientOptions(clock=lambda: now[0], sleep=rig.sleeps)
    with rig.client(options=options) as zoho:
        zoho.org.get()
        now[0] += timedelta(minutes=58, seconds=30)  # 90 s left: still used
        zoho.org.get(refresh=True)
        assert zoho.api.auth.refreshes == 1  # type: ignore[union-attr]
        now[0] += timedelta(seconds=40)  # 50 s left: refreshed before use
        zoho.org.get(refresh=True)
        assert zoho.api.auth.refreshes == 2  # type: ignore[union-attr]
    assert rig.state()["tokens"]["issued"] == 2


def test_many_threads_refresh_once(rig: Rig) -> None:
    with rig.client() as zoho:
        errors: list[BaseException] = []

        def work() -> None:
            try:
                zoho.users.current()
            except BaseException as exc:  # collected for the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert zoho.api.auth.refreshes == 1  # type: ignore[union-attr]
    assert rig.state()["tokens"]["issued"] == 1


def test_revoked_refresh_token_is_a_typed_error_that_says_what_to_do(rig: Rig) -> None:
    with rig.client(refresh_token="1000.revoked.or.wrong") as zoho, pytest.raises(TokenError) as caught:
        zoho.org.get()
    assert caught.value.vendor_code == "invalid_code"
    assert "leadflow auth zoho" in str(caught.value)


def test_wrong_client_secret_names_the_setting(rig: Rig) -> None:
    with rig.client(client_secret="nope") as zoho, pytest.raises(TokenError) as caught:
        zoho.org.get()
    assert caught.value.vendor_code in ("invalid_client", "invalid_client_secret")
    assert "client" in str(caught.value)


def access_token(rig: Rig) -> str:
    reply = rig.http.post(
        "/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            "refresh_token": DEFAULT_REFRESH_TOKEN,
        },
    )
    return str(reply.json()["access_token"])


def test_static_token_mode_and_its_expiry(rig: Rig) -> None:
    token = access_token(rig)
    with rig.client(auth="token", access_token=token, api_base_url=EMULATOR, refresh_token=None) as zoho:
        assert zoho.leads.insert([{"Last_Name": "Static"}])[0].ok
        rig.control("POST", "tokens/expire")
        with pytest.raises(AuthExpired, match="LEADFLOW_ZOHO_ACCESS_TOKEN"):
            zoho.org.get()
    with pytest.raises(ConfigError, match="access_token"):
        rig.client(auth="token", access_token=None)


def test_oauth_without_credentials_says_which_are_missing(rig: Rig) -> None:
    with pytest.raises(ConfigError, match="client_secret"):
        rig.client(client_secret=None)


class EnvelopeProxy:
    """A small auth proxy (like the seed's PinkConnect): holds the OAuth token, forwards ``/zoho/crm/v2/...``
    to the emulator and wraps every JSON reply in ``{"output": ...}``."""

    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.token = access_token(rig)
        self.seen_authorization: list[str | None] = []
        self.app = Starlette(
            routes=[Route("/zoho/{path:path}", self.forward, methods=["GET", "POST", "PUT", "DELETE"])]
        )

    async def forward(self, request: Request) -> Response:
        self.seen_authorization.append(request.headers.get("authorization"))
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length", "authorization")
        }
        headers["Authorization"] = f"Zoho-oauthtoken {self.token}"
        upstream = self.rig.http.request(
            request.method,
            "/" + request.path_params["path"],
            params=list(request.query_params.multi_items()),
            content=await request.body(),
            headers=headers,
        )
        if "json" not in upstream.headers.get("content-type", "") or not upstream.content:
            body: Any = ""
        else:
            body = upstream.json()
        return Response(json.dumps({"output": body}), status_code=upstream.status_code, media_type="application/json")


@pytest.fixture
def proxy(rig: Rig) -> Iterator[tuple[EnvelopeProxy, TestClient]]:
    envelope = EnvelopeProxy(rig)
    with TestClient(envelope.app, base_url="http://proxy.test") as http:
        yield envelope, http


def test_proxy_mode_unwraps_the_output_envelope_and_sends_no_oauth_header(
    rig: Rig, proxy: tuple[EnvelopeProxy, TestClient]
) -> None:
    envelope, http = proxy
    with rig.client(http=http, auth="proxy", api_base_url="http://proxy.test/zoho/crm/v2/") as zoho:
        results = zoho.contacts.insert([{"Last_Name": "Doe", "Email": "john.doe@example.com"}, {"Email": "x@y.z"}])
        assert [r.ok for r in results] == [True, False]
        assert results[1].code == "MANDATORY_NOT_FOUND"
        record = zoho.contacts.get(results[0].id or "")
        assert record is not None
        assert record["Email"] == "john.doe@example.com"
        assert [r["Last_Name"] for r in zoho.contacts.search(email="john.doe@example.com")] == ["Doe"]
        assert list(zoho.contacts.search(email="nobody@example.com")) == []  # 204 through the envelope
        assert [
            r["Last_Name"] for r in zoho.coql("select Last_Name from Contacts where Email = ?", "john.doe@example.com")
        ] == ["Doe"]
        assert zoho.users.current()["email"]
        assert zoho.data_centre is None
    assert envelope.seen_authorization
    assert set(envelope.seen_authorization) == {None}


def test_clients_sharing_a_store_refresh_once_between_them(rig: Rig, database_url: str) -> None:
    """Two clients stand for two processes: separate in-process locks, one store; the token row lock decides."""
    engine = open_store(database_url)
    settings = zoho_settings(database_url)
    clients = [
        ZohoClient.from_settings(settings, engine, http_client=rig.http, options=ClientOptions(sleep=rig.sleeps))
        for _ in range(2)
    ]
    errors: list[BaseException] = []

    def work(zoho: ZohoClient) -> None:
        try:
            zoho.users.current()
        except BaseException as exc:  # collected for the assertion
            errors.append(exc)

    def storm() -> None:
        threads = [threading.Thread(target=work, args=(clients[i % 2],)) for i in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    storm()
    assert errors == []
    assert rig.state()["tokens"]["issued"] == 1
    rig.control("POST", "tokens/expire")  # both now hold a token the server refuses
    storm()
    assert errors == []
    assert rig.state()["tokens"]["issued"] == 2
    assert sum(c.api.auth.refreshes for c in clients) == 2  # type: ignore[union-attr]
    engine.dispose()


def test_a_cached_token_this_process_cannot_decrypt_is_replaced(rig: Rig) -> None:
    from cryptography.fernet import Fernet
    from pydantic import SecretStr

    key = Fernet.generate_key().decode()
    settings = zoho_settings(rig.database_url).model_copy(update={"secret_key": SecretStr(key)})
    with ZohoClient.from_settings(settings, rig.engine, http_client=rig.http) as encrypted:
        encrypted.org.get()
    with rig.engine.connect() as connection:
        cached = repo.get_token(connection, key=encrypted.api.auth.key)  # type: ignore[union-attr]
    assert cached is not None
    assert cached.encrypted
    with rig.client() as keyless:  # no LEADFLOW_SECRET_KEY here
        keyless.org.get()
        assert keyless.api.auth.refreshes == 1  # type: ignore[union-attr]
