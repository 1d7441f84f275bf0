"""Repository for the review queue: the pairs the last resolve left for a reviewer, and reviewers' decisions
(must-link / cannot-link constraints every later resolve honours)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa
from sqlalchemy import Connection, delete, insert, select

from leadflow.errors import InputError
from leadflow.store.runs import utcnow
from leadflow.store.schema import crm_records, prospects, review_decisions, review_pairs

Decision = Literal["accept", "reject"]

# Fields shown side by side by `leadflow review show`, in this order.
SHOWN_FIELDS = (
    "first_name", "last_name", "email", "email_status", "phone_e164", "title", "company_name", "company_domain",
    "city", "country", "linkedin_slug", "salesnav_id", "source_kind", "file_name", "row_number",
)  # fmt: skip


@dataclass(frozen=True)
class Constraints:
    must_link: tuple[tuple[str, str], ...]
    cannot_link: tuple[tuple[str, str], ...]


def ordered(left: str, right: str) -> tuple[str, str]:
    """A pair's rids in the order they are stored (smaller first).

    Example:
        >>> ordered("p:9", "p:10")
        ('p:10', 'p:9')
    """
    return (left, right) if left <= right else (right, left)


def replace_pairs(connection: Connection, pairs: pa.Table, *, run_id: int | None) -> int:
    """Make ``pairs`` (the resolver's ``review`` table) the queue; returns how many were stored."""
    connection.execute(delete(review_pairs))
    rows = []
    seen: set[tuple[str, str]] = set()
    for item in pairs.to_pylist():
        key = ordered(item["rid_l"], item["rid_r"])
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            {
                "rid_l": key[0],
                "rid_r": key[1],
                "kind": item["kind"],
                "match_weight": item["match_weight"],
                "match_probability": item["match_probability"],
                "detail": json.loads(item["detail"]) if item["detail"] else None,
                "run_id": run_id,
            }
        )
    for start in range(0, len(rows), 5_000):
        connection.execute(insert(review_pairs), rows[start : start + 5_000])
    return len(rows)


def list_pairs(connection: Connection, *, kind: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    query = select(review_pairs).order_by(review_pairs.c.match_weight.desc(), review_pairs.c.id).limit(limit)
    if kind:
        query = query.where(review_pairs.c.kind == kind)
    return [dict(row) for row in connection.execute(query).mappings()]


def get_pair(connection: Connection, pair_id: int) -> dict[str, Any]:
    row = connection.execute(select(review_pairs).where(review_pairs.c.id == pair_id)).mappings().first()
    if row is None:
        raise InputError(f"no review pair {pair_id}: see `leadflow review list`")
    return dict(row)


def decide(connection: Connection, pair_id: int, decision: Decision, *, note: str | None = None) -> dict[str, Any]:
    """Record a decision on a listed pair (replacing an earlier one) and take the pair off the queue."""
    pair = get_pair(connection, pair_id)
    record_decision(
        connection, pair["rid_l"], pair["rid_r"], decision, kind=pair["kind"], weight=pair["match_weight"],
        detail=pair["detail"], note=note,
    )  # fmt: skip
    connection.execute(delete(review_pairs).where(review_pairs.c.id == pair_id))
    return pair


def record_decision(
    connection: Connection,
    left: str,
    right: str,
    decision: Decision,
    *,
    kind: str | None = None,
    weight: float | None = None,
    detail: Any = None,
    note: str | None = None,
) -> None:
    """Store a decision on two rows (rids), replacing an earlier one on the same pair."""
    if left == right:
        raise InputError("a decision needs two different rows")
    rid_l, rid_r = ordered(left, right)
    connection.execute(
        delete(review_decisions).where(review_decisions.c.rid_l == rid_l, review_decisions.c.rid_r == rid_r)
    )
    connection.execute(
        insert(review_decisions).values(
            rid_l=rid_l,
            rid_r=rid_r,
            decision=decision,
            kind=kind,
            match_weight=weight,
            detail=detail,
            note=note,
            decided_at=utcnow(),
        )
    )


def constraints(connection: Connection) -> Constraints:
    """Every decision so far as must-link (accepted) and cannot-link (rejected) pairs."""
    must: list[tuple[str, str]] = []
    cannot: list[tuple[str, str]] = []
    for rid_l, rid_r, decision in connection.execute(
        select(review_decisions.c.rid_l, review_decisions.c.rid_r, review_decisions.c.decision)
    ):
        (must if decision == "accept" else cannot).append((rid_l, rid_r))
    return Constraints(must_link=tuple(sorted(must)), cannot_link=tuple(sorted(cannot)))


def decisions(connection: Connection) -> list[dict[str, Any]]:
    query = select(review_decisions).order_by(review_decisions.c.decided_at, review_decisions.c.rid_l)
    return [dict(r) for r in connection.execute(query).mappings()]


def rows_of(connection: Connection, rids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The stored fields of candidate rows by rid: a prospect (``p:<source_record_id>``) or a mirrored CRM
    record (``crm:<module>:<id>``)."""
    result: dict[str, dict[str, Any]] = {}
    for rid in rids:
        if rid.startswith("p:"):
            row = connection.execute(
                select(prospects).where(prospects.c.source_record_id == int(rid[2:]))
            ).mappings().first()  # fmt: skip
        elif rid.startswith("crm:"):
            _, module, crm_id = rid.split(":", 2)
            row = connection.execute(
                select(crm_records).where(crm_records.c.module == module, crm_records.c.crm_id == crm_id)
            ).mappings().first()  # fmt: skip
        else:
            row = None
        if row is not None:
            result[rid] = {name: row.get(name) for name in SHOWN_FIELDS if name in row}
    return result
