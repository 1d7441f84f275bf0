"""The shared transport every API client sends through: retries, concurrency, credits, typed errors, paging.

Example:
    >>> import httpx
    >>> client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(204)))
    >>> Transport(client).send(RequestSpec("GET", "https://example.test/")).status_code
    204
"""

from leadflow.http.errors import ErrorMapper, default_error, error_class_for, request_id_of
from leadflow.http.limits import ConcurrencyLimiter
from leadflow.http.paging import Page, chunked, iter_pages
from leadflow.http.retry import RetryPolicy, parse_retry_after
from leadflow.http.transport import Authenticator, CreditHook, RequestSpec, Transport, TransportStats

__all__ = [
    "Authenticator",
    "ConcurrencyLimiter",
    "CreditHook",
    "ErrorMapper",
    "Page",
    "RequestSpec",
    "RetryPolicy",
    "Transport",
    "TransportStats",
    "chunked",
    "default_error",
    "error_class_for",
    "iter_pages",
    "parse_retry_after",
    "request_id_of",
]
