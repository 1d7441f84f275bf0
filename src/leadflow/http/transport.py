"""The one place that sends HTTP requests: auth headers, concurrency slots, credits, retries, typed errors.

Every vendor client (Zoho, GHL) builds a :class:`RequestSpec` per call and hands it to :meth:`Transport.send`;
resources never loop on retries themselves.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import structlog

from leadflow.errors import ApiError, ResponseLost, TransientError
from leadflow.http.errors import ErrorMapper, failure_reason, origin_of, request_id_of
from leadflow.http.limits import ConcurrencyLimiter
from leadflow.http.retry import RetryPolicy, parse_retry_after

log = structlog.get_logger("leadflow.http")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
# Failures where the request certainly never reached the server: always safe to send again.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _server_failure(status: int) -> str:
    """Who failed, in a few words, for a write's lost-answer message.

    Example:
        >>> _server_failure(502), _server_failure(500)
        ('a gateway gave up on the server', 'the server failed while handling it')
    """
    if status in (502, 504):
        return "a gateway gave up on the server"
    return "the server failed while handling it"


class _EmptyReply(Exception):
    """A success status whose body never arrived: as good as a lost response."""


class Authenticator(Protocol):
    """What the transport needs from an auth strategy.

    Example (a fixed API key):
        >>> class ApiKey:
        ...     def auth_headers(self): return {"Authorization": "Bearer k"}
        ...     def should_refresh(self, response): return False
        ...     def refresh(self, rejected): raise RuntimeError("static key")
        >>> isinstance(ApiKey().auth_headers(), dict)
        True
    """

    def auth_headers(self) -> Mapping[str, str]:
        """Headers that authenticate the next request (may fetch or refresh a token first)."""
        ...

    def should_refresh(self, response: httpx.Response) -> bool:
        """Whether ``response`` says the credentials in use expired and a refresh may help."""
        ...

    def refresh(self, rejected: Mapping[str, str]) -> None:
        """Replace the credentials that were just rejected; raises ``AuthError`` when it cannot."""
        ...


class CreditHook(Protocol):
    """Credit accounting around each attempt: reserve before sending, give back when nothing was spent.

    Example: :class:`leadflow.zoho.credits.CreditMeter` books Zoho's credits in the store.
        >>> from leadflow.zoho.credits import CreditMeter
        >>> hasattr(CreditMeter, "reserve") and hasattr(CreditMeter, "release")
        True
    """

    def reserve(self, cost: int, label: str) -> object:
        """Book ``cost`` credits or raise ``CreditBudgetExceeded``; returns a handle for :meth:`release`."""
        ...

    def release(self, reservation: object) -> None:
        """Give back a reservation whose call the server refused without doing work (429, never sent)."""
        ...

    def observe(self, response: httpx.Response) -> None:
        """Read whatever the server reports about remaining credits."""
        ...


@dataclass(frozen=True)
class RequestSpec:
    """One logical call; the transport may send it several times.

    Example:
        >>> RequestSpec("GET", "https://www.zohoapis.com/crm/v8/org").is_idempotent
        True
    """

    method: str
    url: str
    params: Mapping[str, str] | None = None
    json: Any = None
    content: bytes | None = None
    files: Mapping[str, tuple[str, bytes, str]] | None = None
    headers: Mapping[str, str] | None = None
    idempotent: bool | None = None
    complex_call: bool = False
    cost: int = 1
    label: str = ""
    timeout: float | None = None
    authenticated: bool = True
    expect_body: bool = False

    @property
    def described(self) -> str:
        """The call in a few words for messages: its label, with the method in front unless it has it.

        Example:
            >>> RequestSpec("POST", "https://x/crm/v8/Leads", label="POST Leads").described
            'POST Leads'
        """
        what = self.label or self.url
        return what if what.upper().startswith(f"{self.method.upper()} ") else f"{self.method} {what}"

    @property
    def is_idempotent(self) -> bool:
        """GET, HEAD, OPTIONS and DELETE unless the caller says otherwise."""
        return self.idempotent if self.idempotent is not None else self.method.upper() in IDEMPOTENT_METHODS


@dataclass
class TransportStats:
    """Counters for a transport's life: what was sent, retried, refused and lost.

    Example:
        >>> TransportStats().attempts
        0
    """

    attempts: int = 0
    retries: int = 0
    refreshes: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    responses_lost: int = 0
    by_label: dict[str, int] = field(default_factory=dict)


class NoAuth:
    """No credentials: for calls that carry their own (an OAuth token request) or APIs that need none.

    Example:
        >>> NoAuth().auth_headers()
        {}
    """

    def auth_headers(self) -> Mapping[str, str]:
        return {}

    def should_refresh(self, response: httpx.Response) -> bool:
        return False

    def refresh(self, rejected: Mapping[str, str]) -> None:  # pragma: no cover - should_refresh is always False
        return None


class Transport:
    """Sends requests through an injected ``httpx.Client`` under a retry policy and concurrency limits.

    The vendor's auth strategy and error mapper are given at construction and never change afterwards; a
    client for another vendor builds its own transport with its own pair.

    Example:
        >>> from leadflow.http.errors import DefaultErrors
        >>> client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200, json={})))
        >>> Transport(client, auth=NoAuth(), error_mapper=DefaultErrors()).send(
        ...     RequestSpec("GET", "https://example.test/ping")).status_code
        200
    """

    def __init__(
        self,
        client: httpx.Client,
        *,
        auth: Authenticator,
        error_mapper: ErrorMapper,
        policy: RetryPolicy | None = None,
        limiter: ConcurrencyLimiter | None = None,
        credits: CreditHook | None = None,
        sleep: Callable[[float], None] = time.sleep,
        seed: int | None = None,
    ) -> None:
        self.client = client
        self._auth = auth
        self._error_mapper = error_mapper
        self.policy = policy or RetryPolicy()
        self.limiter = limiter or ConcurrencyLimiter()
        self.credits = credits
        self.sleep = sleep
        self.stats = TransportStats()
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self._stats_lock = threading.Lock()

    @property
    def auth(self) -> Authenticator:
        """The auth strategy every authenticated call goes out with."""
        return self._auth

    @property
    def error_mapper(self) -> ErrorMapper:
        """The vendor's mapping of error replies and unreachable hosts to typed errors."""
        return self._error_mapper

    def send(self, spec: RequestSpec) -> httpx.Response:
        """Send ``spec`` until it gets a final answer; returns any response below 500 other than 429.

        Raises ``RateLimited``/``TransientError`` when retries run out, ``Unreachable`` when no connection
        could be made, ``ResponseLost`` when a write was sent but its answer never came or was a server
        failure that does not say the write was not done (500, 502, 504: see ``WRITE_RETRYABLE_STATUSES``),
        ``CreditBudgetExceeded`` before a call the budget cannot afford. Credits are booked only for
        requests that went out: a call that never connected (or whose auth failed first) costs nothing.
        """
        idempotent = spec.is_idempotent
        attempt = 0
        not_connected = 0
        refreshed = False
        while True:
            attempt += 1
            headers = dict(spec.headers or {})
            auth_headers: Mapping[str, str] = {}
            if spec.authenticated:
                auth_headers = self._auth.auth_headers()
                headers.update(auth_headers)
            reservation = self.credits.reserve(spec.cost, spec.label) if self.credits else None
            self._count(spec.label)
            started = time.monotonic()
            try:
                with self.limiter.slot(complex_call=spec.complex_call):
                    response = self.client.request(
                        spec.method,
                        spec.url,
                        params=spec.params,
                        json=spec.json,
                        content=spec.content,
                        files=spec.files,
                        headers=headers,
                        timeout=spec.timeout if spec.timeout is not None else httpx.USE_CLIENT_DEFAULT,
                    )
                if (
                    spec.expect_body
                    and 200 <= response.status_code < 300
                    and response.status_code != 204
                    and not (response.content)
                ):
                    raise _EmptyReply(f"HTTP {response.status_code} without the body it promised")
            except _NOT_SENT as exc:
                self._release(reservation)
                not_connected += 1
                unreachable = self._error_mapper.unreachable(spec.url, failure_reason(exc))
                if not_connected >= self.policy.max_connect_attempts:
                    raise unreachable from exc
                self._wait_or_raise(spec, attempt, None, unreachable, cause=exc)
                continue
            except (httpx.TransportError, _EmptyReply) as exc:
                if not idempotent:
                    with self._stats_lock:
                        self.stats.responses_lost += 1
                    raise ResponseLost(
                        f"{spec.described} was sent but no answer came back"
                        f" ({type(exc).__name__}); it may or may not have been applied: reconcile before sending it"
                        " again",
                    ) from exc
                lost = TransientError(f"{spec.described}: no answer from {origin_of(spec.url)} ({failure_reason(exc)})")
                self._wait_or_raise(spec, attempt, None, lost, cause=exc)
                continue
            elapsed = time.monotonic() - started
            log.debug(
                "http call",
                method=spec.method,
                label=spec.label,
                status=response.status_code,
                attempt=attempt,
                seconds=round(elapsed, 4),
                request_id=request_id_of(response),
            )
            if self.credits is not None:
                self.credits.observe(response)
            status = response.status_code
            if spec.authenticated and not refreshed and self._auth.should_refresh(response):
                refreshed = True
                with self._stats_lock:
                    self.stats.refreshes += 1
                self._auth.refresh(auth_headers)
                attempt -= 1
                continue
            if status == 429 or status >= 500:
                with self._stats_lock:
                    if status == 429:
                        self.stats.rate_limited += 1
                    else:
                        self.stats.server_errors += 1
                if status == 429:
                    self._release(reservation)
                if self.policy.retries_status(status, idempotent=idempotent):
                    retry_after = parse_retry_after(response.headers.get("retry-after"))
                    self._wait_or_raise(spec, attempt, retry_after, self._error_mapper.from_response(response))
                    continue
                if not idempotent:
                    error = self._error_mapper.from_response(response)
                    raise ResponseLost(
                        f"{spec.described} got {status} ({_server_failure(status)}): the write may have been"
                        " applied; reconcile before sending it again",
                        status=status,
                        vendor_code=error.vendor_code,
                        details=error.details,
                        request_id=error.request_id,
                    )
                raise self._error_mapper.from_response(response)
            return response

    def _wait_or_raise(
        self,
        spec: RequestSpec,
        attempt: int,
        retry_after: float | None,
        error: ApiError,
        *,
        cause: BaseException | None = None,
    ) -> None:
        if attempt >= self.policy.max_attempts:
            raise error from cause
        with self._rng_lock:
            delay = self.policy.delay(attempt, self._rng, retry_after)
        if delay is None:
            raise error from cause
        with self._stats_lock:
            self.stats.retries += 1
        log.info("retrying", label=spec.label, attempt=attempt, delay=round(delay, 3), error=str(error))
        self.sleep(delay)

    def _release(self, reservation: object | None) -> None:
        if self.credits is not None and reservation is not None:
            self.credits.release(reservation)

    def _count(self, label: str) -> None:
        with self._stats_lock:
            self.stats.attempts += 1
            self.stats.by_label[label] = self.stats.by_label.get(label, 0) + 1
