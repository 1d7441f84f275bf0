"""Repository for the key-value table: cursors and small bits of state that survive runs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from leadflow.store.runs import utcnow
from leadflow.store.schema import kv


def get_value(connection: Connection, *, key: str, default: Any = None) -> Any:
    value = connection.execute(select(kv.c.value).where(kv.c.key == key)).scalar_one_or_none()
    return default if value is None else value


def set_value(connection: Connection, *, key: str, value: Any) -> None:
    """Insert or replace ``key`` in the same transaction as the caller's other writes."""
    dialect_insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(kv).values(key=key, value=value, updated_at=utcnow())
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[kv.c.key], set_={"value": statement.excluded.value, "updated_at": utcnow()}
        )
    )


def delete_value(connection: Connection, *, key: str) -> None:
    connection.execute(delete(kv).where(kv.c.key == key))


def values_with_prefix(connection: Connection, *, prefix: str) -> dict[str, Any]:
    """Every key starting with ``prefix``, with its value."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = connection.execute(select(kv.c.key, kv.c.value).where(kv.c.key.like(f"{escaped}%", escape="\\")))
    return {str(key): value for key, value in rows}


def set_values(connection: Connection, *, values: dict[str, Any]) -> None:
    """:func:`set_value` for many keys in one statement."""
    if not values:
        return
    dialect_insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    statement = dialect_insert(kv)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[kv.c.key], set_={"value": statement.excluded.value, "updated_at": now}
        ),
        [{"key": key, "value": value, "updated_at": now} for key, value in values.items()],
    )


def delete_values(connection: Connection, *, keys: Iterable[str]) -> None:
    wanted = list(keys)
    for start in range(0, len(wanted), 1_000):
        connection.execute(delete(kv).where(kv.c.key.in_(wanted[start : start + 1_000])))
