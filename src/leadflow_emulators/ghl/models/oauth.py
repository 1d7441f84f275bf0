"""Who may call: Private Integration Tokens and OAuth 2.0 (authorization code, rotating refresh tokens,
client credentials, location tokens from agency tokens), with expiry on the backend's clock.

A token is a ``Principal``: its class (``Location`` = sub-account, ``Company`` = agency), its location or
company, its scopes and the client (app) it belongs to, which is also the rate-limit key. Tokens,
refresh tokens and clients live in the backend's documents, so they survive a restart with ``--db``.

Example:
    >>> scope_ok({"contacts.readonly"}, "contacts.readonly"), scope_ok({"contacts.write"}, "contacts.readonly")
    (True, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadflow_emulators.ghl.exceptions import GhlError
from leadflow_emulators.ghl.models.core import Core

TOKEN_LIFETIME = 86_399
ALL_SCOPES = [
    "contacts.readonly",
    "contacts.write",
    "locations.readonly",
    "locations.write",
    "locations/customFields.readonly",
    "locations/customFields.write",
    "locations/customValues.readonly",
    "locations/customValues.write",
    "locations/tags.readonly",
    "locations/tags.write",
    "opportunities.readonly",
    "opportunities.write",
    "workflows.readonly",
    "conversations.readonly",
    "conversations.write",
    "conversations/message.readonly",
    "conversations/message.write",
    "calendars.readonly",
    "calendars.write",
    "calendars/events.readonly",
    "calendars/events.write",
    "users.readonly",
    "oauth.readonly",
    "oauth.write",
]


def scope_ok(granted: set[str], needed: str | None) -> bool:
    """A ``.write`` scope does not imply ``.readonly`` in GHL: each must be granted."""
    return needed is None or needed in granted


_SNAKE = {
    "clientId": "client_id",
    "clientSecret": "client_secret",
    "grantType": "grant_type",
    "refreshToken": "refresh_token",
    "userType": "user_type",
    "redirectUri": "redirect_uri",
}
_CAMEL = {
    "access_token": "accessToken",
    "token_type": "tokenType",
    "expires_in": "expiresIn",
    "refresh_token": "refreshToken",
}


def camel_case(answer: dict[str, Any]) -> dict[str, Any]:
    """A v2 token answer in the v3 spelling (``accessToken``, ``expiresIn``...)."""
    return {_CAMEL.get(key, key): value for key, value in answer.items()}


@dataclass(frozen=True)
class Principal:
    token: str
    user_type: str  # "Location" or "Company"
    client_id: str
    scopes: frozenset[str]
    location_id: str | None
    company_id: str
    user_id: str

    @property
    def limit_key(self) -> str:
        return f"{self.client_id}:{self.location_id or self.company_id}"


class OAuth:
    def __init__(self, core: Core, company_id: str) -> None:
        self.core = core
        self.company_id = company_id

    # ------------------------------------------------------------ registration (CLI, control plane)
    def register_pit(self, token: str, scopes: list[str] | None = None) -> None:
        self.core.docs.put(
            "token",
            {
                "id": token,
                "userType": "Location",
                "clientId": f"pit-{token[-8:]}",
                "scopes": scopes or list(ALL_SCOPES),
                "locationId": self.core.location_id,
                "companyId": self.company_id,
                "userId": "",
                "expiresAt": None,
            },
        )

    def register_client(self, client_id: str, client_secret: str, scopes: list[str] | None = None) -> dict[str, Any]:
        doc = {"id": client_id, "secret": client_secret, "scopes": scopes or list(ALL_SCOPES)}
        self.core.docs.put("oauth_client", doc)
        return doc

    def issue_code(self, client_id: str, user_type: str = "Location", scopes: list[str] | None = None) -> str:
        client = self._client(client_id)
        if user_type not in ("Location", "Company"):
            raise ValueError("user_type must be Location or Company")
        code = self.core.ids.token()
        self.core.docs.put(
            "oauth_code",
            {"id": code, "clientId": client_id, "userType": user_type, "scopes": scopes or client["scopes"]},
        )
        return code

    # ------------------------------------------------------------ /oauth/token
    def token(self, form: dict[str, str]) -> dict[str, Any]:
        """A grant for a v2 form (``client_id``...) answered in snake_case, or for a v3 one (``clientId``...,
        what the official SDK sends) answered in camelCase, as each spec describes."""
        if "clientId" in form:
            snake = {_SNAKE.get(key, key): value for key, value in form.items()}
            return camel_case(self._token(snake))
        return self._token(form)

    def _token(self, form: dict[str, str]) -> dict[str, Any]:
        client = self.core.docs.get("oauth_client", form.get("client_id", ""))
        if client is None or client["secret"] != form.get("client_secret"):
            raise GhlError(401, "Invalid client: client credentials are invalid", error="UnAuthorized")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            code = self.core.docs.delete("oauth_code", form.get("code", ""))
            if code is None or code["clientId"] != client["id"]:
                raise GhlError(401, "Invalid grant: authorization code is invalid", error="UnAuthorized")
            return self._grant(client["id"], code["userType"], code["scopes"], refresh=True)
        if grant == "refresh_token":
            refresh = self.core.docs.get("refresh_token", form.get("refresh_token", ""))
            if refresh is None or refresh["clientId"] != client["id"] or refresh["used"]:
                raise GhlError(401, "Invalid grant: refresh token is invalid", error="UnAuthorized")
            self.core.docs.put("refresh_token", {**refresh, "used": True})  # rotation: the old one dies now
            return self._grant(client["id"], refresh["userType"], refresh["scopes"], refresh=True)
        if grant == "client_credentials":
            return self._grant(client["id"], "Company", client["scopes"], refresh=False)
        raise GhlError.unprocessable(
            ["grant_type must be one of the following values: authorization_code, refresh_token, client_credentials"]
        )

    def location_token(self, principal: Principal, form: dict[str, str]) -> dict[str, Any]:
        if form.get("companyId") != principal.company_id:
            raise GhlError.bad_request("companyId does not match the token's company")
        if form.get("locationId") != self.core.location_id:
            raise GhlError.bad_request("The app is not installed on this location")
        grant = self._grant(principal.client_id, "Location", sorted(principal.scopes), refresh=False)
        return {
            k: v for k, v in grant.items() if k not in ("refresh_token", "companyId", "userType", "approvedLocations")
        }

    def installed_locations(self, principal: Principal, params: dict[str, str], *, v3: bool = False) -> dict[str, Any]:
        if params.get("companyId") != principal.company_id:
            raise GhlError.bad_request("companyId does not match the token's company")
        location = self.core.location()
        entry = {"_id": location["id"], "name": location["name"], "address": location["address"], "isInstalled": True}
        if v3:
            pagination = {"totalRecords": 1, "hasNextPage": False, "hasPrevPage": False, "currentPageSize": 1}
            return {"items": [entry], "pagination": pagination, "installToFutureLocations": True}
        return {"locations": [entry], "count": 1, "installToFutureLocations": True}

    def _grant(self, client_id: str, user_type: str, scopes: list[str], *, refresh: bool) -> dict[str, Any]:
        access = self.core.ids.token()
        location_id = self.core.location_id if user_type == "Location" else None
        self.core.docs.put(
            "token",
            {
                "id": access,
                "userType": user_type,
                "clientId": client_id,
                "scopes": scopes,
                "locationId": location_id,
                "companyId": self.company_id,
                "userId": "emulatorInstallUser",
                "expiresAt": self.core.clock.timestamp() + TOKEN_LIFETIME,
            },
        )
        answer: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "scope": " ".join(scopes),
            "userType": user_type,
            "companyId": self.company_id,
            "userId": "emulatorInstallUser",
        }
        if location_id:
            answer["locationId"] = location_id
        else:
            answer["approvedLocations"] = [self.core.location_id]
        if refresh:
            refresh_token = self.core.ids.token()
            self.core.docs.put(
                "refresh_token",
                {"id": refresh_token, "clientId": client_id, "userType": user_type, "scopes": scopes, "used": False},
            )
            answer["refresh_token"] = refresh_token
        return answer

    def _client(self, client_id: str) -> dict[str, Any]:
        client = self.core.docs.get("oauth_client", client_id)
        if client is None:
            raise ValueError(f"unknown OAuth client {client_id}")
        return client

    # ------------------------------------------------------------ checking a request
    def authenticate(self, authorization: str | None) -> Principal:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise GhlError.invalid_token()
        token = authorization[7:].strip()
        doc = self.core.docs.get("token", token)
        if doc is None:
            raise GhlError.invalid_token()
        if doc["expiresAt"] is not None and self.core.clock.timestamp() >= doc["expiresAt"]:
            raise GhlError.token_expired()
        return Principal(
            token=token,
            user_type=doc["userType"],
            client_id=doc["clientId"],
            scopes=frozenset(doc["scopes"]),
            location_id=doc["locationId"],
            company_id=doc["companyId"],
            user_id=doc["userId"],
        )

    def expire_all(self) -> int:
        expired = 0
        for doc in self.core.docs.all("token"):
            if doc["expiresAt"] is not None:
                self.core.docs.put("token", {**doc, "expiresAt": self.core.clock.timestamp() - 1})
                expired += 1
        return expired
