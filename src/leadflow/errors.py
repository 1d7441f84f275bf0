"""The exception hierarchy every part of leadflow raises.

``LeadflowError`` is the root; commands catch it at the edge and print its message
without a traceback. API errors carry what the vendor said so a person can act on it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

ResultT = TypeVar("ResultT")


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

    ``str()`` is one plain line: the message, then the vendor's code, the HTTP status, the details (unless
    the message already explains them: ``details_explained``) and the request id.

    Example:
        >>> err = ApiError("required field not found", status=400, vendor_code="MANDATORY_NOT_FOUND",
        ...                details={"api_name": "Last_Name"})
        >>> str(err)
        'required field not found (code MANDATORY_NOT_FOUND, HTTP 400, api_name Last_Name)'
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        vendor_code: str | None = None,
        details: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        details_explained: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.vendor_code = vendor_code
        self.details: dict[str, Any] = dict(details or {})
        self.request_id = request_id
        self.details_explained = details_explained

    def __str__(self) -> str:
        parts: list[str] = []
        if self.vendor_code:
            parts.append(f"code {self.vendor_code}")
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.details and not self.details_explained:
            parts.extend(f"{key} {_plain(value)}" for key, value in self.details.items())
        if self.request_id:
            parts.append(f"request id {self.request_id}")
        return f"{self.message} ({', '.join(parts)})" if parts else self.message


def _plain(value: Any) -> str:
    """A detail value as text: scalars as they are, lists and mappings as compact JSON."""
    if isinstance(value, str | int | float | bool) or value is None:
        return str(value)
    return json.dumps(value, default=str, separators=(", ", ": "))


class RateLimited(ApiError):
    """The API refused the call for rate or concurrency (HTTP 429) after retries ran out."""


class AuthError(ApiError):
    """Credentials were refused; the message says what to do."""


class AuthExpired(AuthError):
    """The access token expired or was revoked; a refresh may fix it."""


class CreditBudgetExceeded(LeadflowError):
    """Spending more API credits would pass the configured daily budget.

    Example:
        >>> CreditBudgetExceeded("budget spent", cost=10, spent=995, budget=1000).spent
        995
    """

    def __init__(self, message: str, *, cost: int = 0, spent: int = 0, budget: int = 0) -> None:
        super().__init__(message)
        self.cost = cost
        self.spent = spent
        self.budget = budget


class TransientError(ApiError):
    """A 5xx or timeout that outlived the retry policy."""


class Unreachable(TransientError):
    """No connection to the server could be made (refused, name not resolved, timed out): nothing was sent.

    The message is one line naming the server, the cause and what to check.

    Example:
        >>> err = Unreachable("cannot reach x", url="https://accounts.zoho.eu/oauth/v2/token", reason="refused")
        >>> err.host, err.reason
        ('accounts.zoho.eu', 'refused')
    """

    def __init__(self, message: str, *, url: str, reason: str) -> None:
        super().__init__(message)
        self.url = url
        self.reason = reason

    @property
    def host(self) -> str:
        rest = self.url.split("://", 1)[-1]
        return rest.split("/", 1)[0]


class ResponseLost(ApiError):
    """A write was sent but no answer came back: it may or may not have happened.

    Never retried blindly; the sync engine reconciles it.
    """


class NotFound(ApiError):
    """The record, module or path a call named does not exist (HTTP 404, or the vendor's code for it)."""


class Conflict(ApiError):
    """The call conflicts with what the server holds now (HTTP 409, or the vendor's code for it)."""


class Duplicate(Conflict):
    """A unique value is already held by another record; ``existing_id`` names it when the vendor says.

    Example:
        >>> err = Duplicate("duplicate data", status=400, existing_id="5725767000000412001", field="Email")
        >>> (err.existing_id, err.field)
        ('5725767000000412001', 'Email')
    """

    def __init__(
        self,
        message: str,
        *,
        existing_id: str | None = None,
        field: str | None = None,
        status: int | None = None,
        vendor_code: str | None = None,
        details: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        details_explained: bool = False,
    ) -> None:
        super().__init__(
            message,
            status=status,
            vendor_code=vendor_code,
            details=details,
            request_id=request_id,
            details_explained=details_explained,
        )
        self.existing_id = existing_id
        self.field = field


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with one field of a request (``field`` is ``None`` when the vendor did not name one).

    Example:
        >>> str(FieldProblem("Email", "invalid data", expected="email"))
        'Email: invalid data (expected email)'
    """

    field: str | None
    message: str
    expected: str | None = None

    def __str__(self) -> str:
        text = f"{self.field}: {self.message}" if self.field else self.message
        return f"{text} (expected {self.expected})" if self.expected else text


class ValidationFailed(ApiError):
    """The server refused the request as invalid; ``problems`` say which fields and why.

    Example:
        >>> err = ValidationFailed("invalid data", status=400, problems=[FieldProblem("Email", "invalid data")])
        >>> [p.field for p in err.problems]
        ['Email']
    """

    def __init__(
        self,
        message: str,
        *,
        problems: Sequence[FieldProblem] = (),
        status: int | None = None,
        vendor_code: str | None = None,
        details: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        details_explained: bool = False,
    ) -> None:
        super().__init__(
            message,
            status=status,
            vendor_code=vendor_code,
            details=details,
            request_id=request_id,
            details_explained=details_explained,
        )
        self.problems: tuple[FieldProblem, ...] = tuple(problems)


@dataclass(frozen=True)
class PartialBatch(Generic[ResultT]):
    """What a multi-call batch had done when an error stopped it.

    ``results`` are the confirmed outcomes of rows ``0 .. first_unconfirmed - 1``; rows from
    ``first_unconfirmed`` on were not confirmed (after ``ResponseLost`` the first chunk of them may have been
    applied: reconcile it before sending again).

    Example:
        >>> PartialBatch(results=["ok"], first_unconfirmed=1).first_unconfirmed
        1
    """

    results: list[ResultT] = field(default_factory=list)
    first_unconfirmed: int = 0


class BatchInterrupted(LeadflowError, Generic[ResultT]):
    """A batch of several calls stopped part-way: ``partial`` holds the answered rows, ``cause`` what stopped it.

    Raised only when some rows were answered; a batch stopped at its first call raises the cause itself.
    The exit code is the cause's.

    Example:
        >>> cause = CreditBudgetExceeded("budget spent")
        >>> err = BatchInterrupted(cause, PartialBatch(["r0", "r1"], first_unconfirmed=2), total=5)
        >>> str(err)
        'stopped after 2 of 5 rows: budget spent'
        >>> err.partial.results
        ['r0', 'r1']
    """

    def __init__(self, cause: LeadflowError, partial: PartialBatch[ResultT], *, total: int | None = None) -> None:
        of = f" of {total}" if total is not None else ""
        super().__init__(f"stopped after {partial.first_unconfirmed}{of} rows: {cause}")
        self.cause = cause
        self.partial = partial
        self.total = total
        self.exit_code = cause.exit_code
