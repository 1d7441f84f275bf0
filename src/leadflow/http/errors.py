"""Turning a failed call into the typed errors of :mod:`leadflow.errors`: the vendor-neutral defaults and the
protocol each vendor's error mapper follows."""

from __future__ import annotations

import errno
import socket
import ssl
from typing import Any, Protocol

import httpx

from leadflow.errors import (
    ApiError,
    AuthError,
    AuthExpired,
    Conflict,
    NotFound,
    RateLimited,
    TransientError,
    Unreachable,
    ValidationFailed,
)

REQUEST_ID_HEADERS = ("x-request-id", "x-zcrm-request-id", "x-zoho-request-id", "request-id", "x-amzn-requestid")


class ErrorMapper(Protocol):
    """What a vendor supplies to a :class:`~leadflow.http.Transport`: its error replies and unreachable hosts
    turned into typed errors.

    Example: :class:`DefaultErrors` (any JSON API), ``leadflow.zoho.errors.ZohoErrors`` (Zoho's envelope).
    """

    def from_response(self, response: httpx.Response) -> ApiError:
        """The typed error for an error reply (status 400 and above)."""
        ...

    def unreachable(self, url: str, reason: str) -> Unreachable:
        """The error for a call that could not connect to ``url``; ``reason`` is e.g. ``connection refused``."""
        ...


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
    """The error class a status maps to.

    401 expired, 403 refused, 404 not found, 409 conflict, 422 validation, 429 rate, 5xx transient, else plain.

    Example:
        >>> error_class_for(429).__name__, error_class_for(404).__name__
        ('RateLimited', 'NotFound')
    """
    if status == 401:
        return AuthExpired
    if status == 403:
        return AuthError
    if status == 404:
        return NotFound
    if status == 409:
        return Conflict
    if status == 422:
        return ValidationFailed
    if status == 429:
        return RateLimited
    if status >= 500:
        return TransientError
    return ApiError


def origin_of(url: str) -> str:
    """Scheme and host of ``url``, the part a person checks in their settings.

    Example:
        >>> origin_of("https://accounts.zoho.eu/oauth/v2/token?x=1")
        'https://accounts.zoho.eu'
    """
    parsed = httpx.URL(url)
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}"


def failure_reason(exc: BaseException) -> str:
    """A few words for why a request failed below HTTP (no connection, no answer), from httpx's exception chain.

    Example:
        >>> failure_reason(httpx.ConnectError("[Errno 111] Connection refused"))
        'connection refused'
        >>> failure_reason(httpx.ConnectTimeout("timed out"))
        'connection timed out'
    """
    if isinstance(exc, httpx.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, httpx.PoolTimeout):
        return "timed out waiting for a free connection"
    if isinstance(exc, httpx.ReadTimeout):
        return "timed out waiting for the answer"
    if isinstance(exc, httpx.WriteTimeout):
        return "timed out sending the request"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the server closed the connection before answering in full"
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for link in chain:
        if isinstance(link, socket.gaierror):
            return "host name not found"
        if isinstance(link, ssl.SSLError):
            return f"TLS handshake failed ({link.reason or link})"
        if isinstance(link, OSError) and link.errno is not None:
            return _ERRNO_REASONS.get(link.errno, (link.strerror or str(link)).lower())
    text = " ".join(str(link) for link in chain).lower()
    for needle, reason in _TEXT_REASONS:
        if needle in text:
            return reason
    return str(exc) or type(exc).__name__


_ERRNO_REASONS = {
    errno.ECONNREFUSED: "connection refused",
    errno.EHOSTUNREACH: "no route to host",
    errno.ENETUNREACH: "network unreachable",
    errno.ETIMEDOUT: "connection timed out",
    errno.ECONNRESET: "connection reset",
}
_TEXT_REASONS = (
    ("connection refused", "connection refused"),
    ("name or service not known", "host name not found"),
    ("nodename nor servname", "host name not found"),
    ("temporary failure in name resolution", "host name not found"),
    ("no route to host", "no route to host"),
    ("network is unreachable", "network unreachable"),
    ("certificate", "TLS certificate refused"),
)


class DefaultErrors:
    """Errors for any JSON API: the class by status, the message from ``message``/``error`` or the text.

    Example:
        >>> str(DefaultErrors().from_response(httpx.Response(503, json={"message": "busy", "code": "DOWN"})))
        'busy (code DOWN, HTTP 503)'
        >>> str(DefaultErrors("the API server").unreachable("https://api.example/x", "connection refused"))
        'cannot reach the API server at https://api.example (connection refused): check its URL and the network'
    """

    def __init__(self, server: str = "the server", check: str = "its URL and the network") -> None:
        self.server = server
        self.check = check

    def from_response(self, response: httpx.Response) -> ApiError:
        message = response.reason_phrase or f"HTTP {response.status_code}"
        code: str | None = None
        body: Any
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

    def unreachable(self, url: str, reason: str) -> Unreachable:
        return Unreachable(
            f"cannot reach {self.server} at {origin_of(url)} ({reason}): check {self.check}", url=url, reason=reason
        )


def default_error(response: httpx.Response) -> ApiError:
    """:meth:`DefaultErrors.from_response` as a function.

    Example:
        >>> type(default_error(httpx.Response(404))).__name__
        'NotFound'
    """
    return DefaultErrors().from_response(response)
