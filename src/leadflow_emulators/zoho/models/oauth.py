"""Zoho's accounts server: OAuth clients, grant codes, refresh and access tokens, scopes.

Zoho's rules: grant codes are one-time and live 3 minutes; access tokens live 1 hour; at most 15 access
tokens are active per refresh token (the 16th invalidates the oldest); errors are HTTP 200 with
``{"error": "invalid_code"}`` and friends.

Example:
    >>> from leadflow_emulators.common.clock import Clock
    >>> from leadflow_emulators.common.ids import IdGenerator
    >>> server = OAuthServer(Clock(frozen=True), IdGenerator(seed=1))
    >>> server.register_client("1000.A", "secret", refresh_token="1000.r")
    >>> reply = server.token({"grant_type": "refresh_token", "client_id": "1000.A",
    ...                       "client_secret": "secret", "refresh_token": "1000.r"}, api_domain="http://x")
    >>> reply["expires_in"], "refresh_token" in reply
    (3600, False)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from leadflow_emulators.common.clock import Clock
from leadflow_emulators.common.ids import IdGenerator
from leadflow_emulators.zoho.exceptions import ZohoError

ACCESS_TOKEN_SECONDS = 3600
GRANT_CODE_SECONDS = 180
MAX_ACCESS_TOKENS = 15
DEFAULT_SCOPE = (
    "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.users.ALL,ZohoCRM.org.ALL,"
    "ZohoCRM.bulk.ALL,ZohoCRM.coql.READ,ZohoCRM.notifications.ALL,"
    "ZohoCRM.composite_requests.CUSTOM,ZohoCRM.functions.execute.READ,ZohoCRM.functions.execute.CREATE,"
    "ZohoCRM.send_mail.all.CREATE,ZohoFiles.files.ALL"
)
_WRITE_ACTIONS = ("CREATE", "UPDATE", "DELETE")


def scope_allows(scope: str, family: str, action: str, target: str | None = None) -> bool:
    """Whether a comma-separated scope string grants ``action`` on ``family`` (and ``target``).

    Example:
        >>> scope_allows("ZohoCRM.modules.leads.READ", "modules", "READ", "Leads")
        True
        >>> scope_allows("ZohoCRM.modules.leads.READ", "modules", "CREATE", "Leads")
        False
    """
    for item in scope.replace(" ", ",").split(","):
        parts = item.strip().split(".")
        if len(parts) < 3 or parts[1].lower() != family.lower():
            continue
        if family == "files" and parts[0].lower() != "zohofiles":
            continue
        if family != "files" and parts[0].lower() != "zohocrm":
            continue
        operation = parts[-1].upper()
        middle = [part.lower() for part in parts[2:-1]]
        if operation not in ("ALL", action.upper()) and not (operation == "WRITE" and action.upper() in _WRITE_ACTIONS):
            continue
        if middle and target is not None and middle[0] not in (target.lower(), "all", "custom"):
            continue
        return True
    return False


class OAuthServer:
    """Clients, grant codes and tokens of the emulated accounts server. Thread-safe."""

    def __init__(self, clock: Clock, ids: IdGenerator, on_change: Callable[[], None] | None = None) -> None:
        self._clock = clock
        self._ids = ids
        self._lock = threading.RLock()
        self._on_change = on_change or (lambda: None)
        self.clients: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: dict[str, dict[str, Any]] = {}
        self.access_tokens: dict[str, dict[str, Any]] = {}
        self._by_refresh: dict[str, OrderedDict[str, None]] = {}
        self.grants: dict[str, dict[str, Any]] = {}
        self.issued = 0

    # ----------------------------------------------------------- registration
    def register_client(
        self,
        client_id: str,
        client_secret: str,
        *,
        redirect_uris: list[str] | None = None,
        refresh_token: str | None = None,
        scope: str = DEFAULT_SCOPE,
    ) -> None:
        """Register (or replace) a client; optionally give it a ready refresh token."""
        with self._lock:
            self.clients[client_id] = {"client_secret": client_secret, "redirect_uris": list(redirect_uris or [])}
            if refresh_token:
                self.refresh_tokens[refresh_token] = {"client_id": client_id, "scope": scope}
            self._on_change()

    def _token(self) -> str:
        return f"1000.{self._ids.token(16)}.{self._ids.token(16)}"

    # ------------------------------------------------------------- consent
    def authorize(self, params: Mapping[str, str]) -> tuple[str | None, str | None]:
        """``GET /oauth/v2/auth``: (grant code, None) or (None, error)."""
        with self._lock:
            client = self.clients.get(params.get("client_id", ""))
            if client is None:
                return None, "invalid_client"
            if params.get("response_type", "code") != "code":
                return None, "unsupported_response_type"
            redirect = params.get("redirect_uri", "")
            if client["redirect_uris"] and redirect not in client["redirect_uris"]:
                return None, "invalid_redirect_uri"
            if not params.get("scope"):
                return None, "invalid_scope"
            code = self._token()
            self.grants[code] = {
                "client_id": params["client_id"],
                "scope": params["scope"],
                "redirect_uri": redirect,
                "offline": params.get("access_type", "online").lower() == "offline",
                "expires_at": self._clock.timestamp() + GRANT_CODE_SECONDS,
            }
            return code, None

    # --------------------------------------------------------------- tokens
    def _issue(self, client_id: str, scope: str, refresh_token: str | None) -> str:
        token = self._token()
        self.access_tokens[token] = {
            "client_id": client_id,
            "scope": scope,
            "refresh_token": refresh_token,
            "expires_at": self._clock.timestamp() + ACCESS_TOKEN_SECONDS,
        }
        self.issued += 1
        if refresh_token is not None:
            active = self._by_refresh.setdefault(refresh_token, OrderedDict())
            active[token] = None
            while len(active) > MAX_ACCESS_TOKENS:
                oldest, _ = active.popitem(last=False)
                self.access_tokens.pop(oldest, None)
        return token

    def token(self, form: Mapping[str, str], api_domain: str) -> dict[str, Any]:
        """``POST /oauth/v2/token``: a token reply or ``{"error": ...}`` (always HTTP 200)."""
        with self._lock:
            grant_type = form.get("grant_type", "")
            client_id = form.get("client_id", "")
            client = self.clients.get(client_id)
            if grant_type not in ("authorization_code", "refresh_token", "client_credentials"):
                return {"error": "unsupported_grant_type"}
            if client is None:
                return {"error": "invalid_client"}
            if form.get("client_secret") != client["client_secret"]:
                return {"error": "invalid_client_secret"}
            reply: dict[str, Any]
            if grant_type == "refresh_token":
                info = self.refresh_tokens.get(form.get("refresh_token", ""))
                if info is None or info["client_id"] != client_id:
                    return {"error": "invalid_code"}
                access = self._issue(client_id, info["scope"], form["refresh_token"])
                reply = {"access_token": access, "scope": info["scope"]}
            elif grant_type == "authorization_code":
                grant = self.grants.pop(form.get("code", ""), None)
                if grant is None or grant["client_id"] != client_id or grant["expires_at"] <= self._clock.timestamp():
                    return {"error": "invalid_code"}
                if grant["redirect_uri"] and form.get("redirect_uri", grant["redirect_uri"]) != grant["redirect_uri"]:
                    return {"error": "invalid_redirect_uri"}
                refresh = None
                if grant["offline"]:
                    refresh = self._token()
                    self.refresh_tokens[refresh] = {"client_id": client_id, "scope": grant["scope"]}
                access = self._issue(client_id, grant["scope"], refresh)
                reply = {"access_token": access}
                if refresh:
                    reply["refresh_token"] = refresh
                reply["scope"] = grant["scope"]
            else:
                scope = form.get("scope", "")
                if not scope:
                    return {"error": "invalid_scope"}
                access = self._issue(client_id, scope, None)
                reply = {"access_token": access, "scope": scope}
            self._on_change()
            reply.update({"api_domain": api_domain, "token_type": "Bearer", "expires_in": ACCESS_TOKEN_SECONDS})
            return reply

    def revoke(self, token: str) -> dict[str, Any]:
        """Revoke a refresh token (and the access tokens it issued) or a single access token."""
        with self._lock:
            if token in self.refresh_tokens:
                del self.refresh_tokens[token]
                for access in self._by_refresh.pop(token, {}):
                    self.access_tokens.pop(access, None)
                self._on_change()
                return {"status": "success"}
            if token in self.access_tokens:
                del self.access_tokens[token]
                self._on_change()
                return {"status": "success"}
            return {"error": "invalid_token", "status": "failure"}

    def check(self, authorization: str | None) -> dict[str, Any]:
        """The token behind an ``Authorization: Zoho-oauthtoken ...`` header, or Zoho's 401 error."""
        if not authorization:
            raise ZohoError.auth_failure()
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() not in ("zoho-oauthtoken", "bearer") or not token:
            raise ZohoError.invalid_token()
        with self._lock:
            info = self.access_tokens.get(token.strip())
            if info is None or info["expires_at"] <= self._clock.timestamp():
                raise ZohoError.invalid_token()
            return info

    def expire_access_tokens(self) -> int:
        """Invalidate every access token now (as if an hour had passed for them); returns how many."""
        with self._lock:
            count = len(self.access_tokens)
            self.access_tokens.clear()
            self._by_refresh.clear()
            self._on_change()
            return count

    # ---------------------------------------------------------- persistence
    def dump(self) -> dict[str, Any]:
        with self._lock:
            return {
                "clients": self.clients,
                "refresh_tokens": self.refresh_tokens,
                "access_tokens": self.access_tokens,
                "by_refresh": {key: list(value) for key, value in self._by_refresh.items()},
            }

    def load(self, state: dict[str, Any]) -> None:
        with self._lock:
            self.clients.update(state.get("clients", {}))
            self.refresh_tokens.update(state.get("refresh_tokens", {}))
            self.access_tokens.update(state.get("access_tokens", {}))
            for key, tokens in state.get("by_refresh", {}).items():
                self._by_refresh[key] = OrderedDict((token, None) for token in tokens)

    def stats(self) -> dict[str, int]:
        now = self._clock.timestamp()
        with self._lock:
            return {
                "clients": len(self.clients),
                "refresh_tokens": len(self.refresh_tokens),
                "active_access_tokens": sum(1 for info in self.access_tokens.values() if info["expires_at"] > now),
                "issued": self.issued,
            }
