"""What the runner needs from a target system: a narrow port, implemented for Zoho in ``sync.zoho_target``.

The runner only knows these calls and the target's :class:`~leadflow.sync.schema.TargetSchema`; everything
about the target's wire format stays in its client and its adapter. Rows are plain dicts of target field
names; a lookup to another record of the target is ``{"id": <remote id>}``.

Errors the runner understands: :class:`TargetUnreachable` (the call never reached the target: nothing was
sent); :class:`~leadflow.errors.ResponseLost` and transient errors (the answer is unknown: reconciled by a
look-up); :class:`~leadflow.errors.ApiError` with a 4xx status and a code the schema does not call retryable
(the target refused the whole call for good: every record of it fails with that code and message);
:class:`~leadflow.errors.AuthError` and :class:`~leadflow.errors.CreditBudgetExceeded` (the run stops).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from leadflow.errors import LeadflowError, Unreachable
from leadflow.sync.schema import FieldSpec, TargetSchema

WriteMethod = Literal["upsert", "update"]
RESPONSE_LOST = "RESPONSE_LOST"  # the code of a write whose answer is unknown (reconciled by a look-up)


class TargetUnreachable(LeadflowError):
    """The target could not be reached (connection refused, DNS, TLS): no request left this machine."""


@contextmanager
def reachable() -> Iterator[None]:
    """Turn the transport's :class:`~leadflow.errors.Unreachable` (every try failed to connect; its message names
    the host, the cause and what to check) into :class:`TargetUnreachable`, which stops the run."""
    try:
        yield
    except Unreachable as exc:
        raise TargetUnreachable(f"{exc.message}; nothing was sent") from exc


@dataclass(frozen=True)
class WriteOutcome:
    """The target's answer for one record of a write call (same order as the rows sent).

    ``unanswered``: the record was sent on a call of its own whose answer is unknown (a target that writes
    record by record, e.g. GoHighLevel): the runner looks it up before anything is sent again, as it does for
    a whole call after :class:`~leadflow.errors.ResponseLost`.

    Example:
        >>> WriteOutcome.lost("no answer").unanswered, WriteOutcome(True, remote_id="c1").unanswered
        (True, False)
    """

    ok: bool
    remote_id: str | None = None
    action: str | None = None  # "insert" or "update" when ok
    code: str | None = None
    message: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    unanswered: bool = False

    @classmethod
    def lost(cls, message: str) -> WriteOutcome:
        """A record sent whose answer is unknown."""
        return cls(False, code=RESPONSE_LOST, message=message, unanswered=True)


@dataclass(frozen=True)
class CallCost:
    """Credits and calls an operation will spend, to choose a method and stop before the budget."""

    calls: int
    credits: int


class SyncTarget(Protocol):
    """A system the sync engine writes to."""

    @property
    def schema(self) -> TargetSchema:
        """Its modules, limits, validation and upsert key (from its ``[sync.<target>]`` settings)."""
        ...

    def ensure_fields(self, module: str, specs: Sequence[FieldSpec]) -> None:
        """Create the custom fields leadflow needs in ``module`` (no call when they exist)."""
        ...

    def write(self, module: str, method: WriteMethod, rows: Sequence[Mapping[str, Any]]) -> list[WriteOutcome]:
        """Upsert (by the schema's external id, then its duplicate-check fields) or update (by ``id``) at most
        ``schema.batch_size`` rows in one call; one outcome per row, in order (``WriteOutcome.lost`` for a row
        sent on its own call whose answer is unknown)."""
        ...

    def bulk_upsert(self, module: str, rows: Sequence[Mapping[str, Any]]) -> list[WriteOutcome]:
        """Upsert up to ``schema.bulk_rows`` rows through a bulk job, outcomes in input order (only called when
        ``schema.bulk_rows`` is set)."""
        ...

    def lookup(
        self, module: str, *, by: str, values: Sequence[str], fields: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """Records of ``module`` whose ``by`` field is one of ``values``: value -> record (with ``id``)."""
        ...

    def change_tags(self, module: str, *, add: bool, tag: str, remote_ids: Sequence[str]) -> dict[str, WriteOutcome]:
        """Add (or remove) ``tag`` on up to ``schema.batch_size`` records: remote id -> outcome."""
        ...

    def credits_left(self) -> int | None:
        """Credits that may still be spent in the rolling 24 hours (budget minus spent), None if unknown."""
        ...

    def write_cost(self, rows: int, *, bulk: bool) -> CallCost:
        """What writing ``rows`` records costs by batch calls or by bulk jobs."""
        ...

    def usage(self) -> CallCost:
        """Calls made and credits spent through this target object so far."""
        ...
