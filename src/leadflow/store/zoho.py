"""Repository for the Zoho client's tables: saved connection, cached access tokens, credit ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from leadflow.store.runs import utcnow
from leadflow.store.schema import zoho_connections, zoho_credit_ledger, zoho_tokens


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything the store writes is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class CachedToken:
    """An access token as cached in the store (``access_token`` still encrypted when ``encrypted``)."""

    key: str
    access_token: str | None
    encrypted: bool
    api_domain: str | None
    expires_at: datetime | None
    refresh_count: int


def _insert(connection: Connection) -> Any:
    return pg_insert if connection.dialect.name == "postgresql" else sqlite_insert


def _token(row: Any) -> CachedToken:
    return CachedToken(
        key=row.key,
        access_token=row.access_token,
        encrypted=bool(row.encrypted),
        api_domain=row.api_domain,
        expires_at=as_utc(row.expires_at),
        refresh_count=int(row.refresh_count or 0),
    )


def get_token(connection: Connection, *, key: str) -> CachedToken | None:
    """The cached token for ``key`` without locking (the fast path)."""
    row = connection.execute(select(zoho_tokens).where(zoho_tokens.c.key == key)).first()
    return _token(row) if row else None


def lock_token(connection: Connection, *, key: str) -> CachedToken:
    """Create the row if needed and hold its lock until the caller's transaction ends.

    PostgreSQL takes a row lock (``FOR UPDATE``); SQLite takes the database write lock with a no-op update,
    which other processes wait on through the busy timeout.
    """
    statement = _insert(connection)(zoho_tokens).values(
        key=key, access_token=None, encrypted=False, refresh_count=0, updated_at=utcnow()
    )
    connection.execute(statement.on_conflict_do_nothing(index_elements=[zoho_tokens.c.key]))
    if connection.dialect.name == "sqlite":
        connection.execute(
            update(zoho_tokens).where(zoho_tokens.c.key == key).values(refresh_count=zoho_tokens.c.refresh_count)
        )
    row = connection.execute(select(zoho_tokens).where(zoho_tokens.c.key == key).with_for_update()).one()
    return _token(row)


def save_token(
    connection: Connection,
    *,
    key: str,
    access_token: str,
    encrypted: bool,
    api_domain: str | None,
    expires_at: datetime,
) -> None:
    """Store a fresh access token (the row must exist: take it with :func:`lock_token` first)."""
    connection.execute(
        update(zoho_tokens)
        .where(zoho_tokens.c.key == key)
        .values(
            access_token=access_token,
            encrypted=encrypted,
            api_domain=api_domain,
            expires_at=expires_at,
            refresh_count=zoho_tokens.c.refresh_count + 1,
            updated_at=utcnow(),
        )
    )


def forget_token(connection: Connection, *, key: str) -> None:
    connection.execute(delete(zoho_tokens).where(zoho_tokens.c.key == key))


def add_credits(connection: Connection, *, bucket: datetime, credits: int, calls: int) -> None:
    """Add (or, with negative numbers, give back) credits in the one-minute ``bucket``."""
    statement = _insert(connection)(zoho_credit_ledger).values(bucket=bucket, credits=credits, calls=calls)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[zoho_credit_ledger.c.bucket],
            set_={
                "credits": zoho_credit_ledger.c.credits + statement.excluded.credits,
                "calls": zoho_credit_ledger.c.calls + statement.excluded.calls,
            },
        )
    )


def credits_since(connection: Connection, *, since: datetime) -> tuple[int, int]:
    """Credits and calls booked in buckets at or after ``since``."""
    row = connection.execute(
        select(
            func.coalesce(func.sum(zoho_credit_ledger.c.credits), 0),
            func.coalesce(func.sum(zoho_credit_ledger.c.calls), 0),
        ).where(zoho_credit_ledger.c.bucket >= since)
    ).one()
    return int(row[0]), int(row[1])


def oldest_bucket_since(connection: Connection, *, since: datetime) -> datetime | None:
    """The earliest bucket still inside the window: when credits start coming back."""
    value = connection.execute(
        select(func.min(zoho_credit_ledger.c.bucket)).where(
            zoho_credit_ledger.c.bucket >= since, zoho_credit_ledger.c.credits > 0
        )
    ).scalar_one_or_none()
    return as_utc(value)


def prune_credits(connection: Connection, *, before: datetime) -> None:
    connection.execute(delete(zoho_credit_ledger).where(zoho_credit_ledger.c.bucket < before))


def get_connection(connection: Connection, *, name: str = "default") -> dict[str, Any] | None:
    """The saved Zoho connection (secrets still encrypted)."""
    row = connection.execute(select(zoho_connections).where(zoho_connections.c.name == name)).mappings().first()
    return dict(row) if row else None


def save_connection(
    connection: Connection,
    *,
    name: str = "default",
    data_centre: str,
    accounts_url: str,
    api_domain: str | None,
    client_id: str,
    client_secret_encrypted: str | None,
    refresh_token_encrypted: str,
    scopes: list[str],
) -> None:
    """Insert or replace the saved connection ``name``."""
    now = utcnow()
    values = {
        "data_centre": data_centre,
        "accounts_url": accounts_url,
        "api_domain": api_domain,
        "client_id": client_id,
        "client_secret_encrypted": client_secret_encrypted,
        "refresh_token_encrypted": refresh_token_encrypted,
        "scopes": scopes,
        "updated_at": now,
    }
    statement = _insert(connection)(zoho_connections).values(name=name, created_at=now, **values)
    connection.execute(statement.on_conflict_do_update(index_elements=[zoho_connections.c.name], set_=values))
