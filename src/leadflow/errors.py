"""The exception hierarchy every part of leadflow raises.

``LeadflowError`` is the root; commands catch it at the edge and print its message
without a traceback. API errors carry what the vendor said so a person can act on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class LeadflowError(Exception):
    """Base of every error leadflow raises on purpose."""

    exit_code = 1


class ConfigError(LeadflowError):
    """A setting is missing or invalid; the message names the file, key and reason."""

    exit_code = 2


class StoreError(LeadflowError):
    """The state store is unreachable or its schema is not what this version expects."""

    exit_code = 2


class InputError(LeadflowError):
    """A file or argument given by the user cannot be used."""

    exit_code = 2


class ApiError(LeadflowError):
    """A vendor API answered with an error.

    Example:
        >>> err = ApiError("no such module", status=400, vendor_code="INVALID_MODULE")
        >>> err.vendor_code
        'INVALID_MODULE'
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        vendor_code: str | None = None,
        details: Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.vendor_code = vendor_code
        self.details: dict[str, Any] = dict(details or {})
        self.request_id = request_id

    def __str__(self) -> str:
        parts = [self.message]
        if self.vendor_code:
            parts.append(f"code={self.vendor_code}")
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.details:
            parts.append(f"details={self.details}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return " ".join(parts)


class RateLimited(ApiError):
    """The API refused the call for rate or concurrency (HTTP 429) after retries ran out."""


class AuthError(ApiError):
    """Credentials were refused; the message says what to do."""


class AuthExpired(AuthError):
    """The access token expired or was revoked; a refresh may fix it."""


class CreditBudgetExceeded(LeadflowError):
    """Spending more API credits would pass the configured daily budget."""


class TransientError(ApiError):
    """A 5xx or timeout that outlived the retry policy."""


class ResponseLost(ApiError):
    """A write was sent but no answer came back: it may or may not have happened.

    Never retried blindly; the sync engine reconciles it.
    """
