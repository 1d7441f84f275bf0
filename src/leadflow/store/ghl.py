"""Repository for the GoHighLevel client's tables: OAuth tokens and the request ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from leadflow.store.runs import utcnow
from leadflow.store.schema import ghl_request_ledger, ghl_tokens
from leadflow.store.zoho import as_utc


@dataclass(frozen=True)
class StoredToken:
    """An OAuth credential set as stored (tokens still encrypted when ``encrypted``)."""

    key: str
    client_id: str
    user_type: str
    location_id: str | None
    company_id: str | None
    access_token: str | None
    refresh_token: str | None
    encrypted: bool
    scope: str | None
    expires_at: datetime | None
    refresh_count: int


def _insert(connection: Connection) -> Any:
    return pg_insert if connection.dialect.name == "postgresql" else sqlite_insert


def _token(row: Any) -> StoredToken:
    return StoredToken(
        key=row.key,
        client_id=row.client_id,
        user_type=row.user_type,
        location_id=row.location_id,
        company_id=row.company_id,
        access_token=row.access_token,
        refresh_token=row.refresh_token,
        encrypted=bool(row.encrypted),
        scope=row.scope,
        expires_at=as_utc(row.expires_at),
        refresh_count=int(row.refresh_count or 0),
    )


def get_token(connection: Connection, *, key: str) -> StoredToken | None:
    row = connection.execute(select(ghl_tokens).where(ghl_tokens.c.key == key)).first()
    return _token(row) if row else None


def lock_token(connection: Connection, *, key: str) -> StoredToken | None:
    """Hold the row's lock until the caller's transaction ends (PostgreSQL row lock; SQLite write lock)."""
    if connection.dialect.name == "sqlite":
        connection.execute(
            update(ghl_tokens).where(ghl_tokens.c.key == key).values(refresh_count=ghl_tokens.c.refresh_count)
        )
    row = connection.execute(select(ghl_tokens).where(ghl_tokens.c.key == key).with_for_update()).first()
    return _token(row) if row else None


def save_token(
    connection: Connection,
    *,
    key: str,
    client_id: str,
    user_type: str,
    location_id: str | None,
    company_id: str | None,
    access_token: str,
    refresh_token: str | None,
    encrypted: bool,
    scope: str | None,
    expires_at: datetime,
    refreshed: bool,
) -> None:
    """Insert or replace credential set ``key`` (in the caller's transaction, with the row lock held)."""
    values: dict[str, Any] = {
        "client_id": client_id,
        "user_type": user_type,
        "location_id": location_id,
        "company_id": company_id,
        "access_token": access_token,
        "refresh_token": refresh_token,
        "encrypted": encrypted,
        "scope": scope,
        "expires_at": expires_at,
        "updated_at": utcnow(),
    }
    statement = _insert(connection)(ghl_tokens).values(key=key, refresh_count=1 if refreshed else 0, **values)
    update_values = dict(values)
    if refreshed:
        update_values["refresh_count"] = ghl_tokens.c.refresh_count + 1
    connection.execute(statement.on_conflict_do_update(index_elements=[ghl_tokens.c.key], set_=update_values))


def add_requests(connection: Connection, *, location_id: str, bucket: datetime, requests: int) -> None:
    """Add (or, negative, give back) requests in the one-minute ``bucket`` of ``location_id``."""
    statement = _insert(connection)(ghl_request_ledger).values(
        location_id=location_id, bucket=bucket, requests=requests
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[ghl_request_ledger.c.location_id, ghl_request_ledger.c.bucket],
            set_={"requests": ghl_request_ledger.c.requests + statement.excluded.requests},
        )
    )


def requests_since(connection: Connection, *, location_id: str, since: datetime) -> int:
    value = connection.execute(
        select(func.coalesce(func.sum(ghl_request_ledger.c.requests), 0)).where(
            ghl_request_ledger.c.location_id == location_id, ghl_request_ledger.c.bucket >= since
        )
    ).scalar_one()
    return int(value)


def prune_requests(connection: Connection, *, before: datetime) -> None:
    connection.execute(delete(ghl_request_ledger).where(ghl_request_ledger.c.bucket < before))
