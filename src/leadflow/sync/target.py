"""What the runner needs from a target system: a narrow port, implemented for Zoho in ``sync.zoho_target``.

The runner only knows these calls; everything about Zoho's wire format stays in the client and its adapter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from leadflow.sync.mapping import FieldSpec

WriteMethod = Literal["upsert", "update"]


@dataclass(frozen=True)
class WriteOutcome:
    """The target's answer for one record of a write call (same order as the rows sent)."""

    ok: bool
    remote_id: str | None = None
    action: str | None = None  # "insert" or "update" when ok
    code: str | None = None
    message: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CallCost:
    """Credits and calls an operation will spend, to choose a method and stop before the budget."""

    calls: int
    credits: int


class SyncTarget(Protocol):
    """A CRM the sync engine writes to."""

    name: str

    def ensure_fields(self, module: str, specs: Sequence[FieldSpec]) -> None:
        """Create the custom fields leadflow needs in ``module`` (no call when they exist)."""
        ...

    def write(
        self, module: str, method: WriteMethod, rows: Sequence[Mapping[str, Any]], *, external_id_field: str
    ) -> list[WriteOutcome]:
        """Upsert (by ``external_id_field``) or update (by ``id``) at most 100 rows in one call."""
        ...

    def bulk_upsert(
        self, module: str, rows: Sequence[Mapping[str, Any]], *, external_id_field: str
    ) -> list[WriteOutcome]:
        """Upsert many rows through the bulk API (one job per 25,000 rows), outcomes in input order."""
        ...

    def lookup(
        self, module: str, *, by: str, values: Sequence[str], fields: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """Records of ``module`` whose ``by`` field is one of ``values``: value -> record (with ``id``)."""
        ...

    def change_tags(self, module: str, *, add: bool, tag: str, remote_ids: Sequence[str]) -> dict[str, WriteOutcome]:
        """Add (or remove) ``tag`` on many records: remote id -> outcome."""
        ...

    def credits_left(self) -> int | None:
        """Credits that may still be spent in the rolling 24 hours (budget minus spent), None if unknown."""
        ...

    def write_cost(self, rows: int, *, bulk: bool) -> CallCost:
        """What writing ``rows`` records costs by batch calls or by bulk write."""
        ...

    def usage(self) -> CallCost:
        """Calls made and credits spent through this target object so far."""
        ...
