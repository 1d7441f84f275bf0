"""The retry policy: which failures are retried, and how long to wait before the next attempt.

Kept apart from the transport so tests can drive the backoff arithmetic with a seeded random source.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# Statuses after which the server refused (or failed) the request as a whole: safe to try again for reads.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# For writes, only statuses where the server says it did not do the work: 429 (refused for rate) and 503
# (refused while unavailable). A 500 promises nothing: neither Zoho (``INTERNAL_ERROR``, "contact support")
# nor GoHighLevel says a write answered 500 was not applied, and GHL has been seen to store a contact it
# answered with an error. A 502/504 comes from a gateway that may have passed the write on before giving
# up. Each of these is a lost response (the caller reconciles), never a refusal to resend blindly.
WRITE_RETRYABLE_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with "equal jitter", honouring ``Retry-After``.

    Attempt ``n`` (1-based) waits ``min(max_delay, base_delay * 2**(n-1))`` scaled into
    ``[1 - jitter, 1]`` of that value by the seeded random source.

    Example:
        >>> policy = RetryPolicy(base_delay=1.0, max_delay=8.0, jitter=0.0)
        >>> [policy.backoff(n, random.Random(0)) for n in (1, 2, 3, 4, 5)]
        [1.0, 2.0, 4.0, 8.0, 8.0]
    """

    max_attempts: int = 6
    # A refused or unresolvable connection rarely heals within seconds: give up sooner than for a busy server.
    max_connect_attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 20.0
    jitter: float = 0.5
    max_retry_after: float = 120.0
    retry_statuses: frozenset[int] = field(default=RETRYABLE_STATUSES)
    write_retry_statuses: frozenset[int] = field(default=WRITE_RETRYABLE_STATUSES)

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` when the server gave no hint."""
        ceiling = min(self.max_delay, self.base_delay * (2.0 ** max(0, attempt - 1)))
        return ceiling * (1.0 - self.jitter) + rng.uniform(0.0, ceiling * self.jitter)

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` when the server asks for longer than we wait.

        Example:
            >>> RetryPolicy(jitter=0.0).delay(1, random.Random(0), retry_after=3.0)
            3.0
        """
        if retry_after is not None:
            if retry_after > self.max_retry_after:
                return None
            return max(0.0, retry_after)
        return self.backoff(attempt, rng)

    def retries_status(self, status: int, *, idempotent: bool) -> bool:
        """Whether a response with ``status`` is worth another attempt."""
        return status in (self.retry_statuses if idempotent else self.write_retry_statuses)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date; ``None`` when absent or unreadable.

    Example:
        >>> parse_retry_after("7")
        7.0
        >>> parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=datetime(2015, 10, 21, 7, 28, tzinfo=UTC))
        10.0
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
