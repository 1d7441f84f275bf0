"""Repository for ingest: source records, prospects and quarantine rows, written in large batches."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, and_, func, select

from leadflow.store.bulk import insert_rows
from leadflow.store.schema import prospects, quarantine, source_records

SOURCE_RECORD_COLUMNS = ("run_id", "source_kind", "file_name", "file_sha256", "row_number", "raw", "ingested_at")
QUARANTINE_COLUMNS = (
    "run_id",
    "source_kind",
    "file_name",
    "file_sha256",
    "row_number",
    "raw_text",
    "reason",
    "detail",
    "created_at",
)
PROSPECT_COLUMNS: tuple[str, ...] = tuple(c.name for c in prospects.columns)


def seen_row_numbers(connection: Connection, *, file_sha256: str, first_row: int, last_row: int) -> set[int]:
    """Row numbers of this file already stored or quarantined, between ``first_row`` and ``last_row``."""
    seen: set[int] = set()
    for table in (source_records, quarantine):
        query = select(table.c.row_number).where(
            and_(
                table.c.file_sha256 == file_sha256,
                table.c.row_number >= first_row,
                table.c.row_number <= last_row,
            )
        )
        seen.update(int(r) for r in connection.execute(query).scalars())
    return seen


def insert_source_records(connection: Connection, *, rows: Sequence[Sequence[Any]]) -> None:
    """Insert source records, tuples in ``SOURCE_RECORD_COLUMNS`` order (``raw`` as JSON text)."""
    insert_rows(connection, source_records, SOURCE_RECORD_COLUMNS, rows)


def source_record_ids(connection: Connection, *, file_sha256: str, first_row: int, last_row: int) -> dict[int, int]:
    """``row_number -> source_records.id`` for a range of one file's rows."""
    query = select(source_records.c.row_number, source_records.c.id).where(
        and_(
            source_records.c.file_sha256 == file_sha256,
            source_records.c.row_number >= first_row,
            source_records.c.row_number <= last_row,
        )
    )
    return {int(row_number): int(record_id) for row_number, record_id in connection.execute(query)}


def insert_prospects(connection: Connection, *, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert prospects, tuples in ``columns`` order (JSON columns as JSON text)."""
    unknown = set(columns) - set(PROSPECT_COLUMNS)
    if unknown:
        raise ValueError(f"not prospects columns: {sorted(unknown)}")
    insert_rows(connection, prospects, columns, rows)


def insert_quarantine(connection: Connection, *, rows: Sequence[Sequence[Any]]) -> None:
    """Insert quarantined rows, tuples in ``QUARANTINE_COLUMNS`` order."""
    insert_rows(connection, quarantine, QUARANTINE_COLUMNS, rows)


def list_quarantine(
    connection: Connection,
    *,
    run_id: int | None = None,
    reason: str | None = None,
    file_name: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Quarantined rows, oldest first, optionally filtered."""
    return list(iter_quarantine(connection, run_id=run_id, reason=reason, file_name=file_name, limit=limit))


def iter_quarantine(
    connection: Connection,
    *,
    run_id: int | None = None,
    reason: str | None = None,
    file_name: str | None = None,
    limit: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Stream quarantined rows, oldest first (server-side in batches)."""
    query = select(quarantine).order_by(quarantine.c.id)
    if run_id is not None:
        query = query.where(quarantine.c.run_id == run_id)
    if reason is not None:
        query = query.where(quarantine.c.reason == reason)
    if file_name is not None:
        query = query.where(quarantine.c.file_name == file_name)
    if limit is not None:
        query = query.limit(limit)
    result = connection.execution_options(yield_per=5000).execute(query)
    for row in result.mappings():
        yield dict(row)


def quarantine_counts(connection: Connection, *, run_id: int | None = None) -> dict[str, int]:
    """Quarantined rows per reason."""
    query = select(quarantine.c.reason, func.count()).group_by(quarantine.c.reason)
    if run_id is not None:
        query = query.where(quarantine.c.run_id == run_id)
    return {str(reason): int(count) for reason, count in connection.execute(query)}


def count_prospects(connection: Connection, *, run_id: int | None = None) -> int:
    """Number of prospects (of one run, or all)."""
    query = select(func.count()).select_from(prospects)
    if run_id is not None:
        query = query.where(prospects.c.run_id == run_id)
    return int(connection.execute(query).scalar_one())


def get_prospects(connection: Connection, *, file_name: str | None = None) -> list[dict[str, Any]]:
    """Prospects as dictionaries ordered by file and row (for inspection and tests; not for millions)."""
    query = select(prospects).order_by(prospects.c.file_name, prospects.c.row_number)
    if file_name is not None:
        query = query.where(prospects.c.file_name == file_name)
    return [dict(row) for row in connection.execute(query).mappings()]


def as_tuple(row: Mapping[str, Any], columns: Sequence[str]) -> tuple[Any, ...]:
    """A mapping as a tuple in ``columns`` order (``None`` for missing keys)."""
    return tuple(row.get(c) for c in columns)
