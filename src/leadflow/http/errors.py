"""Turning an HTTP response into the typed errors of :mod:`leadflow.errors`, vendor-neutral defaults."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from leadflow.errors import ApiError, AuthError, AuthExpired, RateLimited, TransientError

REQUEST_ID_HEADERS = ("x-request-id", "x-zcrm-request-id", "x-zoho-request-id", "request-id", "x-amzn-requestid")

ErrorMapper = Callable[[httpx.Response], ApiError]


def request_id_of(response: httpx.Response) -> str | None:
    """The request id a server put in its reply headers, if any.

    Example:
        >>> request_id_of(httpx.Response(200, headers={"X-Request-Id": "r-1"}))
        'r-1'
    """
    for name in REQUEST_ID_HEADERS:
        value = response.headers.get(name)
        if value:
            return str(value)
    return None


def error_class_for(status: int) -> type[ApiError]:
    """The error class a status maps to: 401 expired, 403 refused, 429 rate, 5xx transient, else plain.

    Example:
        >>> error_class_for(429).__name__
        'RateLimited'
    """
    if status == 401:
        return AuthExpired
    if status == 403:
        return AuthError
    if status == 429:
        return RateLimited
    if status >= 500:
        return TransientError
    return ApiError


def default_error(response: httpx.Response) -> ApiError:
    """An error from any response: the class by status, the message from a JSON ``message``/``error`` or the text.

    Example:
        >>> str(default_error(httpx.Response(503, json={"message": "busy", "code": "DOWN"})))
        'busy code=DOWN status=503'
    """
    message = response.reason_phrase or f"HTTP {response.status_code}"
    code: str | None = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        message = str(body.get("message") or body.get("error") or message)
        raw_code = body.get("code") or body.get("error")
        code = str(raw_code) if raw_code is not None else None
    elif response.text:
        message = response.text[:300]
    return error_class_for(response.status_code)(
        message, status=response.status_code, vendor_code=code, request_id=request_id_of(response)
    )
