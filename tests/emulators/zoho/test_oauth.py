"""The accounts server: grants, refresh, client credentials, revoke, consent, expiry and scopes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from starlette.testclient import TestClient

from leadflow_emulators.zoho.models import ZohoBackend
from leadflow_emulators.zoho.models.oauth import MAX_ACCESS_TOKENS
from tests.emulators.zoho.conftest import refresh_form, token_for

FIELDS = {"fields": "Last_Name"}


def _consent(anon: TestClient, **extra: str) -> str:
    params = {
        "client_id": "1000.WEB",
        "scope": "ZohoCRM.modules.ALL",
        "response_type": "code",
        "access_type": "offline",
        "redirect_uri": "https://app.example/cb",
        "state": "s1",
        **extra,
    }
    response = anon.get("/oauth/v2/auth", params=params, follow_redirects=False)
    assert response.status_code == 302
    location = urlparse(response.headers["location"])
    query = parse_qs(location.query)
    assert location.netloc == "app.example"
    assert query["state"] == ["s1"]
    assert query["location"] == ["us"]
    assert query["accounts-server"] == ["http://zoho.test"]
    return query["code"][0]


def _web_client(anon: TestClient) -> None:
    response = anon.post(
        "/_emulator/clients",
        json={"client_id": "1000.WEB", "client_secret": "s3cret", "redirect_uris": ["https://app.example/cb"]},
    )
    assert response.status_code == 201


def test_refresh_token_grant_omits_refresh_token(anon: TestClient) -> None:
    reply = anon.post("/oauth/v2/token", data=refresh_form())
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    body = reply.json()
    assert set(body) == {"access_token", "scope", "api_domain", "token_type", "expires_in"}
    assert body["expires_in"] == 3600
    assert body["api_domain"] == "http://zoho.test"
    assert body["token_type"] == "Bearer"


def test_authorization_code_is_one_time(anon: TestClient) -> None:
    _web_client(anon)
    code = _consent(anon)
    form = {
        "grant_type": "authorization_code",
        "client_id": "1000.WEB",
        "client_secret": "s3cret",
        "redirect_uri": "https://app.example/cb",
        "code": code,
    }
    first = anon.post("/oauth/v2/token", data=form).json()
    assert first["refresh_token"].startswith("1000.")
    assert anon.post("/oauth/v2/token", data=form).json() == {"error": "invalid_code"}
    refreshed = anon.post(
        "/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": "1000.WEB",
            "client_secret": "s3cret",
            "refresh_token": first["refresh_token"],
        },
    ).json()
    assert "access_token" in refreshed


def test_grant_code_expires_after_three_minutes(anon: TestClient, backend: ZohoBackend) -> None:
    _web_client(anon)
    code = _consent(anon)
    backend.clock.advance(181)
    reply = anon.post(
        "/oauth/v2/token",
        data={"grant_type": "authorization_code", "client_id": "1000.WEB", "client_secret": "s3cret", "code": code},
    )
    assert reply.status_code == 200
    assert reply.json() == {"error": "invalid_code"}


def test_online_access_has_no_refresh_token(anon: TestClient) -> None:
    _web_client(anon)
    code = _consent(anon, access_type="online")
    reply = anon.post(
        "/oauth/v2/token",
        params={"grant_type": "authorization_code", "client_id": "1000.WEB", "client_secret": "s3cret", "code": code},
    ).json()
    assert "access_token" in reply
    assert "refresh_token" not in reply


def test_client_credentials(anon: TestClient) -> None:
    reply = anon.post(
        "/oauth/v2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "1000.LEADFLOWDEMO",
            "client_secret": "leadflow-demo-secret",
            "scope": "ZohoCRM.modules.ALL",
            "soid": "ZohoCRM.5725767",
        },
    ).json()
    assert reply["scope"] == "ZohoCRM.modules.ALL"
    assert "refresh_token" not in reply


def test_token_errors_are_http_200(anon: TestClient) -> None:
    cases = {
        "invalid_client": refresh_form(client_id="1000.NOPE"),
        "invalid_client_secret": refresh_form(client_secret="wrong"),
        "invalid_code": refresh_form(refresh_token="1000.bad"),
        "unsupported_grant_type": refresh_form(grant_type="password"),
    }
    for error, form in cases.items():
        reply = anon.post("/oauth/v2/token", data=form)
        assert reply.status_code == 200
        assert reply.json() == {"error": error}


def test_access_token_expires_after_an_hour(anon: TestClient, backend: ZohoBackend) -> None:
    headers = {"Authorization": f"Zoho-oauthtoken {token_for(anon)}"}
    assert anon.get("/crm/v8/Leads", params=FIELDS, headers=headers).status_code == 204
    backend.clock.advance(3599)
    assert anon.get("/crm/v8/Leads", params=FIELDS, headers=headers).status_code == 204
    backend.clock.advance(2)
    reply = anon.get("/crm/v8/Leads", params=FIELDS, headers=headers)
    assert reply.status_code == 401
    assert reply.json() == {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"}


def test_sixteenth_token_invalidates_the_oldest(anon: TestClient) -> None:
    tokens = [token_for(anon) for _ in range(MAX_ACCESS_TOKENS + 1)]
    oldest = anon.get("/crm/v8/org", headers={"Authorization": f"Zoho-oauthtoken {tokens[0]}"})
    assert oldest.status_code == 401
    assert oldest.json()["code"] == "INVALID_TOKEN"
    for token in tokens[1:]:
        assert anon.get("/crm/v8/org", headers={"Authorization": f"Zoho-oauthtoken {token}"}).status_code == 200


def test_revoke_refresh_token(anon: TestClient) -> None:
    access = token_for(anon)
    assert anon.post("/oauth/v2/token/revoke", params={"token": "1000.leadflow.demo.refresh"}).json() == {
        "status": "success"
    }
    assert anon.post("/oauth/v2/token", data=refresh_form()).json() == {"error": "invalid_code"}
    assert anon.get("/crm/v8/org", headers={"Authorization": f"Zoho-oauthtoken {access}"}).status_code == 401


def test_missing_and_malformed_authorization(anon: TestClient) -> None:
    missing = anon.get("/crm/v8/Leads", params=FIELDS)
    assert missing.status_code == 401
    assert missing.json()["code"] == "AUTHENTICATION_FAILURE"
    bad = anon.get("/crm/v8/Leads", params=FIELDS, headers={"Authorization": "Zoho-oauthtoken 1000.nope"})
    assert bad.status_code == 401
    assert bad.json()["code"] == "INVALID_TOKEN"


def test_scope_mismatch(anon: TestClient) -> None:
    anon.post(
        "/_emulator/clients",
        json={
            "client_id": "1000.RO",
            "client_secret": "x",
            "refresh_token": "1000.ro",
            "scope": "ZohoCRM.modules.leads.READ",
        },
    )
    token = token_for(anon, client_id="1000.RO", client_secret="x", refresh_token="1000.ro")
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    assert anon.get("/crm/v8/Leads", params=FIELDS, headers=headers).status_code == 204
    for response in (
        anon.post("/crm/v8/Leads", json={"data": [{"Last_Name": "x"}]}, headers=headers),
        anon.get("/crm/v8/Contacts", params=FIELDS, headers=headers),
        anon.get("/crm/v8/settings/fields", params={"module": "Leads"}, headers=headers),
    ):
        assert response.status_code == 401
        assert response.json()["code"] == "OAUTH_SCOPE_MISMATCH"
