"""Repository for the tracking service's tables: store a delivery once, claim the next ones, record outcomes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from leadflow.store.runs import utcnow
from leadflow.store.schema import dead_letters, webhook_deliveries
from leadflow.store.zoho import as_utc

RECEIVED, PROCESSING, PROCESSED = "received", "processing", "processed"
IGNORED, PARKED, FAILED = "ignored", "parked", "failed"


@dataclass(frozen=True)
class Delivery:
    """A stored webhook delivery."""

    id: int
    source: str
    vendor_event_id: str
    event_type: str
    contact_key: str | None
    received_at: datetime
    body: bytes
    attempts: int


def store_delivery(
    connection: Connection,
    *,
    source: str,
    vendor_event_id: str,
    event_type: str,
    contact_key: str | None,
    headers: Mapping[str, str],
    body: bytes,
    received_at: datetime | None = None,
) -> bool:
    """Insert a delivery unless one with the same source and id is stored; True when it was new."""
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(webhook_deliveries)
        .values(
            source=source,
            vendor_event_id=vendor_event_id[:255],
            event_type=event_type[:64] or "unknown",
            contact_key=contact_key,
            received_at=received_at or utcnow(),
            headers=dict(headers),
            body=body,
            state=RECEIVED,
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=["source", "vendor_event_id"])
        .returning(webhook_deliveries.c.id)  # psycopg answers rowcount -1 here: a row back means new
    )
    return connection.execute(statement).first() is not None


def delivery_row(
    *,
    source: str,
    vendor_event_id: str,
    event_type: str,
    contact_key: str | None,
    headers: Mapping[str, str],
    body: bytes,
    received_at: datetime | None = None,
) -> dict[str, Any]:
    """The ``webhook_deliveries`` row of a delivery just received (for :func:`store_deliveries`)."""
    return {
        "source": source,
        "vendor_event_id": vendor_event_id[:255],
        "event_type": event_type[:64] or "unknown",
        "contact_key": contact_key,
        "received_at": received_at or utcnow(),
        "headers": dict(headers),
        "body": body,
        "state": RECEIVED,
        "attempts": 0,
    }


def store_deliveries(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> list[bool]:
    """Insert many :func:`delivery_row` rows in one statement, skipping those already stored; per row, True when it
    was new (of two rows with one id in ``rows``, the first is the new one)."""
    if not rows:
        return []
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    d = webhook_deliveries.c
    statement = (
        insert(webhook_deliveries)
        .on_conflict_do_nothing(index_elements=["source", "vendor_event_id"])
        .returning(d.source, d.vendor_event_id)
    )
    inserted = {(str(source), str(vid)) for source, vid in connection.execute(statement, list(rows))}
    new = []
    for row in rows:
        key = (str(row["source"]), str(row["vendor_event_id"]))
        new.append(key in inserted)
        inserted.discard(key)
    return new


def store_dead_letter(
    connection: Connection, *, source: str, reason: str, headers: Mapping[str, str], body: bytes
) -> None:
    connection.execute(
        dead_letters.insert().values(
            source=source, received_at=utcnow(), reason=reason, headers=dict(headers), body=body
        )
    )


def claim(connection: Connection, *, worker: str, limit: int, lease: timedelta) -> list[Delivery]:
    """Take the oldest deliveries to process (and any whose worker's lease ran out) for ``worker``.

    On PostgreSQL the candidates are locked with ``SKIP LOCKED`` so several workers share the queue, and a
    contact with a delivery still being processed by another worker is left alone (its events stay in order);
    SQLite runs one worker. The claim is committed with the caller's transaction.
    """
    now = utcnow()
    d = webhook_deliveries.c
    busy = (
        select(d.contact_key)
        .where(d.state == PROCESSING, d.lease_until >= now, d.contact_key.is_not(None))
        .scalar_subquery()
    )
    waiting = or_(d.state == RECEIVED, and_(d.state == PROCESSING, d.lease_until < now))
    query = (
        select(d.id)
        .where(waiting, or_(d.contact_key.is_(None), d.contact_key.not_in(busy)))
        .order_by(d.id)
        .limit(limit)
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = [int(row[0]) for row in connection.execute(query)]
    if not ids:
        return []
    connection.execute(
        update(webhook_deliveries)
        .where(d.id.in_(ids))
        .values(state=PROCESSING, claimed_by=worker, lease_until=now + lease, attempts=d.attempts + 1)
    )
    rows = connection.execute(select(webhook_deliveries).where(d.id.in_(ids)).order_by(d.id))
    return [
        Delivery(
            id=int(row.id),
            source=row.source,
            vendor_event_id=row.vendor_event_id,
            event_type=row.event_type,
            contact_key=row.contact_key,
            received_at=as_utc(row.received_at) or now,
            body=bytes(row.body),
            attempts=int(row.attempts),
        )
        for row in rows
    ]


def release(connection: Connection, *, ids: Sequence[int], state: str = RECEIVED, error: str | None = None) -> None:
    """Give claimed deliveries back (``received``: try again; ``parked``: wait for the person to be known)."""
    if ids:
        connection.execute(
            update(webhook_deliveries)
            .where(webhook_deliveries.c.id.in_(list(ids)))
            .values(state=state, claimed_by=None, lease_until=None, error=error)
        )


def unpark(connection: Connection) -> int:
    """Parked deliveries back to the queue (after a sync linked new contacts); how many."""
    result = connection.execute(
        update(webhook_deliveries).where(webhook_deliveries.c.state == PARKED).values(state=RECEIVED)
    )
    return int(result.rowcount or 0)


def finish(connection: Connection, *, ids: Sequence[int], state: str, error: str | None = None) -> None:
    if ids:
        connection.execute(
            update(webhook_deliveries)
            .where(webhook_deliveries.c.id.in_(list(ids)))
            .values(state=state, error=error, processed_at=utcnow(), claimed_by=None, lease_until=None)
        )


def counts(connection: Connection) -> dict[str, int]:
    """Deliveries per state (``received`` is the backlog)."""
    rows = connection.execute(
        select(webhook_deliveries.c.state, func.count()).group_by(webhook_deliveries.c.state)
    ).all()
    return {str(state): int(n) for state, n in rows}


def oldest_waiting(connection: Connection) -> datetime | None:
    """When the oldest delivery not yet processed arrived (the intake-to-processing lag)."""
    value: Any = connection.execute(
        select(func.min(webhook_deliveries.c.received_at)).where(webhook_deliveries.c.state.in_([RECEIVED, PROCESSING]))
    ).scalar_one_or_none()
    return as_utc(value)


def dead_letter_count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(dead_letters)).scalar_one())


def failures_by_reason(connection: Connection) -> dict[str, int]:
    """Failed deliveries grouped by their error (the first line of it)."""
    rows = connection.execute(
        select(webhook_deliveries.c.error, func.count())
        .where(webhook_deliveries.c.state == FAILED)
        .group_by(webhook_deliveries.c.error)
    ).all()
    return {str(error or "unknown"): int(n) for error, n in rows}


def retry_failed(connection: Connection) -> int:
    """Failed deliveries back to the queue; how many."""
    result = connection.execute(
        update(webhook_deliveries).where(webhook_deliveries.c.state == FAILED).values(state=RECEIVED, error=None)
    )
    return int(result.rowcount or 0)
