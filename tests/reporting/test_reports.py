"""Every report on a fixed store with known answers (tests/reporting/known_store.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from leadflow.errors import InputError
from leadflow.reporting import (
    REPORTS,
    RecordLinks,
    ReportFilters,
    SyncBudgets,
    engagement,
    funnel,
    people,
    pipeline,
    segments,
    sources,
    sync_health,
)
from leadflow.store import open_store
from tests.reporting import known_store
from tests.reporting.known_store import NOW

EVERYTHING = ReportFilters()
NOVEMBER = ReportFilters(since=date(2026, 11, 1), until=date(2026, 11, 30))


@pytest.fixture
def connection(database_url: str) -> Iterator[sa.Connection]:
    engine = open_store(database_url)
    with engine.begin() as writing:
        known_store.build(writing)
    with engine.connect() as reading:
        yield reading
    engine.dispose()


def counts(connection: sa.Connection, filters: ReportFilters) -> dict[str, int]:
    return {row["step"]: row["count"] for row in funnel(connection, filters, now=NOW).table("funnel").rows}


def by(rows: Any, key: str) -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in rows}


def test_funnel_counts_each_step_and_its_rates(connection: sa.Connection) -> None:
    report = funnel(connection, ReportFilters(), now=NOW)
    rows = by(report.table("funnel").rows, "step")
    assert {key: row["count"] for key, row in rows.items()} == {
        "ingested": 5, "people": 4, "in_zoho": 3, "contacted": 4, "engaged": 2,
        "replied": 1, "meeting": 1, "converted": 1, "won": 1,
    }  # fmt: skip
    assert rows["in_zoho"]["step_rate"] == pytest.approx(3 / 4)
    assert rows["engaged"]["step_rate"] == pytest.approx(2 / 4)
    assert rows["won"]["overall_rate"] == pytest.approx(1 / 4)
    assert rows["ingested"]["step_rate"] is None
    quality = {row["measure"]: row["count"] for row in report.table("quality").rows}
    assert quality == {"rows_ingested": 5, "duplicates_avoided": 1, "quarantined": 3}
    assert report.table("funnel").drill == "step"
    assert any("period" in note for note in report.notes)


def test_funnel_narrowed_by_period_segment_owner_and_source(connection: sa.Connection) -> None:
    assert counts(connection, NOVEMBER) == {
        "ingested": 4, "people": 3, "in_zoho": 3, "contacted": 3, "engaged": 2,
        "replied": 1, "meeting": 1, "converted": 1, "won": 1,
    }  # fmt: skip
    assert counts(connection, ReportFilters(segment="dach")) == {
        "ingested": 3, "people": 2, "in_zoho": 2, "contacted": 2, "engaged": 1,
        "replied": 1, "meeting": 1, "converted": 1, "won": 1,
    }  # fmt: skip
    by_owner = counts(connection, ReportFilters(owner="Ann Owner"))
    assert by_owner == counts(connection, ReportFilters(owner="u1"))
    assert (by_owner["ingested"], by_owner["people"], by_owner["contacted"], by_owner["won"]) == (2, 1, 1, 1)
    salesnav = counts(connection, ReportFilters(source="Sales Navigator search"))
    assert (salesnav["ingested"], salesnav["people"], salesnav["contacted"], salesnav["engaged"]) == (2, 2, 2, 2)
    december = counts(connection, ReportFilters(since=date(2026, 12, 1)))
    assert (december["ingested"], december["people"], december["contacted"], december["won"]) == (1, 1, 1, 0)
    quarantined = funnel(connection, ReportFilters(source="salesnav"), now=NOW).table("quality").rows[2]
    assert quarantined["count"] == 1


def test_pipeline_by_stage_with_age_and_velocity(connection: sa.Connection) -> None:
    report = pipeline(connection, ReportFilters(), now=NOW)
    stages = report.table("stages").rows
    assert [row["stage"] for row in stages] == ["Qualification", "Proposal/Price Quote", "Closed Won", "Closed Lost"]
    rows = by(stages, "stage")
    assert (rows["Qualification"]["deals"], rows["Qualification"]["amount"]) == (1, 5_000.0)
    assert rows["Qualification"]["weighted_amount"] == pytest.approx(500.0)
    assert rows["Qualification"]["age_days"] == pytest.approx(10.0)  # Nov 8 12:00 → Nov 18 12:00
    assert rows["Qualification"]["days_in_stage"] == pytest.approx(9.5)  # (5 + 14) / 2
    assert rows["Proposal/Price Quote"]["deals"] == 0
    assert rows["Proposal/Price Quote"]["days_in_stage"] == pytest.approx(8.0)
    assert rows["Closed Won"]["weighted_amount"] == pytest.approx(10_000.0)
    assert rows["Closed Lost"]["weighted_amount"] == pytest.approx(0.0)
    assert rows["Closed Won"]["age_days"] is None  # age in stage is for open Deals
    closed = report.table("closed").rows
    assert [(r["month"], r["won"], r["lost"], r["won_amount"], r["lost_amount"]) for r in closed] == [
        ("2026-10", 0, 1, 0.0, 2_000.0),
        ("2026-11", 1, 0, 10_000.0, 0.0),
    ]


def test_pipeline_filters(connection: sa.Connection) -> None:
    bob = pipeline(connection, ReportFilters(owner="Bob Owner"), now=NOW)
    assert [(r["stage"], r["deals"]) for r in bob.table("stages").rows] == [("Qualification", 1)]
    assert bob.table("closed").rows == []
    november = pipeline(connection, NOVEMBER, now=NOW)
    assert [r["month"] for r in november.table("closed").rows] == ["2026-11"]
    assert sum(r["deals"] for r in november.table("stages").rows) == 2  # D3 was created in October
    nurture = pipeline(connection, ReportFilters(segment="nurture"), now=NOW)
    assert [(r["stage"], r["deals"]) for r in nurture.table("stages").rows] == [("Qualification", 1)]
    crm = pipeline(connection, ReportFilters(source="crm"), now=NOW)
    assert [r["lost"] for r in crm.table("closed").rows] == [1]


def test_sources_any_touch_and_first_and_last_touch(connection: sa.Connection) -> None:
    report = sources(connection, ReportFilters(), now=NOW)
    rows = by(report.table("sources").rows, "source")
    assert list(rows) == ["apollo", "salesnav", "crm"]
    assert rows["apollo"]["label"] == "Apollo file"
    apollo, salesnav, crm = rows["apollo"], rows["salesnav"], rows["crm"]
    assert (apollo["people"], apollo["contacted"], apollo["replied"], apollo["meetings"]) == (3, 3, 1, 1)
    assert (apollo["deals"], apollo["amount"], apollo["won_amount"]) == (2, 15_000.0, 10_000.0)
    assert (salesnav["people"], salesnav["contacted"], salesnav["deals"], salesnav["won_amount"]) == (2, 2, 1, 10_000.0)
    assert (crm["people"], crm["contacted"], crm["deals"], crm["amount"]) == (1, 0, 1, 2_000.0)
    attribution = by(report.table("attribution").rows, "source")
    assert [(a["first_people"], a["first_deals"], a["first_won_amount"]) for a in attribution.values()] == [
        (3, 2, 10_000.0),
        (1, 0, 0.0),
        (1, 1, 0.0),
    ]
    assert [(a["last_people"], a["last_deals"], a["last_won_amount"]) for a in attribution.values()] == [
        (2, 1, 0.0),
        (2, 1, 10_000.0),
        (1, 1, 0.0),
    ]
    assert [row["segment"] for row in report.table("segments").rows] == ["dach", "nurture"]
    only = sources(connection, ReportFilters(source="apollo"), now=NOW)
    assert [row["source"] for row in only.table("sources").rows] == ["apollo"]


def test_segments(connection: sa.Connection) -> None:
    rows = by(segments(connection, ReportFilters(), now=NOW).table("segments").rows, "segment")
    dach, nurture = rows["dach"], rows["nurture"]
    assert (dach["people"], dach["contacted"], dach["replied"], dach["meetings"]) == (3, 2, 1, 1)
    assert (dach["deals"], dach["amount"], dach["won_amount"]) == (3, 17_000.0, 10_000.0)
    assert dach["reply_rate"] == pytest.approx(0.5)
    assert (nurture["people"], nurture["contacted"], nurture["replied"], nurture["deals"]) == (2, 2, 0, 1)
    ann = by(segments(connection, ReportFilters(owner="u1"), now=NOW).table("segments").rows, "segment")
    assert list(ann) == ["dach"]
    assert ann["dach"]["people"] == 2
    october = by(
        segments(connection, ReportFilters(until=date(2026, 10, 31)), now=NOW).table("segments").rows, "segment"
    )
    assert (october["dach"]["contacted"], october["dach"]["deals"]) == (0, 1)


def test_engagement_daily_and_rates(connection: sa.Connection) -> None:
    report = engagement(connection, ReportFilters(), now=NOW)
    daily = {(r["day"], r["event_type"]): r["events"] for r in report.table("daily").rows}
    assert daily[("2026-11-03", "email_sent")] == 2
    assert daily[("2026-11-04", "email_opened")] == 2  # one of them matched to nobody
    assert sum(daily.values()) == 10
    assert report.table("daily").chart is not None
    assert report.table("daily").chart.series == "event_type"
    segments_rows = by(report.table("segments").rows, "segment")
    assert segments_rows["dach"]["reply_rate"] == pytest.approx(0.5)
    assert segments_rows["dach"]["bounce_rate"] == pytest.approx(0.5)
    assert segments_rows["nurture"]["bounce_rate"] == pytest.approx(0.5)
    sequences = by(report.table("sequences").rows, "sequence")
    assert list(sequences) == ["Hot sequence"]
    assert (sequences["Hot sequence"]["contacted"], sequences["Hot sequence"]["replied"]) == (1, 0)
    dach_daily = engagement(connection, ReportFilters(segment="dach"), now=NOW).table("daily").rows
    assert sum(r["events"] for r in dach_daily) == 7


def test_sync_health(connection: sa.Connection) -> None:
    report = sync_health(connection, ReportFilters(), now=NOW, budgets=SyncBudgets(10_000, 1_000))
    run_rows = by(report.table("runs").rows, "kind")
    assert (run_rows["sync"]["runs"], run_rows["sync"]["succeeded"], run_rows["sync"]["failed"]) == (2, 1, 1)
    written = by(report.table("written").rows, "target")
    assert (written["zoho"]["created"], written["zoho"]["updated"], written["zoho"]["failed"]) == (3, 1, 2)
    assert (written["ghl"]["written"], written["ghl"]["failed"]) == (2, 1)
    failures = report.table("failures").rows
    assert [(f["target"], f["reason"], f["records"]) for f in failures] == [
        ("zoho", "INVALID_DATA", 2),
        ("ghl", "(no code)", 1),
    ]
    usage = by(report.table("usage").rows, "day")
    assert (usage["2026-11-03"]["zoho_credits"], usage["2026-11-03"]["zoho_calls"]) == (120, 60)
    assert usage["2026-11-04"]["zoho_used"] == pytest.approx(0.5)
    assert (usage["2026-11-03"]["ghl_requests"], usage["2026-11-03"]["ghl_used"]) == (300, pytest.approx(0.3))
    [webhooks] = report.table("webhooks").rows
    assert (webhooks["received"], webhooks["processed"], webhooks["failed"], webhooks["backlog"]) == (6, 4, 1, 1)
    assert webhooks["lag_p50_seconds"] == pytest.approx(2.0, abs=0.01)
    assert webhooks["lag_p95_seconds"] == pytest.approx(10.0, abs=0.01)
    empty = sync_health(connection, ReportFilters(since=date(2027, 1, 1)), now=NOW)
    assert empty.table("runs").rows == []
    assert empty.table("webhooks").rows[0]["lag_p50_seconds"] is None


def test_people_behind_a_step_a_source_and_a_segment(connection: sa.Connection) -> None:
    links = RecordLinks("eu", "777", "loc1")
    replied = people(connection, ReportFilters(), step="replied", links=links).table("people").rows
    assert [row["golden_person_id"] for row in replied] == ["p1"]
    [anna] = replied
    assert (anna["name"], anna["email"], anna["grade"], anna["segment"]) == (
        "Anna Alpha",
        "anna@alpha.de",
        "A1",
        "dach",
    )
    assert (anna["zoho_module"], anna["zoho_id"], anna["ghl_contact_id"]) == ("Leads", "L1", "g1")
    assert anna["zoho_url"] == "https://crm.zoho.eu/crm/org777/tab/Leads/L1"
    assert anna["ghl_url"] == "https://app.gohighlevel.com/v2/location/loc1/contacts/detail/g1"

    def ids(step: str, filters: ReportFilters = EVERYTHING) -> list[str]:
        return [row["golden_person_id"] for row in people(connection, filters, step=step).table("people").rows]

    assert ids("contacted") == ["p1", "p2", "p3", "p4"]
    assert ids("contacted", NOVEMBER) == ["p1", "p2", "p3"]
    assert ids("in_zoho") == ["p1", "p2", "p3"]
    assert ids("won") == ["p1"]
    assert ids("people", ReportFilters(segment="nurture")) == ["p2", "p3"]
    assert ids("source:crm") == ["p5"]
    assert ids("source:Sales Navigator search") == ["p1", "p3"]
    assert ids("segment:dach", ReportFilters(owner="u1")) == ["p1", "p5"]
    synced = people(connection, ReportFilters(), step="engaged").table("people").rows
    assert by(synced, "golden_person_id")["p3"]["zoho_id"] == "C3"  # created in Zoho by the sync
    assert len(people(connection, ReportFilters(), step="contacted", limit=2).table("people").rows) == 2


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (ReportFilters(source="linkedin sales"), "--source must be one of"),
        (ReportFilters(since=date(2026, 12, 1), until=date(2026, 11, 1)), "is after --until"),
        (ReportFilters(segment="  "), "--segment must not be empty"),
    ],
)
def test_bad_filters_are_refused_by_every_report(
    connection: sa.Connection, filters: ReportFilters, message: str
) -> None:
    for name, query in REPORTS.items():
        with pytest.raises(InputError, match=message):
            query(connection, filters, now=NOW)
        assert name
    with pytest.raises(InputError, match=message):
        people(connection, filters, step="people")


def test_people_refuses_an_unknown_step(connection: sa.Connection) -> None:
    with pytest.raises(InputError, match="no step 'bogus'"):
        people(connection, ReportFilters(), step="bogus")


def test_reports_on_an_empty_store(database_url: str) -> None:
    engine = open_store(database_url)
    with engine.connect() as connection:
        for name, query in REPORTS.items():
            report = query(connection, ReportFilters(), now=NOW)
            assert report.name == name
            assert report.tables
        assert [row["count"] for row in funnel(connection, ReportFilters()).table("funnel").rows] == [0] * 9
    engine.dispose()


@pytest.mark.parametrize("filters", [EVERYTHING, ReportFilters(segment="nurture"), ReportFilters(source="crm")])
def test_reports_repeat_on_one_connection_and_leave_no_scratch_tables(
    connection: sa.Connection, filters: ReportFilters
) -> None:
    """The per-report temporary tables (people in scope, the per-person rollup, the Deals linked to the filtered
    people) are dropped when a report ends, so the next report on the connection computes its own again."""
    first = {name: query(connection, filters, now=NOW) for name, query in REPORTS.items()}
    again = {name: query(connection, filters, now=NOW) for name, query in REPORTS.items()}
    for name in REPORTS:
        assert [table.rows for table in again[name].tables] == [table.rows for table in first[name].tables], name
    assert all(not tables for key, tables in connection.info.items() if key.startswith("leadflow.reporting"))
    left = sa.inspect(connection).get_temp_table_names() if connection.dialect.name == "sqlite" else []
    assert not [name for name in left if name.startswith("lf_")]


@pytest.mark.parametrize("filters", [EVERYTHING, NOVEMBER, ReportFilters(segment="dach"), ReportFilters(source="crm")])
def test_rollup_fills_agree(connection: sa.Connection, filters: ReportFilters) -> None:
    """The per-statement fill (used on SQLite) and the single-statement fill (used on PostgreSQL) build the same
    per-person rollup, on both backends."""
    from leadflow.reporting import rollup

    built = []
    for number, fill in enumerate((rollup._fill, rollup._fill_at_once)):
        table = rollup._table(f"lf_rollup_test_{number}", with_sources=True)
        table.create(connection)
        fill(connection, filters, table, with_sources=True, with_deals=True, kinds=rollup.KINDS_TRACKED)
        built.append(sorted(tuple(row) for row in connection.execute(sa.select(table))))
        table.drop(connection)
    assert built[0] == built[1]
    assert built[0]
