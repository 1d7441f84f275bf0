"""The score stage: golden records + events from the store -> scores, segments and owned tags in the store."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import Connection, Engine

from leadflow.config import Settings
from leadflow.log import get_logger
from leadflow.model import RunStatus
from leadflow.reporting.facts import refresh_report_facts
from leadflow.scoring import score_records
from leadflow.segments import CompiledSegments, assign_segments, compile_segments
from leadflow.store import scoring as repo
from leadflow.store.db import store_errors
from leadflow.store.locks import store_lock
from leadflow.store.runs import finish_run, start_run


@dataclass
class ScoreOutcome:
    """What one run of the stage computed (and, unless a preview, wrote)."""

    run_id: int | None
    records: int
    counters: dict[str, Any]
    scores: pa.Table
    segments: pa.Table
    compiled: CompiledSegments
    people: pa.Table = field(repr=False)


def compile_configured_segments(settings: Settings, config_file: Path | None = None) -> CompiledSegments:
    """The configured segments, rule errors pointing into ``config_file``."""
    return compile_segments(settings.segments, regions=settings.scoring.fit.regions, config_file=config_file)


def run_score_stage(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime | None = None,
    config_file: Path | None = None,
    preview: bool = False,
    on_step: Callable[[str], None] | None = None,
    on_wait: Callable[[], None] | None = None,
) -> ScoreOutcome:
    """Score and segment every golden record; write ``scores`` and ``record_tags`` unless ``preview``.

    Rule errors surface before anything is read. A preview records no run and writes nothing. ``on_step`` hears
    what the stage is doing, for progress; runs that write take turns on one store (``on_wait`` is called when
    this one waits for another), so the tags each computes from the stored ones are never stale.
    """
    compiled = compile_configured_segments(settings, config_file)
    if preview:
        return _score(engine, settings, compiled, now, preview=True, step=on_step or (lambda _text: None))
    with store_errors(engine, "score"), store_lock(engine, "score", on_wait=on_wait):
        outcome = _score(engine, settings, compiled, now, preview=False, step=on_step or (lambda _text: None))
    with store_errors(engine, "refreshing the report facts after score"):
        refresh_report_facts(engine)
    return outcome


def _score(
    engine: Engine,
    settings: Settings,
    compiled: CompiledSegments,
    now: datetime | None,
    *,
    preview: bool,
    step: Callable[[str], None],
) -> ScoreOutcome:
    now = now or settings.scoring.as_of or datetime.now(UTC)
    step("reading golden people, events and tags")
    with engine.connect() as connection:
        people = repo.read_people(connection)
        events = repo.read_events(connection)
        stored_tags = repo.read_record_tags(connection)
    step(f"scoring {people.num_rows:,} golden people ({events.num_rows:,} engagement events)")
    scored = score_records(people, events, settings.scoring, now=now)
    step(f"segmenting {people.num_rows:,} golden people")
    segments = assign_segments(segment_inputs(people, scored), compiled, repo.applied_tags(stored_tags))
    counters = summarize(scored, segments)
    if preview:
        return ScoreOutcome(None, people.num_rows, counters, scored, segments, compiled, people)
    step(f"writing {people.num_rows:,} scores and their tags")
    with engine.begin() as connection:
        run_id = start_run(connection, kind="score")
    try:
        with engine.begin() as connection:
            with_segments = scored.append_column("segments", segments.column("segments"))
            written = repo.write_scores(connection, table=with_segments, run_id=run_id, computed_at=now)
            counters.update({f"scores_{key}": value for key, value in written.items()})
            counters["tag_rows_written"] = repo.write_record_tags(
                connection, segments=segments, stored=stored_tags, updated_at=now
            )
    except Exception as exc:
        with engine.begin() as connection:
            finish_run(connection, run_id=run_id, status=RunStatus.FAILED, counters=counters, error=str(exc))
        raise
    with engine.begin() as connection:
        finish_run(connection, run_id=run_id, status=RunStatus.SUCCEEDED, counters=counters)
    # the logger is looked up here, not at import, so it follows the level the CLI configured
    get_logger(__name__).info("score stage finished", run_id=run_id, records=people.num_rows)
    return ScoreOutcome(run_id, people.num_rows, counters, scored, segments, compiled, people)


@dataclass(frozen=True)
class RescoreOutcome:
    """What an incremental re-score did: the people it covered, and those whose score or tags it rewrote."""

    people: frozenset[str]
    changed: frozenset[str]
    counters: dict[str, int]


def rescore_people(
    engine: Engine,
    settings: Settings,
    golden_ids: Collection[str],
    *,
    now: datetime | None = None,
    compiled: CompiledSegments | None = None,
    on_written: Callable[[Connection, frozenset[str]], None] | None = None,
) -> RescoreOutcome:
    """Score and segment only ``golden_ids`` (the people new events are about) with the same functions as the
    stage, so each of them ends up exactly as a full run would leave them; every other row is left alone.

    It takes the score stage's turn on the store (a full run and a re-score never interleave their writes) and
    records no run: the tracking worker calls it every few seconds. ``on_written`` runs in the transaction that
    writes the scores, with the people whose score or tags changed (the worker records what is left to sync).
    """
    compiled = compiled or compile_configured_segments(settings)
    wanted = frozenset(golden_ids)
    if not wanted:
        return RescoreOutcome(wanted, frozenset(), {})
    now = now or settings.scoring.as_of or datetime.now(UTC)
    with store_errors(engine, "score"), store_lock(engine, "score"):
        with engine.connect() as connection:
            people = repo.read_people(connection, ids=wanted)
            events = repo.read_events(connection, people=people)
            stored_tags = repo.read_record_tags(connection, ids=wanted)
        scored = score_records(people, events, settings.scoring, now=now)
        segments = assign_segments(segment_inputs(people, scored), compiled, repo.applied_tags(stored_tags))
        with_segments = scored.append_column("segments", segments.column("segments"))
        with engine.begin() as connection:
            before = repo.score_hashes(connection, ids=wanted)
            written = repo.write_scores(connection, table=with_segments, run_id=None, computed_at=now, only=wanted)
            tags_before = repo.read_record_tags(connection, ids=wanted)
            tag_rows = repo.write_record_tags(connection, segments=segments, stored=stored_tags, updated_at=now)
            changed = {
                pid for pid, digest in repo.score_hashes(connection, ids=wanted).items() if before.get(pid) != digest
            }
            if tag_rows:
                changed |= _tag_changes(tags_before, repo.read_record_tags(connection, ids=wanted))
            if on_written is not None:
                on_written(connection, frozenset(changed))
    counters = {f"scores_{key}": value for key, value in written.items()} | {"tag_rows_written": tag_rows}
    return RescoreOutcome(wanted, frozenset(changed), counters)


def _tag_changes(before: pa.Table, after: pa.Table) -> set[str]:
    """The people whose desired tags or custom fields differ between two :func:`read_record_tags` tables."""

    def rows(table: pa.Table) -> dict[tuple[str, str], tuple[object, object]]:
        return {
            (row["golden_person_id"], row["target"]): (row["desired"], row["custom_fields"])
            for row in table.select(["golden_person_id", "target", "desired", "custom_fields"]).to_pylist()
        }

    old, new = rows(before), rows(after)
    return {pid for (pid, target), value in new.items() if old.get((pid, target)) != value}


def segment_inputs(people: pa.Table, scored: pa.Table) -> pa.Table:
    """The fields segment rules see: the person and company fields plus the scores (aligned by id)."""
    with duckdb.connect() as con:
        con.register("people", people)
        con.register("scored", scored)
        dropped = ", ".join(name for name in ("id", "persona", "emails") if name in people.column_names)
        table: pa.Table = con.sql(
            f"SELECT s.* EXCLUDE (reasons, summary), p.* EXCLUDE ({dropped}) "
            "FROM scored s JOIN people p ON p.id = s.golden_person_id"
        ).to_arrow_table()
    return table


def summarize(scored: pa.Table, segments: pa.Table) -> dict[str, Any]:
    """Counts for the run record and the CLI: grades, unscored, suppressed, per segment, tag changes."""
    with duckdb.connect() as con:
        con.register("scored", scored)
        con.register("seg", segments)
        (records, fit_unscored, persona_unscored, no_events, suppressed, priority) = con.sql(
            """SELECT count(*), count(*) FILTER (WHERE fit IS NULL), count(*) FILTER (WHERE persona_influence IS NULL),
                      count(*) FILTER (WHERE engagement IS NULL), count(*) FILTER (WHERE suppressed),
                      count(*) FILTER (WHERE priority) FROM scored"""
        ).fetchall()[0]
        grades = dict(
            con.sql("SELECT coalesce(grade, 'unscored'), count(*) FROM scored GROUP BY 1 ORDER BY 1").fetchall()
        )
        per_segment = dict(
            con.sql("SELECT s, count(*) FROM (SELECT unnest(segments) AS s FROM seg) GROUP BY s ORDER BY s").fetchall()
        )
        changes = con.sql(
            """SELECT sum(len(zoho_add)), sum(len(zoho_remove)), sum(len(ghl_add)), sum(len(ghl_remove)),
                      count(*) FILTER (WHERE len(zoho_add) + len(zoho_remove) + len(ghl_add) + len(ghl_remove) > 0)
               FROM seg"""
        ).fetchall()[0]
    return {
        "records": int(records),
        "fit_unscored": int(fit_unscored),
        "persona_unscored": int(persona_unscored),
        "without_events": int(no_events),
        "suppressed": int(suppressed),
        "priority": int(priority),
        "grades": {str(k): int(v) for k, v in grades.items()},
        "segments": {str(k): int(v) for k, v in per_segment.items()},
        "zoho_tags_to_add": int(changes[0] or 0),
        "zoho_tags_to_remove": int(changes[1] or 0),
        "ghl_tags_to_add": int(changes[2] or 0),
        "ghl_tags_to_remove": int(changes[3] or 0),
        "records_with_tag_changes": int(changes[4] or 0),
    }
