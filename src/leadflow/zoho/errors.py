"""Zoho's error envelopes turned into the typed errors of :mod:`leadflow.errors`."""

from __future__ import annotations

import re
from typing import Any

import httpx

from leadflow.errors import (
    ApiError,
    AuthError,
    AuthExpired,
    Duplicate,
    FieldProblem,
    NotFound,
    RateLimited,
    TransientError,
    Unreachable,
    ValidationFailed,
)
from leadflow.http.errors import DefaultErrors, error_class_for, request_id_of

# Request-level codes whose meaning does not follow from the HTTP status alone.
_AUTH_EXPIRED = frozenset({"INVALID_TOKEN", "AUTHENTICATION_FAILURE"})
_AUTH_REFUSED = frozenset({"OAUTH_SCOPE_MISMATCH", "NO_PERMISSION", "INVALID_CLIENT", "OAUTH_NOT_SUPPORTED"})
_CRM_PATH = re.compile(r"/crm/(?:bulk/)?v[0-9.]+/(.*)$")
_RATE = frozenset({"TOO_MANY_REQUESTS", "LIMIT_EXCEEDED", "API_LIMIT_EXCEEDED"})
_NOT_FOUND = frozenset({"RECORD_NOT_FOUND", "NOT_FOUND", "INVALID_MODULE", "INVALID_URL_PATTERN", "NO_RECORDS_FOUND"})
DUPLICATE_CODES = frozenset({"DUPLICATE_DATA", "DUPLICATE_RECORD", "DUPLICATE_TAG_NAME"})
_INVALID = frozenset(
    {
        "INVALID_DATA",
        "MANDATORY_NOT_FOUND",
        "REQUIRED_PARAM_MISSING",
        "DEPENDENT_FIELD_MISSING",
        "PATTERN_NOT_MATCHED",
        "DATA_MISMATCH",
        "INVALID_QUERY",
        "SYNTAX_ERROR",
        "INVALID_REQUEST",
        "INVALID_REQUEST_METHOD",
        "AMBIGUITY_DURING_PROCESSING",
        "LIMIT_REACHED",
        "PAGINATION_LIMIT_EXCEEDED",
        "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
    }
)
_HINTS = {
    "OAUTH_SCOPE_MISMATCH": "the token lacks a scope this call needs: run `leadflow auth zoho` again (it asks for all)",
    "INVALID_MODULE": "module API names are case-sensitive and may differ from the label (Leads, Contacts...)",
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
    explained = False
    if code == "INVALID_MODULE":
        named = _module_named(response)
        message = f"Zoho has no module {named!r} in this org" if named else "Zoho has no such module in this org"
        explained = True
    if code in _HINTS:
        message = f"{message}: {_HINTS[code]}"
    status = response.status_code
    request_id = request_id_of(response)
    if status < 500 and code in DUPLICATE_CODES:
        return Duplicate(
            message,
            existing_id=duplicate_record_id(details),
            field=str(details["api_name"]) if details.get("api_name") else None,
            status=status,
            vendor_code=code,
            details=details,
            request_id=request_id,
        )
    if status < 500 and code in _INVALID and not _names_a_path_part(details):
        return ValidationFailed(
            message,
            problems=[_problem(details, message)] if details else [],
            status=status,
            vendor_code=code,
            details=details,
            request_id=request_id,
        )
    cls: type[ApiError]
    if code in _AUTH_EXPIRED:
        cls = AuthExpired
    elif code in _AUTH_REFUSED:
        cls = AuthError
    elif code in _RATE or status == 429:
        cls = RateLimited
    elif status >= 500:
        cls = TransientError
    elif code in _NOT_FOUND or (code == "INVALID_DATA" and _names_a_path_part(details)):
        cls = NotFound
    else:
        cls = error_class_for(status)
    return cls(
        message, status=status, vendor_code=code, details=details, request_id=request_id, details_explained=explained
    )


def _module_named(response: httpx.Response) -> str | None:
    """The module a refused call named: its ``module`` parameter, else the path part Zoho points at."""
    try:
        url = response.request.url
    except RuntimeError:  # a response built without its request
        return None
    if url.params.get("module"):
        return str(url.params["module"])
    match = _CRM_PATH.search(url.path)
    return match.group(1).split("/")[0] if match and match.group(1) else None


def _names_a_path_part(details: dict[str, Any]) -> bool:
    """Zoho says which part of the URL it could not find with ``resource_path_index`` (an id, a module)."""
    return "resource_path_index" in details


def duplicate_record_id(details: dict[str, Any]) -> str | None:
    """The id of the record that already holds a unique value, from a ``DUPLICATE_DATA`` error's details.

    Example:
        >>> duplicate_record_id({"api_name": "Email", "duplicate_record": {"id": "5725767000000412001"}})
        '5725767000000412001'
    """
    held = details.get("duplicate_record")
    if isinstance(held, dict) and held.get("id") is not None:
        return str(held["id"])
    return str(details["id"]) if details.get("id") is not None else None


def _problem(details: dict[str, Any], message: str) -> FieldProblem:
    field = details.get("api_name") or details.get("param_name")
    expected = details.get("expected_data_type")
    return FieldProblem(str(field) if field else None, message, expected=str(expected) if expected else None)


class ZohoErrors:
    """Zoho's error replies (the ``{"code", "message", "details", "status"}`` envelope) as typed errors, and an
    unreachable host named with the setting to check; ``envelope`` unwraps an auth proxy's ``{"output": ...}``.

    Example:
        >>> mapper = ZohoErrors(server="Zoho's accounts server", check="[zoho] accounts_url and the network")
        >>> str(mapper.unreachable("https://accounts.zoho.eu/oauth/v2/token", "connection refused"))
        "cannot reach Zoho's accounts server at https://accounts.zoho.eu (connection refused): check [zoho] \
accounts_url and the network"
    """

    def __init__(self, *, envelope: bool = False, server: str = "Zoho's API server", check: str) -> None:
        self.envelope = envelope
        self._unreachable = DefaultErrors(server, check)

    def from_response(self, response: httpx.Response) -> ApiError:
        return zoho_error(response, decode(response, envelope=self.envelope))

    def unreachable(self, url: str, reason: str) -> Unreachable:
        return self._unreachable.unreachable(url, reason)


def decode(response: httpx.Response, *, envelope: bool) -> Any:
    """The JSON body of a Zoho reply, ``None`` when there is none (204, 304, not JSON); an auth proxy's
    ``{"output": ...}`` envelope removed when ``envelope``.

    Example:
        >>> decode(httpx.Response(200, json={"output": {"data": []}}), envelope=True)
        {'data': []}
    """
    if response.status_code in (204, 304) or not response.content:
        return None
    content_type = response.headers.get("content-type", "")
    if "json" not in content_type and not response.content.lstrip().startswith((b"{", b"[")):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return unwrap(body, envelope=envelope)


def unwrap(body: Any, *, envelope: bool) -> Any:
    """Remove an auth proxy's ``{"output": ...}`` envelope; an empty output is no body.

    Example:
        >>> unwrap({"output": {"data": []}}, envelope=True)
        {'data': []}
    """
    if envelope and isinstance(body, dict) and "output" in body and len(body) <= 2:
        inner = body["output"]
        return inner if inner not in ("", {}) else None
    return body
