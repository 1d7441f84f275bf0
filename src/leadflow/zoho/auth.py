"""Ways into Zoho, one strategy object each: OAuth refresh token, an auth proxy, a static access token.

Every strategy tells the client where the API lives (``api_root``), which version its paths use, whether
replies come wrapped in a proxy's ``{"output": ...}`` envelope, and which headers authenticate a call.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine

from leadflow.errors import AuthExpired, ConfigError
from leadflow.http import NoAuth, RequestSpec, RetryPolicy, Transport
from leadflow.store import zoho as repo
from leadflow.store.runs import utcnow
from leadflow.zoho.datacentres import DATA_CENTRES
from leadflow.zoho.errors import TokenError, ZohoErrors, zoho_error
from leadflow.zoho.secrets import SecretBox

TOKEN_PATH = "/oauth/v2/token"
REFRESH_EARLY = timedelta(seconds=60)
ACCOUNTS_ERRORS = ZohoErrors(server="Zoho's accounts server", check="[zoho] accounts_url / data_centre and the network")
_PROXY_BASE = re.compile(r"^(?P<root>.*?)/?crm/(?P<version>v\d+(?:\.\d+)?)/?$")


@dataclass(frozen=True)
class TokenReply:
    """What the accounts server answered to a token request.

    Example:
        >>> reply = TokenReply.parse({"access_token": "1000.x", "expires_in": 3600}, now=utcnow())
        >>> reply.refresh_token is None
        True
    """

    access_token: str
    expires_at: datetime
    api_domain: str | None
    refresh_token: str | None
    scope: str | None

    @classmethod
    def parse(cls, body: Mapping[str, Any], *, now: datetime) -> TokenReply:
        if "access_token" not in body:
            raise TokenError.from_reply(dict(body))
        expires = float(body.get("expires_in") or 3600)
        if "expires_in_sec" in body:  # then expires_in is in milliseconds
            expires = float(body["expires_in_sec"])
        return cls(
            access_token=str(body["access_token"]),
            expires_at=now + timedelta(seconds=expires),
            api_domain=str(body["api_domain"]).rstrip("/") if body.get("api_domain") else None,
            refresh_token=str(body["refresh_token"]) if body.get("refresh_token") else None,
            scope=str(body["scope"]) if body.get("scope") else None,
        )


def token_request(
    http: httpx.Client,
    accounts_url: str,
    form: Mapping[str, str],
    *,
    now: Callable[[], datetime] = utcnow,
    sleep: Callable[[float], None] | None = None,
) -> TokenReply:
    """POST a grant to ``accounts_url``'s token endpoint; errors (HTTP 200 with ``error``) become :class:`TokenError`.

    Example (against a stand-in accounts server):
        >>> refuse = httpx.MockTransport(lambda r: httpx.Response(200, json={"error": "invalid_code"}))
        >>> http = httpx.Client(transport=refuse)
        >>> token_request(http, "https://accounts.zoho.com", {"grant_type": "authorization_code", "code": "x"})
        Traceback (most recent call last):
        ...
        leadflow.zoho.errors.TokenError: Zoho token request failed (invalid_code): ...
    """
    transport = Transport(
        http,
        auth=NoAuth(),  # the grant in the form is the credential
        error_mapper=ACCOUNTS_ERRORS,
        policy=RetryPolicy(max_attempts=3, base_delay=0.5),
        sleep=sleep or time.sleep,
    )
    response = transport.send(
        RequestSpec(
            "POST",
            accounts_url.rstrip("/") + TOKEN_PATH,
            content=str(httpx.QueryParams(dict(form))).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            idempotent=True,  # a refused or lost grant is simply asked for again
            label="oauth token",
        )
    )
    try:
        body = response.json()
    except ValueError as exc:
        raise TokenError(
            f"the accounts server at {accounts_url} did not answer with JSON (HTTP {response.status_code}):"
            " check [zoho] accounts_url",
            status=response.status_code,
        ) from exc
    if not isinstance(body, dict):
        raise TokenError(f"unexpected token reply from {accounts_url}", status=response.status_code)
    if "error" in body or "access_token" not in body:
        raise TokenError.from_reply(body, status=response.status_code)
    return TokenReply.parse(body, now=now())


def _bearer(headers: Mapping[str, str]) -> str | None:
    value = headers.get("Authorization")
    return value.split(" ", 1)[1] if value and " " in value else None


def _is_invalid_token(response: httpx.Response) -> bool:
    if response.status_code != 401:
        return False
    return zoho_error(response).vendor_code in ("INVALID_TOKEN", "AUTHENTICATION_FAILURE", None)


class OAuthRefreshAuth:
    """OAuth 2.0 refresh-token flow for any data centre, with access tokens cached in the store.

    Tokens are refreshed a minute before they expire; one refresh at a time (a lock within the process, the
    token's row lock across processes); the ``api_domain`` of the token reply is used for every later call
    unless ``api_base_url`` overrides it.

    Example:
        >>> from leadflow.store import open_store
        >>> auth = OAuthRefreshAuth(client_id="1000.X", client_secret="s", refresh_token="1000.r",
        ...                         data_centre="eu", http=httpx.Client(), engine=open_store("sqlite://"))
        >>> auth.accounts_url
        'https://accounts.zoho.eu'
    """

    mode = "oauth"
    envelope = False

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        http: httpx.Client,
        engine: Engine,
        data_centre: str = "us",
        accounts_url: str | None = None,
        api_base_url: str | None = None,
        api_version: str = "v8",
        box: SecretBox | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        missing = [name for name, value in (("client_id", client_id), ("client_secret", client_secret)) if not value]
        if not refresh_token:
            missing.append("refresh_token")
        if missing:
            raise ConfigError(
                "[zoho] auth = oauth needs " + ", ".join(missing) + ": run `leadflow auth zoho` or set"
                " LEADFLOW_ZOHO_" + "/LEADFLOW_ZOHO_".join(name.upper() for name in missing)
            )
        if data_centre not in DATA_CENTRES:
            raise ConfigError(f"[zoho] data_centre: unknown {data_centre!r}; use one of {', '.join(DATA_CENTRES)}")
        self.client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self.http = http
        self.engine = engine
        self.data_centre = data_centre
        self.accounts_url = (accounts_url or DATA_CENTRES[data_centre].accounts_url).rstrip("/")
        self.api_base_url = api_base_url.rstrip("/") if api_base_url else None
        self.api_version = api_version
        self.box = box
        self.clock = clock
        self.key = hashlib.sha256(f"{client_id}:{refresh_token}".encode()).hexdigest()[:32]
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at: datetime | None = None
        self._api_domain: str | None = None
        self.refreshes = 0

    def api_root(self) -> str:
        """Where API calls go: the override, else the token's ``api_domain``, else the data centre's host."""
        if self.api_base_url:
            return self.api_base_url
        if self._api_domain is None:
            self._current_token()
        return self._api_domain or DATA_CENTRES[self.data_centre].api_url

    def auth_headers(self) -> Mapping[str, str]:
        return {"Authorization": f"Zoho-oauthtoken {self._current_token()}"}

    def should_refresh(self, response: httpx.Response) -> bool:
        return _is_invalid_token(response)

    def refresh(self, rejected: Mapping[str, str]) -> None:
        """Get a new token unless another thread or process already replaced the rejected one."""
        rejected_token = _bearer(rejected)
        with self._lock:
            if self._token is not None and self._token != rejected_token and self._fresh(self._expires_at):
                return
            self._refresh_locked(rejected_token)

    def _current_token(self) -> str:
        token, expires_at = self._token, self._expires_at
        if token is not None and self._fresh(expires_at):
            return token
        with self._lock:
            if self._token is not None and self._fresh(self._expires_at):
                return self._token
            with self.engine.connect() as connection:
                cached = repo.get_token(connection, key=self.key)
            readable = self._decrypt(cached) if cached is not None and self._fresh(cached.expires_at) else None
            if cached is not None and readable is not None:
                self._adopt(readable, cached.expires_at, cached.api_domain)
            else:
                self._refresh_locked(None)
            assert self._token is not None
            return self._token

    def _refresh_locked(self, rejected: str | None) -> None:
        with self.engine.begin() as connection:
            row = repo.lock_token(connection, key=self.key)
            stored = self._decrypt(row) if self._fresh(row.expires_at) else None
            if stored is not None and stored != rejected:
                self._adopt(stored, row.expires_at, row.api_domain)
                return
            reply = token_request(
                self.http,
                self.accounts_url,
                {
                    "grant_type": "refresh_token",
                    "client_id": self.client_id,
                    "client_secret": self._client_secret,
                    "refresh_token": self._refresh_token,
                },
                now=self.clock,
            )
            repo.save_token(
                connection,
                key=self.key,
                access_token=self.box.encrypt(reply.access_token) if self.box else reply.access_token,
                encrypted=self.box is not None,
                api_domain=reply.api_domain,
                expires_at=reply.expires_at,
            )
        self.refreshes += 1
        self._adopt(reply.access_token, reply.expires_at, reply.api_domain)

    def _decrypt(self, row: repo.CachedToken) -> str | None:
        """The cached token in clear, or ``None`` when it cannot be read here (then it is simply replaced)."""
        if not row.access_token:
            return None
        if not row.encrypted:
            return row.access_token
        if self.box is None:
            return None
        try:
            return self.box.decrypt(row.access_token)
        except ConfigError:
            return None

    def _adopt(self, token: str, expires_at: datetime | None, api_domain: str | None) -> None:
        self._token, self._expires_at = token, expires_at
        if api_domain:
            self._api_domain = api_domain.rstrip("/")

    def _fresh(self, expires_at: datetime | None) -> bool:
        return expires_at is not None and expires_at - REFRESH_EARLY > self.clock()


class ProxyAuth:
    """An auth proxy holds the credentials: no OAuth header, replies wrapped in ``{"output": ...}``.

    Example:
        >>> auth = ProxyAuth("https://proxy.example/zoho/crm/v2/")
        >>> auth.api_root(), auth.api_version
        ('https://proxy.example/zoho', 'v2')
    """

    mode = "proxy"
    envelope = True

    def __init__(self, base_url: str) -> None:
        match = _PROXY_BASE.match(base_url.strip())
        if not match:
            raise ConfigError(
                f"[zoho] api_base_url {base_url!r}: in proxy mode it must end in crm/v2/ or crm/v8/"
                " (the proxy's base URL plus the CRM path)"
            )
        self._root = match.group("root").rstrip("/")
        self.api_version = match.group("version")
        self.data_centre: str | None = None

    def api_root(self) -> str:
        return self._root

    def auth_headers(self) -> Mapping[str, str]:
        return {}

    def should_refresh(self, response: httpx.Response) -> bool:
        return False

    def refresh(self, rejected: Mapping[str, str]) -> None:  # pragma: no cover - should_refresh is always False
        return None


class StaticTokenAuth:
    """A fixed access token (from ``LEADFLOW_ZOHO_ACCESS_TOKEN``); an expired one is reported, not refreshed.

    Example:
        >>> StaticTokenAuth("1000.abc", api_root="https://www.zohoapis.eu").auth_headers()
        {'Authorization': 'Zoho-oauthtoken 1000.abc'}
    """

    mode = "token"
    envelope = False

    def __init__(
        self, access_token: str, *, api_root: str, api_version: str = "v8", data_centre: str | None = None
    ) -> None:
        if not access_token:
            raise ConfigError("[zoho] auth = token needs access_token: set LEADFLOW_ZOHO_ACCESS_TOKEN")
        self._token = access_token
        self._root = api_root.rstrip("/")
        self.api_version = api_version
        self.data_centre = data_centre

    def api_root(self) -> str:
        return self._root

    def auth_headers(self) -> Mapping[str, str]:
        return {"Authorization": f"Zoho-oauthtoken {self._token}"}

    def should_refresh(self, response: httpx.Response) -> bool:
        return _is_invalid_token(response)

    def refresh(self, rejected: Mapping[str, str]) -> None:
        raise AuthExpired(
            "Zoho refused the static access token (expired or revoked; they live one hour): set a new"
            " LEADFLOW_ZOHO_ACCESS_TOKEN, or use auth = oauth with a refresh token",
            status=401,
            vendor_code="INVALID_TOKEN",
        )


ZohoAuth = OAuthRefreshAuth | ProxyAuth | StaticTokenAuth
