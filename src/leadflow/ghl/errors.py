"""GoHighLevel's error replies turned into the typed errors of :mod:`leadflow.errors`.

GHL answers errors as ``{"statusCode": 400, "message": "...", "error": "Bad Request", "traceId": "..."}``;
``message`` may be a list (validation), and duplicate refusals carry ``meta`` (``contactId``,
``matchingField``) — kept in the error's ``details`` so a caller can adopt the existing record.
"""

from __future__ import annotations

from typing import Any

import httpx

from leadflow.errors import ApiError, AuthError, AuthExpired, RateLimited, TransientError

DUPLICATE_CONTACT = "This location does not allow duplicated contacts."
_INVALID_TOKEN = ("invalid jwt", "jwt expired", "invalid token", "token expired", "unauthorized")
_HINTS = {
    "version header was not found.": "every call needs GHL's Version header: this is a leadflow bug, please report it",
    "The token is not authorized for this scope.": (
        "the token lacks a scope this call needs: give the Private Integration (or the app) that scope"
    ),
}


class GhlError(ApiError):
    """An error reply from GoHighLevel: HTTP status, message, ``traceId`` and ``meta``.

    Example:
        >>> err = GhlError("Contact not found", status=400, details={"traceId": "t-1"})
        >>> err.trace_id
        't-1'
    """

    @property
    def trace_id(self) -> str | None:
        value = self.details.get("traceId")
        return str(value) if value else None

    @property
    def meta(self) -> dict[str, Any]:
        value = self.details.get("meta")
        return dict(value) if isinstance(value, dict) else {}


class GhlAuthError(AuthError, GhlError):
    """GHL refused the credentials (wrong token class, missing scope, bad token)."""


class GhlAuthExpired(AuthExpired, GhlAuthError):
    """The access token expired or is invalid; an OAuth token may be refreshed."""


class GhlRateLimited(RateLimited, GhlError):
    """GHL's burst (100 per 10 s) or daily (200,000) limit refused the call."""


class GhlServerError(TransientError, GhlError):
    """A 5xx from GHL that outlived the retry policy."""


class GhlDuplicate(GhlError):
    """The location does not allow duplicates: ``existing_id`` names the record that already holds the key."""

    @property
    def existing_id(self) -> str | None:
        meta = self.meta
        value = meta.get("contactId") or meta.get("existingId") or meta.get("id")
        return str(value) if value else None

    @property
    def matching_field(self) -> str | None:
        value = self.meta.get("matchingField")
        return str(value) if value else None


def message_of(body: Any, fallback: str) -> str:
    """GHL's ``message`` (a string or a list of validation messages) as one line.

    Example:
        >>> message_of({"message": ["property foo should not exist", "email must be an email"]}, "x")
        'property foo should not exist; email must be an email'
    """
    if isinstance(body, dict):
        raw = body.get("message") if body.get("message") is not None else body.get("msg") or body.get("error")
        if isinstance(raw, list):
            return "; ".join(str(item) for item in raw) or fallback
        if raw:
            return str(raw)
    return fallback


def ghl_error(response: httpx.Response) -> ApiError:
    """The typed error for any GHL error reply.

    Example:
        >>> reply = httpx.Response(400, json={"statusCode": 400, "message": "This location does not allow"
        ...     " duplicated contacts.", "meta": {"contactId": "c1", "matchingField": "email"}, "traceId": "t"})
        >>> err = ghl_error(reply)
        >>> type(err).__name__, err.existing_id
        ('GhlDuplicate', 'c1')
    """
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    status = response.status_code
    message = message_of(body, response.reason_phrase or f"HTTP {status}")
    if not isinstance(body, dict) and response.text:
        message = response.text[:300]
    details: dict[str, Any] = {}
    if isinstance(body, dict):
        details = {key: body[key] for key in ("traceId", "meta", "error", "statusCode") if key in body}
    code = str(body.get("error")) if isinstance(body, dict) and body.get("error") else None
    hint = _HINTS.get(message)
    if hint:
        message = f"{message} ({hint})"
    cls: type[GhlError]
    lowered = message.lower()
    if status == 401 and any(marker in lowered for marker in _INVALID_TOKEN):
        cls = GhlAuthExpired
    elif status in (401, 403):
        cls = GhlAuthError
    elif status == 429:
        cls = GhlRateLimited
    elif status >= 500:
        cls = GhlServerError
    elif DUPLICATE_CONTACT.lower() in lowered or ("duplicate" in lowered and bool(details.get("meta"))):
        cls = GhlDuplicate
    else:
        cls = GhlError
    return cls(message, status=status, vendor_code=code, details=details, request_id=details.get("traceId"))
