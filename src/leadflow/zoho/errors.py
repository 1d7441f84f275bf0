"""Zoho's error envelopes turned into the typed errors of :mod:`leadflow.errors`."""

from __future__ import annotations

from typing import Any

import httpx

from leadflow.errors import ApiError, AuthError, AuthExpired, RateLimited, TransientError
from leadflow.http.errors import error_class_for, request_id_of

# Request-level codes whose meaning does not follow from the HTTP status alone.
_AUTH_EXPIRED = frozenset({"INVALID_TOKEN", "AUTHENTICATION_FAILURE"})
_AUTH_REFUSED = frozenset({"OAUTH_SCOPE_MISMATCH", "NO_PERMISSION", "INVALID_CLIENT", "OAUTH_NOT_SUPPORTED"})
_RATE = frozenset({"TOO_MANY_REQUESTS", "LIMIT_EXCEEDED", "API_LIMIT_EXCEEDED"})
_HINTS = {
    "OAUTH_SCOPE_MISMATCH": "the token lacks a scope this call needs: run `leadflow auth zoho` again (it asks for all)",
    "INVALID_MODULE": "no such module in this org: check the API name in `leadflow zoho fields`",
    "PAGINATION_LIMIT_EXCEEDED": "more than 100,000 records: read them with zoho.bulk.read instead",
    "DISCRETE_PAGINATION_LIMIT_EXCEEDED": "past page 10: page on with page_token",
    "LIMIT_REACHED": "search returns at most 2,000 records: narrow the criteria or use COQL",
}

# What each OAuth token endpoint error means and what to do about it.
TOKEN_ERROR_HINTS = {
    "invalid_code": (
        "the grant code expired (grant codes live 3 minutes; Self Client codes too) or the refresh token was"
        " revoked: run `leadflow auth zoho` again"
    ),
    "invalid_client": (
        "Zoho does not know this client id here: check [zoho] client_id and that data_centre matches the"
        " data centre the client was registered in"
    ),
    "invalid_client_secret": "the client secret is wrong: set LEADFLOW_ZOHO_CLIENT_SECRET from the API console",
    "invalid_redirect_uri": "the redirect URI differs from the one registered for this client in the API console",
    "invalid_scope": "a requested scope does not exist: check --scopes",
    "unsupported_grant_type": "the accounts server refused the grant type: check accounts_url",
    "access_denied": "Zoho refused too many token requests in a row: wait a few minutes and try again",
    "invalid_refresh_token": "the refresh token is not valid: run `leadflow auth zoho` again",
}


class TokenError(AuthError):
    """The OAuth token endpoint refused a grant (Zoho answers HTTP 200 with ``{"error": ...}``).

    Example:
        >>> err = TokenError.from_reply({"error": "invalid_code"})
        >>> "leadflow auth zoho" in str(err)
        True
    """

    @classmethod
    def from_reply(cls, body: dict[str, Any], *, status: int | None = 200) -> TokenError:
        code = str(body.get("error") or "unknown_error")
        hint = TOKEN_ERROR_HINTS.get(code, f"the accounts server said {code!r}: check the [zoho] settings")
        detail = body.get("error_description")
        message = f"Zoho token request failed ({code}): {hint}" + (f" ({detail})" if detail else "")
        return cls(message, status=status, vendor_code=code, details={k: v for k, v in body.items() if k != "error"})


def zoho_error(response: httpx.Response, body: Any = None) -> ApiError:
    """The typed error for a Zoho error reply (``{"code", "message", "status", "details"}``), any status.

    Example:
        >>> reply = httpx.Response(401, json={"code": "INVALID_TOKEN", "message": "invalid oauth token",
        ...                                   "status": "error", "details": {}})
        >>> type(zoho_error(reply)).__name__
        'AuthExpired'
    """
    if body is None:
        try:
            body = response.json()
        except ValueError:
            body = None
    if isinstance(body, dict) and isinstance(body.get("output"), dict):
        body = body["output"]
    code: str | None = None
    message = response.reason_phrase or f"HTTP {response.status_code}"
    details: dict[str, Any] = {}
    if isinstance(body, dict):
        item: Any = body
        # Some request-level errors come back wrapped in a one-item data list.
        if "code" not in body and isinstance(body.get("data"), list) and body["data"]:
            item = body["data"][0]
        if isinstance(item, dict):
            code = str(item["code"]) if item.get("code") is not None else None
            message = str(item.get("message") or message)
            raw_details = item.get("details")
            details = dict(raw_details) if isinstance(raw_details, dict) else {}
    elif response.text:
        message = response.text[:300]
    if code in _HINTS:
        message = f"{message}: {_HINTS[code]}"
    cls: type[ApiError]
    if code in _AUTH_EXPIRED:
        cls = AuthExpired
    elif code in _AUTH_REFUSED:
        cls = AuthError
    elif code in _RATE or response.status_code == 429:
        cls = RateLimited
    elif response.status_code >= 500:
        cls = TransientError
    else:
        cls = error_class_for(response.status_code)
    return cls(
        message, status=response.status_code, vendor_code=code, details=details, request_id=request_id_of(response)
    )
