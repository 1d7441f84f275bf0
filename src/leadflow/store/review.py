"""Repository for the review queue: the pairs the last resolve left for a reviewer, and reviewers' decisions
(must-link / cannot-link constraints every later resolve honours)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa
from sqlalchemy import ColumnElement, Connection, and_, delete, func, insert, or_, select, true

from leadflow.errors import InputError
from leadflow.resolve.review_rank import LISTED_FROM_WEIGHT
from leadflow.store.runs import utcnow
from leadflow.store.schema import (
    cluster_members,
    crm_cluster_members,
    crm_records,
    golden_people,
    prospects,
    review_decisions,
    review_pairs,
)

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
                "rank_weight": item.get("rank_weight"),
                "rank_reason": item.get("rank_reason"),
                "rank_evidence": json.loads(item["rank_evidence"]) if item.get("rank_evidence") else None,
            }
        )
    for start in range(0, len(rows), 5_000):
        connection.execute(insert(review_pairs), rows[start : start + 5_000])
    return len(rows)


def list_pairs(
    connection: Connection, *, kind: str | None = None, limit: int | None = 50, weak: bool = False
) -> list[dict[str, Any]]:
    """The queue, the pairs most likely one person first (``rank_weight``; unranked pairs, from a resolve before
    ranking, last). Pairs so weak a reviewer would reject nearly all of them are left out unless ``weak``."""
    query = select(review_pairs).where(_kind_and_strength(kind, weak=weak))
    query = query.order_by(
        review_pairs.c.rank_weight.is_(None), review_pairs.c.rank_weight.desc(),
        review_pairs.c.match_weight.desc(), review_pairs.c.id,
    ).limit(limit)  # fmt: skip
    return [dict(row) for row in connection.execute(query).mappings()]


def count_pairs(connection: Connection, *, kind: str | None = None) -> tuple[int, int]:
    """How many pairs wait (of ``kind``), and how many of them the default listing leaves out as weak."""
    total = connection.execute(
        select(func.count()).select_from(review_pairs).where(_kind_and_strength(kind))
    ).scalar_one()
    listed = connection.execute(
        select(func.count()).select_from(review_pairs).where(_kind_and_strength(kind, weak=False))
    ).scalar_one()
    return int(total), int(total) - int(listed)


def _kind_and_strength(kind: str | None, *, weak: bool = True) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if kind:
        conditions.append(review_pairs.c.kind == kind)
    if not weak:
        conditions.append(or_(review_pairs.c.rank_weight.is_(None), review_pairs.c.rank_weight >= LISTED_FROM_WEIGHT))
    return and_(true(), *conditions)


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


def rows_named(connection: Connection, reference: str) -> list[str]:
    """The resolver rids a user's reference names: a source row (``1234`` or ``p:1234``), a mirrored CRM record
    (``crm:Leads:900``) or a golden person (``gp_...``: every row and CRM record it holds now).

    Raises InputError for a reference that names nothing stored.

    Example:
        >>> rows_named(connection, "gp_0123456789abcdef")  # doctest: +SKIP
        ['p:12', 'p:40', 'crm:Leads:900']
    """
    text = reference.strip()
    if text.startswith("gp_"):
        rows = [f"p:{i}" for i in connection.execute(
            select(cluster_members.c.source_record_id).where(cluster_members.c.golden_person_id == text)
            .order_by(cluster_members.c.source_record_id)).scalars()]  # fmt: skip
        rows += [f"crm:{m}:{i}" for m, i in connection.execute(
            select(crm_cluster_members.c.crm_module, crm_cluster_members.c.crm_id)
            .where(crm_cluster_members.c.golden_person_id == text)
            .order_by(crm_cluster_members.c.crm_module, crm_cluster_members.c.crm_id))]  # fmt: skip
        known = connection.execute(select(golden_people.c.id).where(golden_people.c.id == text)).first()
        if not rows or known is None:
            raise InputError(f"no golden person {text}: see `leadflow export clusters` or `resolve --explain`")
        return rows
    if text.startswith("crm:"):
        parts = text.split(":", 2)
        query = select(crm_records.c.crm_id).where(crm_records.c.module == parts[1], crm_records.c.crm_id == parts[-1])
        if len(parts) != 3 or connection.execute(query).first() is None:
            raise InputError(f"no mirrored CRM record {text} (crm:<module>:<id>, e.g. crm:Leads:900)")
        return [text]
    number = text.removeprefix("p:")
    if not number.isdigit():
        raise InputError(
            f"{reference!r} names no row: give a source row id (1234 or p:1234), crm:<module>:<id> or a gp_ id"
        )
    found = connection.execute(select(prospects.c.source_record_id).where(prospects.c.source_record_id == int(number)))
    if found.first() is None:
        raise InputError(f"no ingested row {number} (see `leadflow export clusters` for row ids)")
    return [f"p:{int(number)}"]


def decide_rows(
    connection: Connection, left: str, right: str, decision: Decision, *, note: str | None = None
) -> tuple[list[str], list[str]]:
    """Record a decision on any two rows or golden people the user names (not only a queued pair).

    ``reject``: a cannot-link between every row of one and every row of the other, so no later resolve puts any
    of them together, whatever a new file shares with both. ``accept``: a must-link between the first row of
    each, which joins the two records (the rows of each stay joined by their own evidence). Returns the rids of
    each side.
    """
    lefts, rights = rows_named(connection, left), rows_named(connection, right)
    overlap = set(lefts) & set(rights)
    if overlap:
        raise InputError(f"{left} and {right} name the same row ({', '.join(sorted(overlap))}): nothing to decide")
    pairs = [(a, b) for a in lefts for b in rights] if decision == "reject" else [(lefts[0], rights[0])]
    for a, b in pairs:
        record_decision(connection, a, b, decision, kind="manual", note=note)
    return lefts, rights
