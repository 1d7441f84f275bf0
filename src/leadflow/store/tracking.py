"""Repository for the tracking service's tables: store a delivery once, claim the next ones, record outcomes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from leadflow.store.runs import utcnow
from leadflow.store.schema import dead_letters, webhook_deliveries
from leadflow.store.zoho import as_utc

RECEIVED, PROCESSED, IGNORED, FAILED = "received", "processed", "ignored", "failed"


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
    )
    return bool(connection.execute(statement).rowcount)


def store_dead_letter(
    connection: Connection, *, source: str, reason: str, headers: Mapping[str, str], body: bytes
) -> None:
    connection.execute(
        dead_letters.insert().values(
            source=source, received_at=utcnow(), reason=reason, headers=dict(headers), body=body
        )
    )


def claim(connection: Connection, *, limit: int) -> list[Delivery]:
    """The oldest deliveries still to process, locked for this transaction (``SKIP LOCKED`` on PostgreSQL,
    so several workers share the queue; SQLite runs one worker)."""
    query = (
        select(webhook_deliveries)
        .where(webhook_deliveries.c.state == RECEIVED)
        .order_by(webhook_deliveries.c.id)
        .limit(limit)
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [
        Delivery(
            id=int(row.id),
            source=row.source,
            vendor_event_id=row.vendor_event_id,
            event_type=row.event_type,
            contact_key=row.contact_key,
            received_at=as_utc(row.received_at) or utcnow(),
            body=bytes(row.body),
            attempts=int(row.attempts),
        )
        for row in connection.execute(query)
    ]


def finish(connection: Connection, *, ids: Sequence[int], state: str, error: str | None = None) -> None:
    if ids:
        connection.execute(
            update(webhook_deliveries)
            .where(webhook_deliveries.c.id.in_(list(ids)))
            .values(
                state=state,
                error=error,
                processed_at=utcnow(),
                attempts=webhook_deliveries.c.attempts + 1,
            )
        )


def counts(connection: Connection) -> dict[str, int]:
    """Deliveries per state (``received`` is the backlog)."""
    rows = connection.execute(
        select(webhook_deliveries.c.state, func.count()).group_by(webhook_deliveries.c.state)
    ).all()
    return {str(state): int(n) for state, n in rows}


def oldest_waiting(connection: Connection) -> datetime | None:
    value: Any = connection.execute(
        select(func.min(webhook_deliveries.c.received_at)).where(webhook_deliveries.c.state == RECEIVED)
    ).scalar_one_or_none()
    return as_utc(value)


def dead_letter_count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(dead_letters)).scalar_one())
