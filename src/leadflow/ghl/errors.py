"""GoHighLevel's error replies turned into the typed errors every leadflow client shares.

GHL answers errors as ``{"statusCode": 400, "message": "...", "error": "Bad Request", "traceId": "..."}``;
``message`` may be a list (validation, 422), and duplicate refusals carry ``meta`` (``contactId`` or
``existingId``, ``matchingField``). The ``traceId`` and ``meta`` stay in the error's ``details``.
"""

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
from leadflow.http.errors import origin_of

DUPLICATE_CONTACT = "This location does not allow duplicated contacts."
_INVALID_TOKEN = ("invalid jwt", "jwt expired", "invalid token", "token expired")
_PROPERTY = re.compile(r"^property (\S+) should not exist$")
_HINTS = {
    "version header was not found.": "every call needs GHL's Version header: this is a leadflow bug, please report it",
    "The token is not authorized for this scope.": (
        "the token lacks a scope this call needs: give the Private Integration (or the app) that scope"
    ),
}


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


def trace_id(error: ApiError) -> str | None:
    """The ``traceId`` GHL gave an error reply (quote it to GHL's support)."""
    value = error.details.get("traceId")
    return str(value) if value else None


def ghl_error(response: httpx.Response) -> ApiError:
    """The typed error for any GHL error reply.

    Example:
        >>> reply = httpx.Response(400, json={"statusCode": 400, "message": "This location does not allow"
        ...     " duplicated contacts.", "meta": {"contactId": "c1", "matchingField": "email"}, "traceId": "t"})
        >>> err = ghl_error(reply)
        >>> type(err).__name__, err.existing_id, err.field
        ('Duplicate', 'c1', 'email')
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
    request_id = str(details["traceId"]) if details.get("traceId") else None
    hint = _HINTS.get(message)
    if hint:
        message = f"{message} ({hint})"
    common: dict[str, Any] = {"status": status, "vendor_code": code, "details": details, "request_id": request_id}
    lowered = message.lower()
    if status == 401 and any(marker in lowered for marker in _INVALID_TOKEN):
        return AuthExpired(message, **common)
    if status in (401, 403):
        return AuthError(message, **common)
    if status == 429:
        return RateLimited(message, **common)
    if status >= 500:
        return TransientError(message, **common)
    found = meta_of(details)
    if "duplicate" in lowered and (found or DUPLICATE_CONTACT.lower() in lowered):
        existing = found.get("contactId") or found.get("existingId") or found.get("id")
        field = found.get("matchingField")
        return Duplicate(
            message, existing_id=str(existing) if existing else None, field=str(field) if field else None, **common
        )
    if status == 404 or (status == 400 and "not found" in lowered):
        return NotFound(message, **common)
    if status == 422:
        raw = body.get("message") if isinstance(body, dict) else None
        items = raw if isinstance(raw, list) else [message]
        problems = [_problem(str(item)) for item in items]
        return ValidationFailed(message, problems=problems, **common)
    return ApiError(message, **common)


def meta_of(details: dict[str, Any]) -> dict[str, Any]:
    value = details.get("meta")
    return dict(value) if isinstance(value, dict) else {}


def _problem(text: str) -> FieldProblem:
    match = _PROPERTY.match(text)
    if match:
        return FieldProblem(match.group(1), text)
    first = text.split(" ", 1)[0]
    return FieldProblem(first if first.isidentifier() else None, text)


class GhlErrors:
    """GoHighLevel's error mapper for the shared transport.

    Example:
        >>> str(GhlErrors().unreachable("https://services.leadconnectorhq.com/contacts/", "connection refused"))[:60]
        'cannot reach GoHighLevel at https://services.leadconnectorhq'
    """

    def from_response(self, response: httpx.Response) -> ApiError:
        return ghl_error(response)

    def unreachable(self, url: str, reason: str) -> Unreachable:
        return Unreachable(
            f"cannot reach GoHighLevel at {origin_of(url)} ({reason}): check [ghl] api_base_url and the network",
            url=url,
            reason=reason,
        )
