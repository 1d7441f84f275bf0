"""Repository for golden records and cluster membership: read the previous assignment, write a resolve result,
answer ``--explain`` and ``export clusters``."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from typing import Any, TypeAlias

import pyarrow as pa
from sqlalchemy import JSON, Connection, delete, func, select

from leadflow.store.runs import utcnow
from leadflow.store.schema import (
    cluster_members,
    crm_cluster_members,
    golden_companies,
    golden_people,
    source_records,
)

BATCH = 5_000
Rows: TypeAlias = Iterable[Mapping[str, Any]] | pa.Table


def previous_assignments(connection: Connection) -> dict[str, str]:
    """Candidate rid → golden person id from the last resolve (prospects as ``p:<id>``, CRM as ``crm:<mod>:<id>``)."""
    result = {
        f"p:{srid}": gid
        for srid, gid in connection.execute(
            select(cluster_members.c.source_record_id, cluster_members.c.golden_person_id)
        )
    }
    for module, crm_id, gid in connection.execute(
        select(golden_people.c.crm_module, golden_people.c.crm_id, golden_people.c.id).where(
            golden_people.c.crm_id.is_not(None)
        )
    ):
        result.setdefault(f"crm:{module}:{crm_id}", gid)
    return result


def crm_links(connection: Connection) -> dict[str, tuple[str, str]]:
    """Golden person id → (crm_module, crm_id) as stored now."""
    rows = connection.execute(
        select(golden_people.c.id, golden_people.c.crm_module, golden_people.c.crm_id).where(
            golden_people.c.crm_id.is_not(None)
        )
    )
    return {gid: (module, crm_id) for gid, module, crm_id in rows}


class _BulkWriter:
    """Batched ``INSERT ... ON CONFLICT`` through the driver's ``executemany`` (a million rows through
    SQLAlchemy's per-row parameter processing is minutes; this is seconds). Values go through each column
    type's own bind processor, so what is stored reads back exactly as through SQLAlchemy. JSON columns accept
    text that already is JSON (the resolver builds provenance as JSON text) or any JSON-able value."""

    def __init__(self, connection: Connection, table: Any, *, upsert: bool) -> None:
        dialect = connection.dialect
        self.connection = connection
        self.columns = [c.name for c in table.columns]
        self.key = next(iter(table.primary_key.columns)).name
        self.json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
        self.processors = {
            c.name: c.type.dialect_impl(dialect).bind_processor(dialect)
            for c in table.columns
            if c.name not in self.json_columns
        }
        postgres = dialect.name == "postgresql"
        marks = [("%s::jsonb" if name in self.json_columns else "%s") if postgres else "?" for name in self.columns]
        quoted = ", ".join(f'"{name}"' for name in self.columns)
        self.sql = f"INSERT INTO {table.name} ({quoted}) VALUES ({', '.join(marks)})"
        if upsert:
            updates = ", ".join(f'"{n}" = excluded."{n}"' for n in self.columns if n != self.key)
            self.sql += f' ON CONFLICT ("{self.key}") DO UPDATE SET {updates}'

    def _value(self, name: str, value: Any) -> Any:
        if name in self.json_columns:
            if value is None:
                return "null"
            return value if isinstance(value, str) else json.dumps(value)
        processor = self.processors[name]
        return processor(value) if processor is not None and value is not None else value

    def write(self, rows: Rows, extra: Mapping[str, Any]) -> set[Any]:
        """Write ``rows`` (mappings, or an Arrow table read a column at a time); returns the keys written."""
        # per column, once: a constant (from ``extra``, which wins over the row) or how to convert the row's value
        plan = [
            (name, True, self._value(name, extra[name]), None)
            if name in extra
            else (name, False, None, self._converter(name))
            for name in self.columns
        ]
        written: set[Any] = set()
        for size, column_of in _column_batches(rows):
            columns: list[Any] = []
            for name, fixed, constant, convert in plan:
                if fixed:
                    columns.append([constant] * size)
                    continue
                column = column_of(name)
                columns.append([convert(v) for v in column] if convert is not None else column)
            key_column = columns[self.columns.index(self.key)]
            written.update(key_column)
            self.connection.exec_driver_sql(self.sql, list(zip(*columns, strict=True)))
        return written

    def _converter(self, name: str) -> Any:
        """``None`` when the driver takes the value as it is, else a function of one value (``None`` included)."""
        if name in self.json_columns:
            return _json_text
        processor = self.processors[name]
        if processor is None:
            return None
        return lambda value: processor(value) if value is not None else None


def _json_text(value: Any) -> str:
    if value is None:
        return "null"
    return value if isinstance(value, str) else json.dumps(value)


def _upsert(connection: Connection, table: Any, rows: Rows, extra: Mapping[str, Any]) -> set[str]:
    """Insert or update ``rows`` in batches; returns the primary keys written."""
    return _BulkWriter(connection, table, upsert=True).write(rows, extra)


def _column_batches(rows: Rows) -> Iterator[tuple[int, Callable[[str], list[Any]]]]:
    """Batches of ``rows`` as (size, column by name); a missing column reads as nulls."""
    if isinstance(rows, pa.Table):
        for record_batch in rows.to_batches(max_chunksize=BATCH):
            yield record_batch.num_rows, partial(_arrow_column, record_batch)
        return
    for batch in _batches(rows):
        yield len(batch), partial(_mapping_column, batch)


def _arrow_column(batch: pa.RecordBatch, name: str) -> list[Any]:
    if name in batch.schema.names:
        values: list[Any] = batch.column(name).to_pylist()
        return values
    return [None] * batch.num_rows


def _mapping_column(batch: list[Mapping[str, Any]], name: str) -> list[Any]:
    return [row.get(name) for row in batch]


def _batches(rows: Iterable[Mapping[str, Any]]) -> Iterator[list[Mapping[str, Any]]]:
    batch: list[Mapping[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _delete_missing(connection: Connection, table: Any, keep: set[str]) -> int:
    existing = {row[0] for row in connection.execute(select(table.c.id))}
    gone = sorted(existing - keep)
    for start in range(0, len(gone), 500):
        connection.execute(delete(table).where(table.c.id.in_(gone[start : start + 500])))
    return len(gone)


def replace_golden(
    connection: Connection,
    *,
    companies: Rows,
    people: Rows,
    members: Rows,
    run_id: int | None = None,
    crm_members: Rows | None = None,
) -> dict[str, int]:
    """Make the golden tables equal to one resolve result, in the caller's transaction. Rows are consumed
    in batches, so the arguments may be generators.

    Ids that still exist are updated in place (other tables may point at them); ids gone are deleted.
    ``crm_members`` (rows of ``crm_cluster_members``) replace the stored ones; ``None`` (a resolve without the
    CRM) keeps them for the golden people that remain.
    """
    now = utcnow()
    connection.execute(delete(cluster_members))
    if crm_members is not None:
        connection.execute(delete(crm_cluster_members))
    company_ids = _upsert(connection, golden_companies, companies, {"updated_at": now})
    people_ids = _upsert(connection, golden_people, people, {"updated_at": now})
    if crm_members is None:
        _delete_crm_members_of_gone_people(connection, people_ids)
    removed_people = _delete_missing(connection, golden_people, people_ids)
    removed_companies = _delete_missing(connection, golden_companies, company_ids)
    _BulkWriter(connection, cluster_members, upsert=False).write(members, {"run_id": run_id})
    if crm_members is not None:
        _BulkWriter(connection, crm_cluster_members, upsert=False).write(crm_members, {"run_id": run_id})
    return {"golden_people_removed": removed_people, "golden_companies_removed": removed_companies}


def _delete_crm_members_of_gone_people(connection: Connection, people_ids: set[str]) -> None:
    table = crm_cluster_members
    linked = {row[0] for row in connection.execute(select(table.c.golden_person_id).distinct())}
    gone = sorted(linked - people_ids)
    for start in range(0, len(gone), 500):
        connection.execute(delete(table).where(table.c.golden_person_id.in_(gone[start : start + 500])))


def golden_person(connection: Connection, *, golden_id: str) -> dict[str, Any] | None:
    row = connection.execute(select(golden_people).where(golden_people.c.id == golden_id)).mappings().first()
    return dict(row) if row else None


def golden_id_of_source_record(connection: Connection, *, source_record_id: int) -> str | None:
    return connection.execute(
        select(cluster_members.c.golden_person_id).where(cluster_members.c.source_record_id == source_record_id)
    ).scalar_one_or_none()


def cluster_rows(connection: Connection, *, golden_id: str) -> list[dict[str, Any]]:
    """The source rows of one golden person with how each was joined (for ``--explain``)."""
    query = (
        select(
            cluster_members.c.source_record_id,
            source_records.c.source_kind,
            source_records.c.file_name,
            source_records.c.row_number,
            cluster_members.c.match_reason,
            cluster_members.c.match_weight,
            cluster_members.c.partner_source_record_id,
            cluster_members.c.partner_crm_module,
            cluster_members.c.partner_crm_id,
            cluster_members.c.match_detail,
        )
        .join(source_records, source_records.c.id == cluster_members.c.source_record_id)
        .where(cluster_members.c.golden_person_id == golden_id)
        .order_by(cluster_members.c.source_record_id)
    )
    return [dict(row) for row in connection.execute(query).mappings()]


def crm_cluster_rows(connection: Connection, *, golden_id: str) -> list[dict[str, Any]]:
    """The mirrored CRM records matched into one golden person with how each was joined (for ``--explain``)."""
    table = crm_cluster_members
    query = select(table).where(table.c.golden_person_id == golden_id).order_by(table.c.crm_module, table.c.crm_id)
    return [dict(row) for row in connection.execute(query).mappings()]


def iter_cluster_export(connection: Connection) -> Iterator[tuple[str, int, str]]:
    """``(file base name, 1-based data row, golden id)`` for every resolved ingested row, in file/row order."""
    query = (
        select(source_records.c.file_name, source_records.c.row_number, cluster_members.c.golden_person_id)
        .join(cluster_members, cluster_members.c.source_record_id == source_records.c.id)
        .order_by(source_records.c.file_name, source_records.c.row_number)
    )
    for file_name, row_number, golden_id in connection.execution_options(yield_per=10_000).execute(query):
        yield os.path.basename(file_name), int(row_number), golden_id


def golden_counts(connection: Connection) -> dict[str, int]:
    return {
        "golden_people": int(connection.execute(select(func.count()).select_from(golden_people)).scalar_one()),
        "golden_companies": int(connection.execute(select(func.count()).select_from(golden_companies)).scalar_one()),
        "cluster_members": int(connection.execute(select(func.count()).select_from(cluster_members)).scalar_one()),
    }


def as_json_list(value: Any) -> list[Any]:
    """A JSON list column that arrived as text from the resolver."""
    if value is None:
        return []
    if isinstance(value, str):
        parsed = json.loads(value)
        return list(parsed) if isinstance(parsed, list) else [parsed]
    return list(value)
