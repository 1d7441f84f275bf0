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
    default_error,
    error_class_for,
    failure_reason,
    origin_of,
    request_id_of,
)
from leadflow.http.limits import ConcurrencyLimiter
from leadflow.http.paging import (
    After,
    Offsets,
    Page,
    PageNumbers,
    PagingStrategy,
    SearchAfter,
    StartAfterCursor,
    StartAfterId,
    Window,
    chunked,
    paginate,
)
from leadflow.http.retry import RetryPolicy, parse_retry_after
from leadflow.http.transport import Authenticator, CreditHook, NoAuth, RequestSpec, Transport, TransportStats

__all__ = [
    "After",
    "Authenticator",
    "ConcurrencyLimiter",
    "CreditHook",
    "DefaultErrors",
    "ErrorMapper",
    "NoAuth",
    "Offsets",
    "Page",
    "PageNumbers",
    "PagingStrategy",
    "RequestSpec",
    "RetryPolicy",
    "SearchAfter",
    "StartAfterCursor",
    "StartAfterId",
    "Transport",
    "TransportStats",
    "Window",
    "chunked",
    "default_error",
    "error_class_for",
    "failure_reason",
    "origin_of",
    "paginate",
    "parse_retry_after",
    "request_id_of",
]
