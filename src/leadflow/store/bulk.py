"""Fast batched inserts: one compiled statement, the driver's ``executemany``, values prepared once.

SQLAlchemy's per-row parameter processing is the bottleneck at a million rows; here JSON values arrive already
serialized and timestamps already in the dialect's storage form, so the driver does the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Connection, Table
from sqlalchemy.dialects.postgresql import JSONB


def insert_rows(connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` with one ``executemany``.

    JSON columns take JSON *text*; timestamps take ``datetime`` (converted here for SQLite).

    Example:
        >>> # insert_rows(connection, quarantine, ["run_id", ...], [(1, ...), ...])
    """
    if not rows:
        return
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    postgres = dialect.name == "postgresql"
    placeholders = []
    for name in columns:
        column_type = table.c[name].type
        is_json = isinstance(column_type, JSON | JSONB) or "JSON" in type(column_type).__name__.upper()
        if postgres:
            placeholders.append("%s::jsonb" if is_json else "%s")
        else:
            placeholders.append("?")
    sql = f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) VALUES ({', '.join(placeholders)})"
    if not postgres:
        rows = _sqlite_rows(rows)
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def _sqlite_rows(rows: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
    """Timestamps in SQLAlchemy's SQLite DATETIME storage format, so rows written here read back like any other."""
    positions = [i for i, v in enumerate(rows[0]) if isinstance(v, datetime)]
    if not positions:
        return rows
    formatted: dict[datetime, str] = {}
    out = []
    for row in rows:
        values = list(row)
        for i in positions:
            value = values[i]
            if isinstance(value, datetime):
                text = formatted.get(value)
                if text is None:
                    text = formatted[value] = value.strftime("%Y-%m-%d %H:%M:%S.%f")
                values[i] = text
        out.append(values)
    return out
