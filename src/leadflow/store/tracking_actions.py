"""Repository of the tracking actions outbox: queue effects once, claim them under a lease, record outcomes.

States: ``pending`` (waiting, possibly for ``next_attempt_at``), ``in_flight`` (a runner took it; if its lease
ran out the runner died and the attempt is uncertain), ``done`` (took effect; ``remote_id`` names what it
wrote), ``skipped`` (nothing to do, with the reason), ``failed`` (gave up; ``track retry --failed`` re-queues).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from leadflow.store.runs import utcnow
from leadflow.store.schema import tracking_actions
from leadflow.store.zoho import as_utc

PENDING, IN_FLIGHT, DONE, FAILED, SKIPPED = "pending", "in_flight", "done", "failed", "skipped"
STATES = (PENDING, IN_FLIGHT, DONE, FAILED, SKIPPED)
CHUNK = 500  # rows per INSERT (well under SQLite's limit on bound parameters)


@dataclass(frozen=True)
class ActionRow:
    """A claimed action. ``uncertain``: an earlier attempt may have taken effect (look it up before acting)."""

    id: int
    key: str
    kind: str
    event_key: str
    golden_person_id: str
    module: str | None
    record_id: str | None
    payload: Mapping[str, Any]
    attempts: int
    uncertain: bool
    remote_id: str | None


def enqueue(connection: Connection, *, actions: Iterable[Mapping[str, Any]]) -> int:
    """Queue actions (``key``, ``kind``, ``event_key``, ``golden_person_id``, ``payload``; optionally ``module``
    and ``record_id``); a key already queued is left as it is. Returns how many were new."""
    now = utcnow()
    rows = [
        {
            "key": action["key"],
            "kind": action["kind"],
            "event_key": str(action["event_key"])[:255],
            "golden_person_id": action["golden_person_id"],
            "module": action.get("module"),
            "record_id": action.get("record_id"),
            "payload": dict(action.get("payload") or {}),
            "state": PENDING,
            "check_first": False,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for action in actions
    ]
    if not rows:
        return 0
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    new = 0
    for start in range(0, len(rows), CHUNK):
        statement = (
            insert(tracking_actions)
            .values(rows[start : start + CHUNK])
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(tracking_actions.c.id)
        )
        new += len(connection.execute(statement).all())
    return new


def claim(
    connection: Connection, *, worker: str, limit: int, lease: timedelta, settle: timedelta = timedelta(0)
) -> list[ActionRow]:
    """Take actions that are due (and any whose runner's lease ran out ``settle`` ago) for ``worker``, oldest first.

    A person with an action in flight under a live (or not yet settled) lease is left alone, and an action waits
    while an earlier one of its person waits for its retry (a person's actions take effect in order); on
    PostgreSQL the candidates are locked with ``SKIP LOCKED`` so several runners share the queue. An action
    taken over from a dead runner comes back ``uncertain``. Committed with the caller's transaction.

    ``settle``: a dead runner's last request may still be on its way through Zoho after the runner died; its
    action is taken over (and looked up) only once that request can no longer land, else the look-up misses it
    and the action is written twice.
    """
    now = utcnow()
    a = tracking_actions.c
    abandoned_before = now - settle
    busy = select(a.golden_person_id).where(a.state == IN_FLIGHT, a.lease_until >= abandoned_before).scalar_subquery()
    due = or_(
        and_(a.state == PENDING, a.next_attempt_at <= now),
        and_(a.state == IN_FLIGHT, a.lease_until < abandoned_before),
    )
    # A person's actions take effect in order: none overtakes an earlier one waiting for its retry (a Note must
    # not land on a Lead whose conversion is still to be confirmed, an opt-out must reach the Contact).
    e = tracking_actions.alias("earlier").c
    held_back = (
        select(e.id)
        .where(e.golden_person_id == a.golden_person_id, e.id < a.id, e.state == PENDING, e.next_attempt_at > now)
        .exists()
    )
    query = (
        select(a.id, a.state, a.golden_person_id)
        .where(due, a.golden_person_id.not_in(busy), ~held_back)
        .order_by(a.id)
        .limit(limit)
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    found = connection.execute(query).all()
    if found and connection.dialect.name == "postgresql":
        found = _first_of_each_person(connection, found)
    if not found:
        return []
    ids = [int(row.id) for row in found]
    abandoned = [int(row.id) for row in found if row.state == IN_FLIGHT]
    if abandoned:  # the runner that had these died somewhere around its call
        connection.execute(update(tracking_actions).where(a.id.in_(abandoned)).values(check_first=True))
    connection.execute(
        update(tracking_actions)
        .where(a.id.in_(ids))
        .values(state=IN_FLIGHT, claimed_by=worker, lease_until=now + lease, attempts=a.attempts + 1, updated_at=now)
    )
    rows = connection.execute(select(tracking_actions).where(a.id.in_(ids)).order_by(a.id))
    return [
        ActionRow(
            id=int(row.id),
            key=row.key,
            kind=row.kind,
            event_key=row.event_key,
            golden_person_id=row.golden_person_id,
            module=row.module,
            record_id=row.record_id,
            payload=dict(row.payload or {}),
            attempts=int(row.attempts),
            uncertain=bool(row.check_first),
            remote_id=row.remote_id,
        )
        for row in rows
    ]


def _first_of_each_person(connection: Connection, found: Sequence[Any]) -> list[Any]:
    """The candidates less those of a person with an earlier unfinished action not among them: ``SKIP LOCKED``
    passed over it because another runner is claiming it right now, and a later one must not overtake it."""
    a = tracking_actions.c
    first: dict[str, int] = {}
    for row in found:
        first[row.golden_person_id] = min(first.get(row.golden_person_id, int(row.id)), int(row.id))
    earlier = [and_(a.golden_person_id == person, a.id < start) for person, start in first.items()]
    overtaking = set(
        connection.execute(
            select(a.golden_person_id).where(or_(*earlier), a.state.in_([PENDING, IN_FLIGHT])).distinct()
        ).scalars()
    )
    return [row for row in found if row.golden_person_id not in overtaking]


def set_target(connection: Connection, *, action_id: int, module: str, record_id: str) -> None:
    """Record which Zoho record an attempt is about to act on (before the call, so a look-up knows where)."""
    connection.execute(
        update(tracking_actions)
        .where(tracking_actions.c.id == action_id)
        .values(module=module, record_id=record_id, updated_at=utcnow())
    )


def complete(
    connection: Connection,
    *,
    action_id: int,
    state: str,
    remote_id: str | None = None,
    result: Mapping[str, Any] | None = None,
    error: str | None = None,
    where: tuple[str, str] | None = None,
) -> None:
    """Finish an action: ``done`` (with what it wrote; ``where``: the record it is on, when not the one last
    recorded, e.g. an earlier attempt's found on the Lead before a conversion) or ``skipped`` (why, in ``error``)."""
    now = utcnow()
    located = {"module": where[0], "record_id": where[1]} if where is not None else {}
    connection.execute(
        update(tracking_actions)
        .where(tracking_actions.c.id == action_id)
        .values(
            **located,
            state=state,
            remote_id=remote_id,
            result=dict(result) if result is not None else None,
            error_code=None,
            error=error,
            check_first=False,
            claimed_by=None,
            lease_until=None,
            updated_at=now,
            done_at=now,
        )
    )


def attempt_failed(
    connection: Connection,
    *,
    action_id: int,
    code: str | None,
    error: str,
    uncertain: bool,
    retry_at: datetime | None,
) -> None:
    """Record a failed attempt: back to ``pending`` until ``retry_at``, or ``failed`` when ``retry_at`` is None.

    ``uncertain`` (the call may have taken effect: a timeout, a lost answer, a 5xx) makes the next attempt look
    in Zoho before acting; a sure failure leaves the earlier flag as it was.
    """
    a = tracking_actions.c
    values: dict[str, Any] = {
        "state": PENDING if retry_at is not None else FAILED,
        "error_code": (code or "")[:64] or None,
        "error": error,
        "claimed_by": None,
        "lease_until": None,
        "updated_at": utcnow(),
    }
    if retry_at is not None:
        values["next_attempt_at"] = retry_at
    if uncertain:
        values["check_first"] = True
    connection.execute(update(tracking_actions).where(a.id == action_id).values(**values))


def renew_lease(connection: Connection, *, worker: str, lease: timedelta, ids: Sequence[int] | None = None) -> int:
    """Extend the lease on the actions ``worker`` still has in flight (it is alive and working), of those ``ids``
    when given (the batch it is performing: one it left in flight by a crash of its own must run out); how many."""
    a = tracking_actions.c
    mine = and_(a.claimed_by == worker, a.state == IN_FLIGHT)
    if ids is not None:
        mine = and_(mine, a.id.in_(list(ids)))
    result = connection.execute(update(tracking_actions).where(mine).values(lease_until=utcnow() + lease))
    return int(result.rowcount or 0)


def unclaim(connection: Connection, *, ids: Sequence[int]) -> None:
    """Give claimed actions back untried (an earlier action of their person is to be retried first)."""
    if ids:
        a = tracking_actions.c
        connection.execute(
            update(tracking_actions)
            .where(a.id.in_(list(ids)), a.state == IN_FLIGHT)
            .values(state=PENDING, attempts=a.attempts - 1, claimed_by=None, lease_until=None, updated_at=utcnow())
        )


def counts(connection: Connection) -> dict[str, int]:
    """Actions per state."""
    rows = connection.execute(select(tracking_actions.c.state, func.count()).group_by(tracking_actions.c.state)).all()
    return {str(state): int(n) for state, n in rows}


def counts_by_kind(connection: Connection) -> dict[tuple[str, str], int]:
    """Actions per (kind, state)."""
    a = tracking_actions.c
    rows = connection.execute(select(a.kind, a.state, func.count()).group_by(a.kind, a.state)).all()
    return {(str(kind), str(state)): int(n) for kind, state, n in rows}


def failures_by_reason(connection: Connection) -> dict[str, int]:
    """Failed actions grouped by kind and error."""
    a = tracking_actions.c
    rows = connection.execute(
        select(a.kind, a.error, func.count()).where(a.state == FAILED).group_by(a.kind, a.error)
    ).all()
    return {f"{kind}: {error or 'unknown'}": int(n) for kind, error, n in rows}


def oldest_waiting(connection: Connection) -> datetime | None:
    """When the oldest action not yet finished was queued."""
    value: Any = connection.execute(
        select(func.min(tracking_actions.c.created_at)).where(tracking_actions.c.state.in_([PENDING, IN_FLIGHT]))
    ).scalar_one_or_none()
    return as_utc(value)


def retry_failed(connection: Connection) -> int:
    """Failed actions back to the queue with a fresh attempt budget; they look in Zoho first. How many."""
    a = tracking_actions.c
    result = connection.execute(
        update(tracking_actions)
        .where(a.state == FAILED)
        .values(state=PENDING, attempts=0, next_attempt_at=utcnow(), check_first=True, updated_at=utcnow())
    )
    return int(result.rowcount or 0)


def actions_of(connection: Connection, *, golden_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Every action (of some people), oldest first, as plain rows."""
    query = select(tracking_actions).order_by(tracking_actions.c.id)
    if golden_ids is not None:
        query = query.where(tracking_actions.c.golden_person_id.in_(list(golden_ids)))
    return [dict(row._mapping) for row in connection.execute(query)]
