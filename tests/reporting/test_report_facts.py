"""Report facts kept at write time give every report the numbers its queries give: on the fixed store, after
random writes through every write path the facts depend on, and with refreshes racing each other; on SQLite and
PostgreSQL."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from leadflow.config import Settings
from leadflow.pipeline.ingest import ingest_files
from leadflow.pipeline.resolve import run_resolve
from leadflow.pipeline.score import run_score_stage
from leadflow.reporting import REPORTS, Report, ReportFilters
from leadflow.reporting.facts import facts_current, facts_disabled, refresh_report_facts, use_facts
from leadflow.reporting.facts.build import FACT_NAMES, person_fact_rows
from leadflow.reporting.scope import day_of, segment_memberships
from leadflow.sampledata.generator import GeneratorConfig, generate
from leadflow.store import open_store
from leadflow.store.schema import (
    engagement_events,
    golden_people,
    report_event_days,
    report_facts_log,
    report_person_facts,
    report_person_segments,
)
from tests.reporting import facts_writes, known_store
from tests.reporting.known_store import NOW

VIEWS = (
    ReportFilters(),
    ReportFilters(segment="dach"),
    ReportFilters(segment="nurture"),
    ReportFilters(segment="no-such-segment"),
)
# Views the facts do not answer: their queries run, reading from the facts all the same what they keep for all time
# (a segment's members, each person's sources and Zoho link).
QUERY_VIEWS = (
    ReportFilters(since=date(2026, 11, 1), until=date(2026, 11, 30), segment="dach"),
    ReportFilters(segment="nurture", owner="Bob Owner"),
    ReportFilters(segment="dach", source="apollo"),
    ReportFilters(since=date(2026, 11, 1)),
    ReportFilters(since=date(2026, 11, 1), source="crm"),
)


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = open_store(database_url)
    with engine.begin() as writing:
        known_store.build(writing)
    yield engine
    engine.dispose()


def _plain(value: Any) -> Any:
    return round(value, 6) if isinstance(value, float) else value


def shown(report: Report) -> list[tuple[str, list[dict[str, Any]]]]:
    """A report's tables as plain values (amounts rounded: sums of the same amounts in another order)."""
    return [(table.key, [{k: _plain(v) for k, v in row.items()} for row in table.rows]) for table in report.tables]


def assert_reports_agree(engine: sa.Engine) -> None:
    """Every report, for every view the facts answer (and a few they do not, whose segment members come from
    them), gives the same tables with the facts as without."""
    with engine.connect() as connection:
        for filters in (*VIEWS, *QUERY_VIEWS):
            assert use_facts(connection, filters) == (filters in VIEWS)
            for name, query in REPORTS.items():
                from_facts = shown(query(connection, filters, now=NOW))
                with facts_disabled(connection):
                    from_queries = shown(query(connection, filters, now=NOW))
                assert from_facts == from_queries, (name, filters)


def rows(connection: sa.Connection, query: sa.Select[Any]) -> list[tuple[Any, ...]]:
    return sorted(tuple(map(_plain, row)) for row in connection.execute(query))


def stored_facts_are_fresh(connection: sa.Connection) -> None:
    """The kept facts, memberships and day counts equal what a computation over the whole store gives now."""
    columns = ["golden_person_id", *FACT_NAMES]
    assert rows(connection, sa.select(*report_person_facts.c[*columns])) == rows(
        connection, person_fact_rows(connection)
    )
    members = report_person_segments.c
    exploded = segment_memberships(connection)
    assert rows(connection, sa.select(members.segment, members.golden_person_id)) == rows(
        connection, sa.select(exploded.c.segment, exploded.c.golden_person_id).distinct()
    )
    day = day_of(connection, engagement_events.c.occurred_at)
    kind = engagement_events.c.event_type
    days = report_event_days.c
    kept_days = rows(connection, sa.select(days.day, days.event_type, days.events).where(days.events > 0))
    fresh_days = rows(connection, sa.select(day, kind, sa.func.count()).group_by(day, kind))
    assert kept_days == fresh_days


def test_reports_from_facts_equal_their_queries_on_the_fixed_store(engine: sa.Engine) -> None:
    assert_reports_agree(engine)
    with engine.connect() as connection:
        assert facts_current(connection)
        stored_facts_are_fresh(connection)


def test_the_first_refresh_builds_everything_then_applies_changes(engine: sa.Engine) -> None:
    first = refresh_report_facts(engine)
    assert first.full
    assert first.people == 5  # p1-p5 (the event matched to nobody is nobody's fact)
    assert refresh_report_facts(engine).skipped == "up to date"
    with engine.begin() as connection:
        facts_writes.add_events(connection, random.Random(1))
    again = refresh_report_facts(engine)
    assert not again.full
    assert again.changes > 0
    assert again.cells > 0
    with engine.connect() as connection:
        assert facts_current(connection)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reports_agree_after_random_writes(engine: sa.Engine, seed: int) -> None:
    rng = random.Random(seed)
    refresh_report_facts(engine)
    for _ in range(4):
        with engine.begin() as connection:
            for _ in range(rng.randint(1, 4)):
                rng.choice(facts_writes.WRITES)(connection, rng)
        assert_reports_agree(engine)
    with engine.connect() as connection:
        stored_facts_are_fresh(connection)


@pytest.mark.parametrize("write", facts_writes.WRITES, ids=lambda write: write.__name__)
def test_each_write_path_reaches_the_facts(engine: sa.Engine, write: Any) -> None:
    refresh_report_facts(engine)
    rng = random.Random(7)
    with engine.begin() as connection:
        write(connection, rng)
        write(connection, rng)
    with engine.connect() as connection:
        assert not facts_current(connection)
    refresh_report_facts(engine)
    with engine.connect() as connection:
        assert facts_current(connection)
        stored_facts_are_fresh(connection)
    assert_reports_agree(engine)


def test_a_changed_crm_link_changes_in_zoho_and_deals(engine: sa.Engine) -> None:
    refresh_report_facts(engine)
    with engine.begin() as connection:
        connection.execute(
            sa.update(golden_people).where(golden_people.c.id == "p4").values(crm_module="Contacts", crm_id="C2")
        )
    with engine.connect() as connection:
        assert not facts_current(connection)
        steps = {
            row["step"]: row["count"]
            for row in REPORTS["funnel"](connection, ReportFilters(), now=NOW).table("funnel").rows
        }
        assert steps["in_zoho"] == 4
        assert facts_current(connection)
    assert_reports_agree(engine)


def test_refreshes_racing_each_other_and_a_writer_leave_the_facts_exact(engine: sa.Engine) -> None:
    refresh_report_facts(engine)
    rng = random.Random(5)
    errors: list[BaseException] = []

    def refresh_repeatedly() -> None:
        try:
            for _ in range(5):
                refresh_report_facts(engine)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    def write_repeatedly() -> None:
        try:
            for _ in range(5):
                with engine.begin() as connection:
                    facts_writes.add_events(connection, rng)
                    facts_writes.add_source_row(connection, rng)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=refresh_repeatedly) for _ in range(2)] + [
        threading.Thread(target=write_repeatedly)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    refresh_report_facts(engine)
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(report_facts_log)).scalar_one() == 0
        stored_facts_are_fresh(connection)
    assert_reports_agree(engine)


def test_views_with_a_period_owner_or_source_keep_their_queries(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        for filters in (
            ReportFilters(since=date(2026, 11, 1)),
            ReportFilters(owner="Ann Owner"),
            ReportFilters(source="apollo"),
        ):
            assert not use_facts(connection, filters)


def test_the_tracking_loop_refresh_leaves_a_full_rebuild_to_others(engine: sa.Engine) -> None:
    outcome = refresh_report_facts(engine, incremental_only=True)
    assert outcome.skipped is not None
    assert outcome.full
    with engine.connect() as connection:
        assert not facts_current(connection)


def test_the_resolve_and_score_stages_leave_the_facts_current(sqlite_url: str, tmp_path: Path) -> None:
    """The real write paths of two pipeline stages, then every report both ways on what they wrote."""
    paths = generate(GeneratorConfig(people=120, seed=3)).write(tmp_path / "data")
    engine = open_store(sqlite_url)
    ingest_files(engine, [path for name, path in paths.items() if name.endswith(".csv") and "truth" not in name])
    run_resolve(engine, Settings().resolve)
    with engine.connect() as connection:
        assert facts_current(connection)
        assert connection.execute(sa.select(sa.func.count()).select_from(report_person_facts)).scalar_one() > 0
    run_score_stage(engine, Settings())
    with engine.connect() as connection:
        assert facts_current(connection)
        assert connection.execute(sa.select(sa.func.count()).select_from(report_person_segments)).scalar_one() > 0
        stored_facts_are_fresh(connection)
    with engine.connect() as connection:
        for name, query in REPORTS.items():
            from_facts = shown(query(connection, ReportFilters(), now=NOW))
            with facts_disabled(connection):
                assert shown(query(connection, ReportFilters(), now=NOW)) == from_facts, name
    engine.dispose()
