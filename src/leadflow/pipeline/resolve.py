"""The resolve stage: prospects (+ the CRM mirror) from the store → resolver → golden tables, recorded as a run."""

from __future__ import annotations

import dataclasses
import gc
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, Engine, select

from leadflow.config import ResolveSettings
from leadflow.errors import InputError
from leadflow.model import RunStatus
from leadflow.pipeline.review import labelled_m_option
from leadflow.reporting.facts import refresh_report_facts
from leadflow.resolve.columns import CANDIDATE_SCHEMA
from leadflow.resolve.engine import Constraints, ResolveOptions, resolve
from leadflow.resolve.matching import MatchOptions
from leadflow.resolve.merge import MergePolicy
from leadflow.resolve.splink_backend import SparkOptions
from leadflow.store import crm as crm_store
from leadflow.store import golden, golden_merges, sync_ledger
from leadflow.store import review as review_store
from leadflow.store.db import store_errors
from leadflow.store.locks import store_lock
from leadflow.store.runs import finish_run, start_run
from leadflow.store.schema import prospects, source_records

CHUNK = 50_000
JSON_LIST_COLUMNS = ("technologies", "keywords")


@dataclass
class ResolveReport:
    run_id: int
    stats: dict[str, Any] = field(default_factory=dict)


def options_from_settings(settings: ResolveSettings) -> ResolveOptions:
    """The resolver's options as configured in ``[resolve]``."""
    return ResolveOptions(
        match=MatchOptions(
            threshold=settings.match_threshold,
            review_threshold=min(settings.review_threshold, settings.match_threshold),
            seed=settings.seed,
            max_pairs_for_u=settings.max_pairs_for_u,
            train_min_rows=settings.train_min_rows,
            backend=settings.backend,
            spark=SparkOptions(
                master=settings.spark_master,
                shuffle_partitions=settings.spark_shuffle_partitions,
                driver_memory=settings.spark_driver_memory,
                checkpoint_dir=settings.spark_checkpoint_dir,
            ),
        ),
        strong_evidence_weight=settings.strong_evidence_weight,
        merge=MergePolicy(
            policy=settings.merge_policy,
            source_priority=tuple(settings.source_priority),
            fill_only_if_empty=tuple(settings.fill_only_if_empty),
        ),
        memory_limit=settings.duckdb_memory_limit,
    )


def require_prospects(engine: Engine) -> None:
    """Raise :class:`InputError` when nothing has been ingested (there is nothing to resolve)."""
    with engine.connect() as connection:
        if not connection.execute(select(source_records.c.id).limit(1)).first():
            raise InputError("nothing to resolve: run `leadflow ingest FILE...` first")


def run_resolve(
    engine: Engine,
    settings: ResolveSettings,
    *,
    against_crm: bool = False,
    on_step: Callable[[str], None] | None = None,
    on_wait: Callable[[], None] | None = None,
) -> ResolveReport:
    """Resolve every stored prospect (and, with ``against_crm``, the mirrored CRM records) into golden records.

    ``on_step`` hears what the stage is doing (``"matching 12,000 candidates"``), for progress; resolve runs on
    one store take turns (``on_wait`` is called when this one waits for another).

    Example:
        >>> # report = run_resolve(engine, settings.resolve, against_crm=True)
    """
    require_prospects(engine)
    with store_errors(engine, "resolve"), store_lock(engine, "resolve", on_wait=on_wait):
        report = _resolve_run(engine, settings, against_crm, on_step or (lambda _text: None))
    with store_errors(engine, "refreshing the report facts after resolve"):
        refresh_report_facts(engine)
    return report


def _resolve_run(
    engine: Engine, settings: ResolveSettings, against_crm: bool, step: Callable[[str], None]
) -> ResolveReport:
    with engine.begin() as connection:
        run_id = start_run(connection, kind="resolve")
    try:
        with _gc_paused():
            with engine.connect() as connection:
                step("reading the ingested prospects")
                candidates = read_prospect_candidates(connection)
                accounts = None
                if against_crm:
                    step(f"reading the CRM mirror (with {candidates.num_rows:,} prospects)")
                    people, accounts = crm_store.crm_candidates(connection)
                    candidates = pa.concat_tables([candidates, people])
                previous = golden.previous_assignments(connection)
                carried = crm_store.leadflow_ids(connection)
                for rid, golden_id in carried.items():
                    previous.setdefault(rid, golden_id)
                attached = _own_records(connection, carried, previous) if against_crm else ()
                kept_links = {} if against_crm else golden.crm_links(connection)
                decided = review_store.constraints(connection)
                synced_before = golden_merges.synced_members(connection)
                learnt = labelled_m_option(connection)
            options = options_from_settings(settings)
            options = dataclasses.replace(
                options,
                match=dataclasses.replace(options.match, labelled_m=learnt),
                constraints=Constraints(
                    must_link=decided.must_link, cannot_link=decided.cannot_link, attached=attached
                ),
            )
            step(f"matching {candidates.num_rows:,} records")
            # hand the resolver the only reference, so the input is freed once DuckDB has copied it
            handed = [candidates]
            del candidates
            result = resolve(handed.pop(), accounts=accounts, previous=previous, options=options)
            del previous
            step(f"writing {result.people.num_rows:,} golden people and {result.companies.num_rows:,} companies")
            with engine.begin() as connection:
                removed = golden.replace_golden(
                    connection,
                    companies=result.companies,
                    people=_with_kept_links(result.people, kept_links),
                    members=result.members,
                    run_id=run_id,
                    crm_members=result.crm_links if against_crm else None,
                )
                review_store.replace_pairs(connection, result.review, run_id=run_id)
                retired = golden_merges.record(connection, before=synced_before, run_id=run_id)
                stats = {**result.stats, **removed, "against_crm": against_crm, "synced_people_merged": len(retired)}
                finish_run(connection, run_id=run_id, status=RunStatus.SUCCEEDED, counters=stats)
    except Exception as exc:
        with engine.begin() as connection:
            finish_run(connection, run_id=run_id, status=RunStatus.FAILED, error=str(exc)[:2000])
        raise
    return ResolveReport(run_id=run_id, stats=stats)


def read_prospect_candidates(connection: Connection) -> pa.Table:
    """The ``prospects`` table (written by ingest) as resolver candidates, read in bulk.

    The driver's cursor is read with ``fetchmany`` and each column is converted as a whole through its SQLAlchemy
    type's own result processor (what SQLAlchemy would apply per row), so values are exactly those of a
    ``select``; building a million SQLAlchemy rows took most of the stage's reading time.
    """
    wanted = [name for name in CANDIDATE_SCHEMA.names if name in prospects.c and name != "observed_at"]
    query = (
        select(*(prospects.c[name] for name in wanted), source_records.c.ingested_at)
        .join(source_records, source_records.c.id == prospects.c.source_record_id)
        .order_by(prospects.c.source_record_id)
    )
    dialect = connection.dialect
    types = [prospects.c[name].type for name in wanted] + [source_records.c.ingested_at.type]
    compiled = query.compile(dialect=dialect)
    batches: list[pa.RecordBatch] = []
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(compiled))  # the query has no parameters
        type_codes = [description[1] for description in cursor.description]
        processors = [
            None if name in JSON_LIST_COLUMNS else t.dialect_impl(dialect).result_processor(dialect, code)
            for name, t, code in zip([*wanted, "ingested_at"], types, type_codes, strict=True)
        ]
        ingested: dict[Any, float | None] = {}  # one value per ingest run: convert each once
        while chunk := cursor.fetchmany(CHUNK):
            raw = list(zip(*chunk, strict=True))
            columns = [
                list(values) if processor is None else [None if v is None else processor(v) for v in values]
                for values, processor in zip(raw[:-1], processors[:-1], strict=True)
            ]
            data: dict[str, list[Any]] = dict(zip(wanted, columns, strict=True))
            data["observed_at"] = [_observed(v, ingested, processors[-1]) for v in raw[-1]]
            data["rid"] = [f"p:{srid}" for srid in data["source_record_id"]]
            for name in JSON_LIST_COLUMNS:
                if name in data:
                    data[name] = [_json_text(v) for v in data[name]]
            batches.append(_batch(data))
    finally:
        cursor.close()
    if not batches:
        return CANDIDATE_SCHEMA.empty_table()
    return pa.Table.from_batches(batches, schema=CANDIDATE_SCHEMA)


def _batch(data: dict[str, list[Any]]) -> pa.RecordBatch:
    size = len(data["rid"])
    arrays = [
        pa.array(data[f.name], type=f.type) if f.name in data else pa.nulls(size, type=f.type) for f in CANDIDATE_SCHEMA
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=CANDIDATE_SCHEMA)


def _observed(value: Any, seen: dict[Any, float | None], processor: Any) -> float | None:
    if value is None:
        return None
    if value not in seen:
        stamp = processor(value) if processor is not None else value
        seen[value] = stamp.timestamp() if isinstance(stamp, datetime) else None
    return seen[value]


def _own_records(
    connection: Connection, carried: dict[str, str], previous: dict[str, str]
) -> tuple[tuple[str, str], ...]:
    """(record, row) pairs for the Leads and Contacts a sync created: each record with the first row of the
    golden person whose id it carries (see ``Constraints.attached``). A record whose person holds no row any
    more stays an ordinary candidate."""
    created = sync_ledger.created_records(connection, target="zoho", modules=("Leads", "Contacts"))
    if not created:
        return ()
    anchor: dict[str, str] = {}
    for rid, golden_id in sorted(previous.items()):
        if rid.startswith("p:"):
            anchor.setdefault(golden_id, rid)
    pairs = []
    for rid, golden_id in sorted(carried.items()):
        _, module, crm_id = rid.split(":", 2)
        if (module, crm_id) in created and golden_id in anchor:
            pairs.append((rid, anchor[golden_id]))
    return tuple(pairs)


def _json_text(value: Any) -> str | None:
    """A JSON column as the text the resolver keeps: SQLite hands over the stored text, psycopg decoded values."""
    if value is None or value == "null":
        return None
    return value if isinstance(value, str) else json.dumps(value)


def _with_kept_links(people: pa.Table, kept_links: dict[str, tuple[str, str]]) -> pa.Table:
    """People without a CRM link of their own keep the one stored for their id (a resolve without the CRM)."""
    if not kept_links or people.num_rows == 0:
        return people
    ids = people.column("id").to_pylist()
    modules = people.column("crm_module").to_pylist()
    crm_ids = people.column("crm_id").to_pylist()
    for i, golden_id in enumerate(ids):
        if crm_ids[i] is None and golden_id in kept_links:
            modules[i], crm_ids[i] = kept_links[golden_id]
    for name, values in (("crm_module", modules), ("crm_id", crm_ids)):
        people = people.set_column(people.schema.get_field_index(name), name, pa.array(values, pa.string()))
    return people


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a million rows' objects come and go: the resolver makes no cycles, and
    each collection would walk every live object (minutes in all at a million rows)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
