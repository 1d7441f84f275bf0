"""The shared transport every API client sends through: retries, concurrency, credits, typed errors, paging.

Example:
    >>> import httpx
    >>> client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(204)))
    >>> Transport(client, auth=NoAuth(), error_mapper=DefaultErrors()).send(RequestSpec("GET", "https://example.test/"))
    <Response [204 No Content]>
"""

from leadflow.http.errors import (
    DefaultErrors,
    ErrorMapper,
    connect_failure_reason,
    default_error,
    error_class_for,
    origin_of,
    request_id_of,
)
from leadflow.http.limits import ConcurrencyLimiter
from leadflow.http.paging import Page, chunked, iter_pages
from leadflow.http.retry import RetryPolicy, parse_retry_after
from leadflow.http.transport import Authenticator, CreditHook, NoAuth, RequestSpec, Transport, TransportStats

__all__ = [
    "Authenticator",
    "ConcurrencyLimiter",
    "CreditHook",
    "DefaultErrors",
    "ErrorMapper",
    "NoAuth",
    "Page",
    "RequestSpec",
    "RetryPolicy",
    "Transport",
    "TransportStats",
    "chunked",
    "connect_failure_reason",
    "default_error",
    "error_class_for",
    "iter_pages",
    "origin_of",
    "parse_retry_after",
    "request_id_of",
]
