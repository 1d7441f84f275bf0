"""Repository for scoring: read golden records and events as Arrow, write scores and owned tags in bulk.

Large tables move column-wise: JSON is parsed and written by DuckDB, rows go to the database with one
``executemany`` per chunk.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from leadflow.errors import InputError
from leadflow.scoring import EVENTS_SCHEMA, PEOPLE_SCHEMA
from leadflow.segments import APPLIED_SCHEMA, TARGETS
from leadflow.store.runs import utcnow
from leadflow.store.schema import engagement_events, record_tags, scores

CHUNK = 20_000
IDS_PER_QUERY = 5_000  # ids bound into one IN (...) when reading a subset of the records

# Resolve owns these tables (CONTRACTS §2); only the columns scoring reads are named here.
_people = sa.table(
    "golden_people",
    *(sa.column(name, sa.String) for name in ("id", "company_id", "email", "title", "seniority", "department")),
    *(sa.column(name, sa.String) for name in ("persona", "country", "state", "city", "email_status", "crm_module")),
    sa.column("emails", sa.JSON),
    *(sa.column(name, sa.Boolean) for name in ("email_is_role", "email_is_free", "do_not_call")),
)
_companies = sa.table(
    "golden_companies",
    *(sa.column(name, sa.String) for name in ("id", "domain", "industry", "country")),
    sa.column("employees", sa.Integer),
    sa.column("annual_revenue", sa.Float),
    sa.column("technologies", sa.JSON),
    sa.column("keywords", sa.JSON),
)

EXTRA_PEOPLE_COLUMNS = [
    pa.field("email_status", pa.string()),
    pa.field("state", pa.string()),
    pa.field("city", pa.string()),
    pa.field("crm_module", pa.string()),
]
"""Fields segment rules may use that scoring itself does not read."""

_JSON_LIST_COLUMNS = ("emails", "technologies", "keywords")


def read_people(connection: Connection, *, ids: Collection[str] | None = None) -> pa.Table:
    """Every golden person (or those of ``ids``) with its company's fields: PEOPLE_SCHEMA plus
    EXTRA_PEOPLE_COLUMNS."""
    p, c = _people.c, _companies.c
    query = (
        select(
            p.id,
            p.email,
            sa.cast(p.emails, sa.Text).label("emails"),
            p.email_is_role,
            p.email_is_free,
            p.do_not_call,
            p.title,
            p.seniority,
            p.department,
            p.persona,
            p.country,
            c.domain.label("company_domain"),
            c.industry,
            c.employees,
            c.annual_revenue,
            c.country.label("company_country"),
            sa.cast(c.technologies, sa.Text).label("technologies"),
            sa.cast(c.keywords, sa.Text).label("keywords"),
            p.email_status,
            p.state,
            p.city,
            p.crm_module,
        )
        .select_from(_people.outerjoin(_companies, c.id == p.company_id))
        .order_by(p.id)
    )
    fields = [
        pa.field(f.name, pa.string()) if f.name in _JSON_LIST_COLUMNS else f
        for f in [*PEOPLE_SCHEMA, *EXTRA_PEOPLE_COLUMNS]
    ]
    raw = _fetch_subset(connection, query, pa.schema(fields), p.id, ids)
    return _parse_json_lists(raw, _JSON_LIST_COLUMNS)


def read_events(connection: Connection, *, people: pa.Table | None = None) -> pa.Table:
    """All engagement events as EVENTS_SCHEMA, or only those scoring would tie to ``people`` (a
    :func:`read_people` table): events with one of their ids, and events with no id but one of their addresses."""
    e = engagement_events.c
    query = select(e.golden_person_id, e.email, e.event_type, e.occurred_at).order_by(e.id)
    if people is None:
        return _fetch_arrow(connection, query, EVENTS_SCHEMA)
    ids = people.column("id").to_pylist()
    addresses = sorted(
        {
            address.strip().lower()
            for primary, others in zip(
                people.column("email").to_pylist(), people.column("emails").to_pylist(), strict=True
            )
            for address in [primary, *(others or [])]
            if address and address.strip()
        }
    )
    by_id = _fetch_subset(connection, query, EVENTS_SCHEMA, e.golden_person_id, ids)
    by_address = _fetch_subset(connection, query.where(e.golden_person_id.is_(None)), EVENTS_SCHEMA, e.email, addresses)
    return pa.concat_tables([by_id, by_address])


def read_record_tags(connection: Connection, *, ids: Collection[str] | None = None) -> pa.Table:
    """``record_tags`` (or the rows of ``ids``) as Arrow: golden_person_id, target, desired, applied (lists) and
    custom_fields (JSON text)."""
    t = record_tags.c
    query = select(
        t.golden_person_id,
        t.target,
        sa.cast(t.desired, sa.Text).label("desired"),
        sa.cast(t.applied, sa.Text).label("applied"),
        sa.cast(t.custom_fields, sa.Text).label("custom_fields"),
    ).order_by(t.golden_person_id, t.target)
    schema = pa.schema([(name, pa.string()) for name in ("golden_person_id", "target", "desired", "applied")])
    raw = _fetch_subset(
        connection, query, schema.append(pa.field("custom_fields", pa.string())), t.golden_person_id, ids
    )
    return _parse_json_lists(raw, ("desired", "applied"))


def applied_tags(record_tags_table: pa.Table) -> pa.Table:
    """The APPLIED_SCHEMA view of :func:`read_record_tags`."""
    return record_tags_table.select(["golden_person_id", "target", "applied"]).cast(APPLIED_SCHEMA)


def insert_events(connection: Connection, *, events: Iterable[Mapping[str, Any]]) -> int:
    """Store events; one already stored (same ``vendor_event_id``) is skipped. Returns how many were new.

    Each event needs ``event_type``, ``occurred_at`` (timezone-aware) and ``source``, plus
    ``golden_person_id`` or ``email``.
    """
    rows = []
    now = utcnow()
    for event in events:
        if not event.get("golden_person_id") and not event.get("email"):
            raise InputError(f"an engagement event needs golden_person_id or email: {dict(event)!r}")
        rows.append(
            {
                "golden_person_id": event.get("golden_person_id"),
                "email": (event.get("email") or "").strip().lower() or None,
                "event_type": event["event_type"],
                "occurred_at": event["occurred_at"],
                "source": event.get("source", "unknown"),
                "vendor_event_id": event.get("vendor_event_id"),
                "payload": dict(event.get("payload") or {}),
                "created_at": now,
            }
        )
    if not rows:
        return 0
    dialect_insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    # RETURNING yields only the rows the insert kept (a conflict returns nothing): no count(*) of the table
    statement = (
        dialect_insert(engagement_events)
        .on_conflict_do_nothing(index_elements=["vendor_event_id"])
        .returning(engagement_events.c.id)
    )
    return len(connection.execute(statement, rows).all())


def write_scores(
    connection: Connection,
    *,
    table: pa.Table,
    run_id: int | None,
    computed_at: datetime,
    only: Collection[str] | None = None,
) -> dict[str, int]:
    """Make ``scores`` hold exactly ``table`` (scoring output plus a ``segments`` list column); with ``only``,
    make the rows of those records match it and leave every other row as it is (an incremental re-score).

    Only rows whose content changed are rewritten (compared by ``content_hash``); rows of records that are
    gone are deleted. Returns ``{"written": n, "deleted": m, "unchanged": k}``.
    """
    json_columns = ("suppression_reasons", "reasons", "segments")
    plain = [
        "golden_person_id",
        "fit",
        "persona_influence",
        "engagement",
        "fit_coverage",
        "persona_coverage",
        "engagement_coverage",
        "persona",
        "grade",
        "priority",
        "suppressed",
        "summary",
    ]
    stored_query = select(scores.c.golden_person_id, scores.c.content_hash)
    stored_schema = pa.schema([("golden_person_id", pa.string()), ("content_hash", pa.string())])
    stored = _fetch_subset(connection, stored_query, stored_schema, scores.c.golden_person_id, only)
    with duckdb.connect() as con:
        con.register("incoming", table)
        con.register("stored", stored)
        content = "struct_pack(" + ", ".join(f"{name} := {name}" for name in [*plain, *json_columns]) + ")"
        selects = [
            *(f"n.{name}" for name in plain),
            *(f"CAST(to_json(n.{name}) AS VARCHAR) AS {name}" for name in json_columns),
            "n.content_hash",
            "s.golden_person_id IS NOT NULL AS existed",
        ]
        changed = con.sql(
            f"""SELECT {", ".join(selects)}
                FROM (SELECT *, md5(CAST(to_json({content}) AS VARCHAR)) AS content_hash FROM incoming) n
                LEFT JOIN stored s ON s.golden_person_id = n.golden_person_id
                WHERE s.content_hash IS DISTINCT FROM n.content_hash"""
        ).to_arrow_table()
        gone = con.sql(
            "SELECT golden_person_id FROM stored WHERE golden_person_id NOT IN (SELECT golden_person_id FROM incoming)"
        ).to_arrow_table()
        replaced = changed.filter(changed.column("existed")).column("golden_person_id")
    stale = [*gone.column("golden_person_id").to_pylist(), *replaced.to_pylist()]
    for start in range(0, len(stale), CHUNK):
        connection.execute(delete(scores).where(scores.c.golden_person_id.in_(stale[start : start + CHUNK])))
    columns = [*plain, *json_columns, "content_hash", "run_id", "computed_at"]
    constants = [run_id, _timestamp_param(connection, computed_at)]
    _bulk_insert(connection, "scores", columns, set(json_columns), changed, constants)
    return {
        "written": int(changed.num_rows),
        "deleted": int(gone.num_rows),
        "unchanged": int(table.num_rows - changed.num_rows),
    }


def write_record_tags(connection: Connection, *, segments: pa.Table, stored: pa.Table, updated_at: datetime) -> int:
    """Upsert desired tags and custom fields per record and target where they changed; ``applied`` is kept.

    ``segments`` is :func:`leadflow.segments.assign_segments` output; ``stored`` is :func:`read_record_tags`.
    Returns how many (record, target) rows were written.
    """
    with duckdb.connect() as con:
        con.register("seg", segments)
        con.register("stored", stored)
        parts = [
            f"SELECT golden_person_id, '{target}' AS target, {target}_desired AS desired, custom_fields FROM seg"
            for target in TARGETS
        ]
        changed = con.sql(
            f"""SELECT n.golden_person_id, n.target, CAST(to_json(n.desired) AS VARCHAR) AS desired,
                       n.custom_fields, s.golden_person_id IS NULL AS is_new
                FROM ({" UNION ALL ".join(parts)}) n
                LEFT JOIN stored s ON s.golden_person_id = n.golden_person_id AND s.target = n.target
                WHERE s.golden_person_id IS NULL OR s.desired IS DISTINCT FROM n.desired
                   OR json(s.custom_fields) IS DISTINCT FROM json(n.custom_fields)"""
        ).to_arrow_table()
    new = changed.filter(changed.column("is_new")).drop_columns(["is_new"])
    old = changed.filter(pc.invert(changed.column("is_new"))).drop_columns(["is_new"])
    stamp = _timestamp_param(connection, updated_at)
    if new.num_rows:
        new = new.append_column("applied", pa.array(["[]"] * new.num_rows, pa.string()))
        columns = ["golden_person_id", "target", "desired", "custom_fields", "applied", "updated_at"]
        _bulk_insert(connection, "record_tags", columns, {"desired", "custom_fields", "applied"}, new, [stamp])
    if old.num_rows:
        json_cast = "CAST(:{} AS JSONB)" if connection.dialect.name == "postgresql" else ":{}"
        statement = sa.text(
            f"UPDATE record_tags SET desired = {json_cast.format('desired')}, "
            f"custom_fields = {json_cast.format('custom_fields')}, updated_at = :updated_at "
            "WHERE golden_person_id = :golden_person_id AND target = :target"
        )
        for batch in old.to_batches(CHUNK):
            rows = [{**row, "updated_at": stamp} for row in batch.to_pylist()]
            connection.execute(statement, rows)
    return int(changed.num_rows)


def pending_tag_changes(connection: Connection, *, tag_prefix: str, target: str | None = None) -> pa.Table:
    """Per record and target, the owned tags to add (desired - applied) and remove (applied - desired).

    Only tags starting with ``tag_prefix`` are ever removed; records with nothing to change are left out.
    Columns: golden_person_id, target, add, remove, custom_fields (JSON text). This is what the sync applies;
    after Zoho confirms it records the result with :func:`set_applied_tags`.
    """
    stored = read_record_tags(connection)
    with duckdb.connect() as con:
        con.register("stored", stored)
        where = "WHERE target = $target" if target is not None else ""
        params: dict[str, object] = {"prefix": tag_prefix}
        if target is not None:
            params["target"] = target
        changes: pa.Table = con.sql(
            f"""SELECT * FROM (
                    SELECT golden_person_id, target,
                           list_sort(list_filter(coalesce(desired, []),
                                     lambda x: NOT list_contains(coalesce(applied, []), x))) AS add,
                           list_sort(list_filter(coalesce(applied, []),
                                     lambda x: starts_with(x, $prefix)
                                               AND NOT list_contains(coalesce(desired, []), x))) AS remove,
                           custom_fields
                    FROM stored {where})
                WHERE len(add) + len(remove) > 0
                ORDER BY golden_person_id, target""",
            params=params,
        ).to_arrow_table()
    return changes


def set_applied_tags(connection: Connection, *, golden_person_id: str, target: str, applied: Sequence[str]) -> None:
    """Record the owned tags a target confirmed for a record (the sync calls this after Zoho answers)."""
    connection.execute(
        update(record_tags)
        .where(record_tags.c.golden_person_id == golden_person_id, record_tags.c.target == target)
        .values(applied=sorted(set(applied)), updated_at=utcnow())
    )


def score_hashes(connection: Connection, *, ids: Collection[str]) -> dict[str, str]:
    """The ``content_hash`` of the stored scores of ``ids`` (those that have one)."""
    query = select(scores.c.golden_person_id, scores.c.content_hash)
    table = _fetch_subset(
        connection,
        query,
        pa.schema([("golden_person_id", pa.string()), ("content_hash", pa.string())]),
        scores.c.golden_person_id,
        ids,
    )
    return dict(
        zip(table.column("golden_person_id").to_pylist(), table.column("content_hash").to_pylist(), strict=True)
    )


def get_score(connection: Connection, *, golden_person_id: str) -> dict[str, Any] | None:
    """One record's scores with reasons, its tags per target, or None when it has no score."""
    row = connection.execute(select(scores).where(scores.c.golden_person_id == golden_person_id)).mappings().first()
    if row is None:
        return None
    result = dict(row)
    tags = connection.execute(select(record_tags).where(record_tags.c.golden_person_id == golden_person_id))
    result["tags"] = {tag.target: dict(tag._mapping) for tag in tags}
    return result


def find_person_ids(connection: Connection, *, email: str) -> list[str]:
    """Golden ids whose primary email is ``email`` (for ``--explain`` given an address)."""
    query = select(_people.c.id).where(sa.func.lower(_people.c.email) == email.strip().lower())
    return [str(value) for value in connection.execute(query).scalars()]


def iter_score_export(connection: Connection) -> Iterator[dict[str, Any]]:
    """One row per golden person: id, emails, scores, coverage, grade, flags and segments (unscored rows too)."""
    p, s = _people.c, scores.c
    query = (
        select(
            p.id,
            p.email,
            p.emails,
            s.fit,
            s.persona_influence,
            s.engagement,
            s.fit_coverage,
            s.persona_coverage,
            s.engagement_coverage,
            s.grade,
            s.priority,
            s.suppressed,
            s.segments,
        )
        .select_from(_people.outerjoin(scores, s.golden_person_id == p.id))
        .order_by(p.id)
    )
    for partition in connection.execute(query.execution_options(yield_per=CHUNK)).mappings().partitions():
        yield from (dict(row) for row in partition)


def grade_counts(connection: Connection) -> dict[str, int]:
    """Records per grade ('unscored' for no grade)."""
    query = select(scores.c.grade, sa.func.count()).group_by(scores.c.grade)
    return {(grade or "unscored"): int(count) for grade, count in connection.execute(query)}


def _fetch_subset(
    connection: Connection,
    query: sa.Select[Any],
    schema: pa.Schema,
    column: sa.ColumnElement[Any],
    values: Collection[str] | None,
) -> pa.Table:
    """``query``'s rows, or only those whose ``column`` is one of ``values`` (read ``IDS_PER_QUERY`` at a time)."""
    if values is None:
        return _fetch_arrow(connection, query, schema)
    wanted = sorted(set(values))
    parts = [
        _fetch_arrow(connection, query.where(column.in_(wanted[start : start + IDS_PER_QUERY])), schema)
        for start in range(0, len(wanted), IDS_PER_QUERY)
    ]
    return pa.concat_tables(parts) if parts else schema.empty_table()


def _fetch_arrow(connection: Connection, query: sa.Select[Any], schema: pa.Schema) -> pa.Table:
    batches = []
    result = connection.execute(query.execution_options(yield_per=CHUNK))
    for partition in result.partitions():
        columns: list[Sequence[Any]] = list(zip(*partition, strict=True))
        arrays = [pa.array(list(values), type=field.type) for values, field in zip(columns, schema, strict=True)]
        batches.append(pa.RecordBatch.from_arrays(arrays, schema=schema))
    return pa.Table.from_batches(batches, schema=schema)


def _parse_json_lists(table: pa.Table, columns: Sequence[str]) -> pa.Table:
    """JSON text columns -> list<string> columns, parsed by DuckDB in one pass."""
    with duckdb.connect() as con:
        con.register("raw", table)
        selects = [
            f"CAST(from_json(nullif({name}, 'null'), '[\"VARCHAR\"]') AS VARCHAR[]) AS {name}"
            if name in columns
            else f'"{name}"'
            for name in table.column_names
        ]
        parsed: pa.Table = con.sql(f"SELECT {', '.join(selects)} FROM raw").to_arrow_table()
    return parsed


def _timestamp_param(connection: Connection, moment: datetime) -> Any:
    """SQLite keeps timestamps as SQLAlchemy writes them (naive UTC text); PostgreSQL takes the datetime."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    if connection.dialect.name == "sqlite":
        return moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment


def _bulk_insert(
    connection: Connection,
    table_name: str,
    columns: Sequence[str],
    json_columns: set[str],
    data: pa.Table,
    constants: Sequence[Any],
) -> None:
    """INSERT rows of ``data`` (JSON columns already as JSON text) plus ``constants`` with raw executemany."""
    postgres = connection.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    values = [f"CAST({mark} AS JSONB)" if postgres and name in json_columns else mark for name in columns]
    sql = f"INSERT INTO {table_name} ({', '.join(columns)}) VALUES ({', '.join(values)})"
    names = list(columns[: len(columns) - len(constants)])
    tail = tuple(constants)
    for batch in data.select(names).to_batches(CHUNK):
        rows = [(*row, *tail) for row in zip(*(batch.column(i).to_pylist() for i in range(len(names))), strict=True)]
        connection.exec_driver_sql(sql, rows)
