"""Headers, tokens and limits: the Version header, PIT and OAuth (rotation, expiry, token classes, scopes),
the X-RateLimit-* headers and 429s past the burst and the daily limit."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from leadflow_emulators.ghl.models import GhlBackend
from leadflow_emulators.ghl.models.backend import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from tests.emulators.ghl.conftest import LOCATION, TOKEN, V2, new_contact

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_version_header_missing_invalid_and_v3(anon: TestClient) -> None:
    missing = anon.get(f"/locations/{LOCATION}", headers=AUTH)
    assert missing.status_code == 401
    assert missing.json()["message"] == "version header was not found."
    invalid = anon.get(f"/locations/{LOCATION}", headers={**AUTH, "Version": "2019-01-01"})
    assert invalid.status_code == 401
    assert invalid.json()["message"] == "version header is invalid"
    assert anon.get(f"/locations/{LOCATION}", headers={**AUTH, "Version": "v3"}).status_code == 200


def test_invalid_token_wrong_class_and_missing_scope(anon: TestClient) -> None:
    bad = anon.get(f"/locations/{LOCATION}", headers={"Authorization": "Bearer pit-nope", **V2})
    assert bad.status_code == 401
    assert bad.json() == {**bad.json(), "message": "Invalid JWT", "statusCode": 401}
    assert anon.get(f"/locations/{LOCATION}", headers=V2).status_code == 401
    wrong_class = anon.post(
        "/oauth/locationToken", data={"companyId": "x", "locationId": LOCATION}, headers={**AUTH, **V2}
    )
    assert wrong_class.status_code == 401
    assert "authClass" in wrong_class.json()["message"]
    anon.post("/_emulator/tokens", json={"token": "pit-readonly", "scopes": ["contacts.readonly"]})
    read_only = {"Authorization": "Bearer pit-readonly", **V2}
    assert anon.get("/contacts/", params={"locationId": LOCATION}, headers=read_only).status_code == 200
    refused = anon.post("/contacts/", json={"locationId": LOCATION, "email": "x@example.com"}, headers=read_only)
    assert refused.status_code == 401
    assert refused.json()["message"] == "The token is not authorized for this scope."


def test_another_location_is_forbidden(api: TestClient) -> None:
    reply = api.post("/contacts/", json={"locationId": "someOtherLocation", "email": "x@example.com"})
    assert reply.status_code == 403


def _token(anon: TestClient, **form: str) -> Any:
    return anon.post(
        "/oauth/token", data={"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET, **form}
    )


def test_oauth_code_refresh_rotation_and_expiry(anon: TestClient) -> None:
    code = anon.post("/_emulator/oauth/codes", json={"client_id": DEFAULT_CLIENT_ID}).json()["code"]
    first = _token(anon, grant_type="authorization_code", code=code)
    assert first.status_code == 200
    grant = first.json()
    assert grant["expires_in"] == 86_399
    assert grant["userType"] == "Location"
    assert grant["locationId"] == LOCATION
    assert _token(anon, grant_type="authorization_code", code=code).status_code == 401  # codes are single use
    headers = {"Authorization": f"Bearer {grant['access_token']}", **V2}
    assert anon.get(f"/locations/{LOCATION}", headers=headers).status_code == 200
    rotated = _token(anon, grant_type="refresh_token", refresh_token=grant["refresh_token"])
    assert rotated.status_code == 200
    assert rotated.json()["refresh_token"] != grant["refresh_token"]
    reused = _token(anon, grant_type="refresh_token", refresh_token=grant["refresh_token"])
    assert reused.status_code == 401  # the old refresh token died when it was used
    anon.post("/_emulator/clock", json={"advance_seconds": 86_399})
    expired = anon.get(f"/locations/{LOCATION}", headers=headers)
    assert expired.status_code == 401
    assert "invalid" in expired.json()["message"]
    assert _token(anon, grant_type="refresh_token", refresh_token=rotated.json()["refresh_token"]).status_code == 200
    assert (
        anon.post(
            "/oauth/token",
            data={"client_id": DEFAULT_CLIENT_ID, "client_secret": "wrong", "grant_type": "client_credentials"},
        ).status_code
        == 401
    )


def test_agency_token_gets_a_location_token_and_installed_locations(anon: TestClient, backend: GhlBackend) -> None:
    agency = _token(anon, grant_type="client_credentials").json()
    assert agency["userType"] == "Company"
    headers = {"Authorization": f"Bearer {agency['access_token']}", **V2}
    assert anon.get("/contacts/", params={"locationId": LOCATION}, headers=headers).status_code == 401  # wrong class
    installed = anon.get(
        "/oauth/installedLocations", params={"companyId": agency["companyId"], "appId": "a"}, headers=headers
    )
    assert installed.status_code == 200
    assert installed.json()["locations"][0]["_id"] == LOCATION
    location = anon.post(
        "/oauth/locationToken", data={"companyId": agency["companyId"], "locationId": LOCATION}, headers=headers
    )
    assert location.status_code == 200
    token = location.json()["access_token"]
    reply = anon.get("/contacts/", params={"locationId": LOCATION}, headers={"Authorization": f"Bearer {token}", **V2})
    assert reply.status_code == 200


def test_rate_limit_headers_and_burst_429(api: TestClient, backend: GhlBackend, clock: Any) -> None:
    api.post("/_emulator/limits", json={"enabled": True})
    first = api.get(f"/locations/{LOCATION}")
    assert first.headers["X-RateLimit-Max"] == "100"
    assert first.headers["X-RateLimit-Remaining"] == "99"
    assert first.headers["X-RateLimit-Interval-Milliseconds"] == "10000"
    assert first.headers["X-RateLimit-Limit-Daily"] == "200000"
    assert first.headers["X-RateLimit-Daily-Remaining"] == "199999"
    for _ in range(99):
        assert api.get(f"/locations/{LOCATION}").status_code == 200
    throttled = api.get(f"/locations/{LOCATION}")
    assert throttled.status_code == 429
    assert throttled.headers["X-RateLimit-Remaining"] == "0"
    assert throttled.json()["statusCode"] == 429
    clock.advance(10)
    assert api.get(f"/locations/{LOCATION}").status_code == 200


def test_daily_limit_429_and_reset_next_day(api: TestClient, clock: Any) -> None:
    api.post("/_emulator/limits", json={"enabled": True, "daily": 3, "burst": 100})
    for _ in range(3):
        assert api.get(f"/locations/{LOCATION}").status_code == 200
    over = api.get(f"/locations/{LOCATION}")
    assert over.status_code == 429
    assert over.headers["X-RateLimit-Daily-Remaining"] == "0"
    clock.advance(86_400)
    assert api.get(f"/locations/{LOCATION}").status_code == 200


def test_limits_are_per_client(api: TestClient) -> None:
    api.post("/_emulator/limits", json={"enabled": True, "burst": 2})
    api.post("/_emulator/tokens", json={"token": "pit-second-app"})
    for _ in range(2):
        assert api.get(f"/locations/{LOCATION}").status_code == 200
    assert api.get(f"/locations/{LOCATION}").status_code == 429
    other = api.get(f"/locations/{LOCATION}", headers={"Authorization": "Bearer pit-second-app"})
    assert other.status_code == 200


def test_limits_settings_are_validated(api: TestClient) -> None:
    assert api.post("/_emulator/limits", json={"burst": -1}).status_code == 400
    assert api.post("/_emulator/limits", json={"per_minute": 1}).status_code == 400
    assert api.get("/_emulator/limits").json()["enabled"] is False


def test_unknown_route_and_bad_json(api: TestClient) -> None:
    missing = api.get("/nowhere")
    assert missing.status_code == 404
    assert missing.json()["message"] == "Cannot GET /nowhere"
    broken = api.post("/contacts/", content=b"{nope", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400
    assert "traceId" in broken.json()
    new_contact(api, email="still@example.com")
