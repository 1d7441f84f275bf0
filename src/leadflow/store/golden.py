"""Repository for golden records and cluster membership: read the previous assignment, write a resolve result,
answer ``--explain`` and ``export clusters``."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from leadflow.store.runs import utcnow
from leadflow.store.schema import cluster_members, golden_companies, golden_people, source_records

BATCH = 5_000


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


def _upsert(
    connection: Connection, table: Any, rows: Iterable[Mapping[str, Any]], extra: Mapping[str, Any]
) -> set[str]:
    """Insert or update ``rows`` in batches; returns the primary keys written."""
    dialect_insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    columns = [c.name for c in table.columns]
    key = next(iter(table.primary_key.columns)).name
    statement = dialect_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[key], set_={name: statement.excluded[name] for name in columns if name != key}
    )
    written: set[str] = set()
    for batch in _batches(rows):
        values = [{**{name: row.get(name) for name in columns}, **extra} for row in batch]
        written.update(v[key] for v in values)
        connection.execute(statement, values)
    return written


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
    companies: Iterable[Mapping[str, Any]],
    people: Iterable[Mapping[str, Any]],
    members: Iterable[Mapping[str, Any]],
    run_id: int | None = None,
) -> dict[str, int]:
    """Make the golden tables equal to one resolve result, in the caller's transaction. Rows are consumed
    in batches, so the arguments may be generators.

    Ids that still exist are updated in place (other tables may point at them); ids gone are deleted.
    """
    now = utcnow()
    connection.execute(delete(cluster_members))
    company_ids = _upsert(connection, golden_companies, companies, {"updated_at": now})
    people_ids = _upsert(connection, golden_people, people, {"updated_at": now})
    removed_people = _delete_missing(connection, golden_people, people_ids)
    removed_companies = _delete_missing(connection, golden_companies, company_ids)
    member_columns = [c.name for c in cluster_members.columns]
    for batch in _batches(members):
        connection.execute(
            cluster_members.insert(), [{**{n: m.get(n) for n in member_columns}, "run_id": run_id} for m in batch]
        )
    return {"golden_people_removed": removed_people, "golden_companies_removed": removed_companies}


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
            cluster_members.c.match_detail,
        )
        .join(source_records, source_records.c.id == cluster_members.c.source_record_id)
        .where(cluster_members.c.golden_person_id == golden_id)
        .order_by(cluster_members.c.source_record_id)
    )
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
