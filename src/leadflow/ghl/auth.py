"""Ways into GoHighLevel, one strategy object each: a Private Integration Token, or OAuth 2.0.

* :class:`PitAuth` — a sub-account Private Integration Token (``pit-`` + UUID): static, nothing to refresh.
* :class:`OAuthAuth` — a marketplace app's tokens saved by ``leadflow auth ghl``: access tokens live 86,399 s,
  and every refresh answers with a new refresh token while the old one stops working. The newest refresh
  token is written in the same transaction that holds the credential's row lock, so one refresh happens at a
  time across threads and processes and no process ever sends a spent refresh token.
  With ``user_type = "Company"`` (an agency token) the location token is minted from it through
  ``POST /oauth/locationToken`` and cached the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine

from leadflow.errors import AuthError, AuthExpired, ConfigError, ResponseLost
from leadflow.ghl.errors import GhlErrors, ghl_error, message_of
from leadflow.ghl.versions import DEFAULT as DEFAULT_VERSION
from leadflow.http import RequestSpec, RetryPolicy, Transport
from leadflow.http.transport import NoAuth
from leadflow.store import ghl as repo
from leadflow.store.runs import utcnow
from leadflow.store.secrets import SecretBox

TOKEN_PATH = "/oauth/token"
LOCATION_TOKEN_PATH = "/oauth/locationToken"
REFRESH_EARLY = timedelta(minutes=5)
RELOGIN = "run `leadflow auth ghl` again"


@dataclass(frozen=True)
class TokenGrant:
    """What ``/oauth/token`` or ``/oauth/locationToken`` answered.

    Example:
        >>> grant = TokenGrant.parse({"access_token": "a", "expires_in": 86399, "userType": "Location",
        ...                           "locationId": "loc1", "refresh_token": "r"}, now=utcnow())
        >>> grant.location_id, grant.refresh_token
        ('loc1', 'r')
    """

    access_token: str
    refresh_token: str | None
    expires_at: datetime
    user_type: str
    location_id: str | None
    company_id: str | None
    scope: str | None

    @classmethod
    def parse(cls, body: Mapping[str, Any], *, now: datetime) -> TokenGrant:
        return cls(
            access_token=str(body["access_token"]),
            refresh_token=str(body["refresh_token"]) if body.get("refresh_token") else None,
            expires_at=now + timedelta(seconds=float(body.get("expires_in") or 86399)),
            user_type=str(body.get("userType") or "Location"),
            location_id=str(body["locationId"]) if body.get("locationId") else None,
            company_id=str(body["companyId"]) if body.get("companyId") else None,
            scope=str(body["scope"]) if body.get("scope") else None,
        )


def token_request(
    http: httpx.Client,
    url: str,
    form: Mapping[str, str],
    *,
    now: Callable[[], datetime] = utcnow,
    bearer: str | None = None,
) -> TokenGrant:
    """POST a form to a GHL token endpoint; a refusal becomes an :class:`AuthError` saying what to do.

    Example (against a stand-in server):
        >>> refuse = httpx.MockTransport(lambda r: httpx.Response(401, json={"error": "invalid_grant",
        ...     "error_description": "Invalid grant: refresh token is invalid"}))
        >>> token_request(httpx.Client(transport=refuse), "https://ghl.test/oauth/token",
        ...               {"grant_type": "refresh_token"})
        Traceback (most recent call last):
        ...
        leadflow.errors.AuthError: GoHighLevel refused the token request (invalid_grant): ...
    """
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    if bearer:
        headers.update({"Authorization": f"Bearer {bearer}", "Version": DEFAULT_VERSION})
    transport = Transport(
        http, auth=NoAuth(), error_mapper=GhlErrors(), policy=RetryPolicy(max_attempts=3, base_delay=0.5)
    )
    # A refresh token is spent once GHL reads it: the request is never resent blindly (ResponseLost instead).
    spec = RequestSpec(
        "POST", url, content=str(httpx.QueryParams(dict(form))).encode(), headers=headers, label="ghl oauth token"
    )
    try:
        response = transport.send(spec)
    except ResponseLost as exc:
        raise AuthError(
            f"GoHighLevel did not answer the token request ({exc}): the token it may have issued is lost and the"
            f" refresh token may be spent; try again, and if GoHighLevel refuses it, {RELOGIN}",
            status=exc.status,
            vendor_code=exc.vendor_code,
        ) from exc
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400 or not isinstance(body, dict) or "access_token" not in body:
        reason = "unknown"
        if isinstance(body, dict):
            reason = str(body.get("error") or body.get("statusCode") or response.status_code)
        detail = message_of(body, "") if isinstance(body, dict) else ""
        description = (
            str(body.get("error_description")) if isinstance(body, dict) and body.get("error_description") else detail
        )
        raise AuthError(
            f"GoHighLevel refused the token request ({reason}): {description or 'no reason given'};"
            f" check [ghl] client_id/client_secret or {RELOGIN}",
            status=response.status_code,
            vendor_code=reason,
        )
    return TokenGrant.parse(body, now=now())


class PitAuth:
    """A Private Integration Token: sent as a bearer token, never refreshed.

    Example:
        >>> PitAuth("pit-6a0e1f2c-0000-4000-8000-000000000000", location_id="loc1").auth_headers()["Authorization"][:11]
        'Bearer pit-'
    """

    mode = "pit"

    def __init__(self, token: str, *, location_id: str) -> None:
        if not token:
            raise ConfigError("[ghl] auth = pit needs token: set LEADFLOW_GHL_TOKEN to the Private Integration Token")
        if not location_id:
            raise ConfigError("[ghl] needs location_id (the sub-account the Private Integration belongs to)")
        self._token = token
        self.location_id = location_id

    def auth_headers(self) -> Mapping[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    def should_refresh(self, response: httpx.Response) -> bool:
        return False

    def refresh(self, rejected: Mapping[str, str]) -> None:  # pragma: no cover - should_refresh is always False
        return None


class OAuthAuth:
    """OAuth 2.0 tokens of a marketplace app for one location, kept fresh and saved in the store.

    Example:
        >>> from leadflow.store import open_store
        >>> auth = OAuthAuth(client_id="app-1", client_secret="s", location_id="loc1", base_url="https://ghl.test",
        ...                  http=httpx.Client(), engine=open_store("sqlite://"))
        >>> auth.key
        'location:loc1'
    """

    mode = "oauth"

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        location_id: str,
        base_url: str,
        http: httpx.Client,
        engine: Engine,
        company_id: str | None = None,
        box: SecretBox | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        missing = [name for name, value in (("client_id", client_id), ("client_secret", client_secret)) if not value]
        if not location_id:
            missing.append("location_id")
        if missing:
            raise ConfigError("[ghl] auth = oauth needs " + ", ".join(missing))
        self.client_id = client_id
        self._client_secret = client_secret
        self.location_id = location_id
        self.company_id = company_id
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.engine = engine
        self.box = box
        self.clock = clock
        self.key = f"location:{location_id}"
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at: datetime | None = None
        self.refreshes = 0

    # --- the transport's auth hook -------------------------------------------------------------------------

    def auth_headers(self) -> Mapping[str, str]:
        return {"Authorization": f"Bearer {self._current_token()}"}

    def should_refresh(self, response: httpx.Response) -> bool:
        return response.status_code == 401 and isinstance(ghl_error(response), AuthExpired)

    def refresh(self, rejected: Mapping[str, str]) -> None:
        value = rejected.get("Authorization", "")
        rejected_token = value.split(" ", 1)[1] if " " in value else None
        with self._lock:
            if self._token is not None and self._token != rejected_token and self._fresh(self._expires_at):
                return
            self._renew(rejected_token)

    # --- saving a new grant (leadflow auth ghl) ------------------------------------------------------------

    def save_grant(self, grant: TokenGrant) -> None:
        """Store the grant ``leadflow auth ghl`` obtained (location token, or the agency's company token)."""
        key = self.key if grant.user_type == "Location" else f"company:{grant.company_id or self.company_id}"
        with self.engine.begin() as connection:
            repo.lock_token(connection, key=key)
            self._save(connection, key, grant, refreshed=False)
        if grant.user_type == "Location":
            self._adopt(grant.access_token, grant.expires_at)

    # --- internals -----------------------------------------------------------------------------------------

    def _current_token(self) -> str:
        token, expires_at = self._token, self._expires_at
        if token is not None and self._fresh(expires_at):
            return token
        with self._lock:
            if self._token is not None and self._fresh(self._expires_at):
                return self._token
            with self.engine.connect() as connection:
                stored = repo.get_token(connection, key=self.key)
            if stored is not None and self._fresh(stored.expires_at) and stored.access_token:
                self._adopt(self._open(stored.access_token, stored.encrypted), stored.expires_at)
            else:
                self._renew(None)
            assert self._token is not None
            return self._token

    def _renew(self, rejected: str | None) -> None:
        with self.engine.begin() as connection:
            stored = repo.lock_token(connection, key=self.key)
            if stored is not None and stored.access_token and self._fresh(stored.expires_at):
                current = self._open(stored.access_token, stored.encrypted)
                if current != rejected:
                    self._adopt(current, stored.expires_at)
                    return
            if stored is not None and stored.refresh_token:
                grant = token_request(
                    self.http,
                    self.base_url + TOKEN_PATH,
                    {
                        "client_id": self.client_id,
                        "client_secret": self._client_secret,
                        "grant_type": "refresh_token",
                        "refresh_token": self._open(stored.refresh_token, stored.encrypted),
                        "user_type": "Location",
                    },
                    now=self.clock,
                )
            else:
                grant = self._from_agency(connection)
            self._save(connection, self.key, grant, refreshed=True)
        self.refreshes += 1
        self._adopt(grant.access_token, grant.expires_at)

    def _from_agency(self, connection: Any) -> TokenGrant:
        """A location token minted from the agency's (Company) token, refreshing that one first if needed."""
        company_id = self.company_id
        if not company_id:
            raise AuthError(f"no GoHighLevel token saved for location {self.location_id}: {RELOGIN}")
        company_key = f"company:{company_id}"
        agency = repo.lock_token(connection, key=company_key)
        if agency is None or not agency.access_token:
            raise AuthError(f"no GoHighLevel agency token saved for company {company_id}: {RELOGIN}")
        agency_token = self._open(agency.access_token, agency.encrypted)
        renewed = not self._fresh(agency.expires_at)
        if renewed:
            agency_token = self._renew_agency(connection, company_key, agency)
        form = {"companyId": company_id, "locationId": self.location_id}
        url = self.base_url + LOCATION_TOKEN_PATH
        try:
            return token_request(self.http, url, form, now=self.clock, bearer=agency_token)
        except AuthError:
            # the agency token was refused before its time (revoked, or replaced elsewhere): renew it once
            if renewed or not agency.refresh_token:  # a refresh token is spent once used: never twice
                raise
            agency_token = self._renew_agency(connection, company_key, agency)
            return token_request(self.http, url, form, now=self.clock, bearer=agency_token)

    def _renew_agency(self, connection: Any, company_key: str, agency: repo.StoredToken) -> str:
        if not agency.refresh_token:
            raise AuthError(f"the GoHighLevel agency token of {company_key} expired: {RELOGIN}")
        renewed = token_request(
            self.http,
            self.base_url + TOKEN_PATH,
            {
                "client_id": self.client_id,
                "client_secret": self._client_secret,
                "grant_type": "refresh_token",
                "refresh_token": self._open(agency.refresh_token, agency.encrypted),
                "user_type": "Company",
            },
            now=self.clock,
        )
        self._save(connection, company_key, renewed, refreshed=True)
        return renewed.access_token

    def _save(self, connection: Any, key: str, grant: TokenGrant, *, refreshed: bool) -> None:
        repo.save_token(
            connection,
            key=key,
            client_id=self.client_id,
            user_type=grant.user_type,
            location_id=grant.location_id or (self.location_id if key == self.key else None),
            company_id=grant.company_id or self.company_id,
            access_token=self._seal(grant.access_token),
            refresh_token=self._seal(grant.refresh_token) if grant.refresh_token else None,
            encrypted=self.box is not None,
            scope=grant.scope,
            expires_at=grant.expires_at,
            refreshed=refreshed,
        )

    def _seal(self, value: str) -> str:
        return self.box.encrypt(value) if self.box else value

    def _open(self, value: str, encrypted: bool) -> str:
        if not encrypted:
            return value
        if self.box is None:
            raise AuthError(
                "the saved GoHighLevel tokens are encrypted: set LEADFLOW_SECRET_KEY to the key used by"
                " `leadflow auth ghl`"
            )
        return self.box.decrypt(value)

    def _adopt(self, token: str, expires_at: datetime | None) -> None:
        self._token, self._expires_at = token, expires_at

    def _fresh(self, expires_at: datetime | None) -> bool:
        return expires_at is not None and expires_at - REFRESH_EARLY > self.clock()


GhlAuth = PitAuth | OAuthAuth
