"""Property-based tests of scoring and segmentation (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadflow.config import ScoringSettings, SegmentSpec, SegmentsSettings
from leadflow.pipeline.score import segment_inputs
from leadflow.scoring import score_records
from leadflow.segments import APPLIED_SCHEMA, assign_segments, compile_segments

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SETTINGS = ScoringSettings()
FIT = SETTINGS.fit
PERSONA = SETTINGS.persona
CONNECTION = duckdb.connect()
PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


industries = st.sampled_from([*FIT.industry.points, "Mining", "Utilities"])
seniorities = st.sampled_from([*PERSONA.seniority.points, "Unknown Level"])
departments = st.sampled_from([*PERSONA.department.points, "Design"])
technologies = st.lists(st.sampled_from([*FIT.technologies.points, "jira", "aws"]), max_size=5)
keywords = st.lists(st.sampled_from([*FIT.keywords.points, "retail"]), max_size=4)
titles = st.sampled_from(["VP Sales", "Head of RevOps", "CEO", "Account Executive", "Engineer", "CTO", "Intern"])

records = st.fixed_dictionaries(
    {
        "industry": _maybe(industries),
        "employees": _maybe(st.integers(1, 200_000)),
        "annual_revenue": _maybe(st.floats(0, 5e10, allow_nan=False)),
        "country": _maybe(st.sampled_from(["US", "DE", "AT", "FR", "IN", "BR", "ch"])),
        "technologies": _maybe(technologies),
        "keywords": _maybe(keywords),
        "seniority": _maybe(seniorities),
        "department": _maybe(departments),
        "title": _maybe(titles),
        "persona": _maybe(st.sampled_from(["champion", "economic buyer", "user", "gatekeeper"])),
        "company_domain": _maybe(st.sampled_from(["acme.io", "competitor.example"])),
        "email_is_free": _maybe(st.booleans()),
        "email_is_role": _maybe(st.booleans()),
        "do_not_call": _maybe(st.booleans()),
    }
)

event_types = st.sampled_from(list(SETTINGS.engagement.points))
positive_types = st.sampled_from([t for t, p in SETTINGS.engagement.points.items() if p > 0])
events = st.lists(
    st.tuples(event_types, st.floats(0, 500, allow_nan=False)),  # (type, age in days)
    max_size=12,
)


def _people(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist([{"id": f"gp_{i:04d}", "email": f"p{i}@acme.io", **row} for i, row in enumerate(rows)])


def _events(items: list[tuple[str, float]], *, person: str = "gp_0000") -> pa.Table:
    return pa.table(
        {
            "golden_person_id": pa.array([person] * len(items), pa.string()),
            "email": pa.nulls(len(items), pa.string()),
            "event_type": pa.array([t for t, _ in items], pa.string()),
            "occurred_at": pa.array([NOW - timedelta(days=age) for _, age in items], pa.timestamp("us", tz="UTC")),
        }
    )


def _score(
    rows: list[dict[str, Any]], items: list[tuple[str, float]] | None = None, now: datetime = NOW
) -> list[dict[str, Any]]:
    table = score_records(_people(rows), _events(items or []), SETTINGS, now=now, connection=CONNECTION)
    return table.to_pylist()


@PROPERTY
@given(st.lists(records, min_size=1, max_size=8), events)
def test_scores_stay_within_0_and_100(rows: list[dict[str, Any]], items: list[tuple[str, float]]) -> None:
    for row in _score(rows, items):
        for name in ("fit", "persona_influence", "engagement"):
            assert row[name] is None or 0.0 <= row[name] <= 100.0
        for name in ("fit_coverage", "persona_coverage", "engagement_coverage"):
            assert 0.0 <= row[name] <= 1.0
        assert row["grade"] is None or (row["grade"][0] in "ABCD" and row["grade"][1] in "1234")
        assert len(row["summary"]) <= 2000


@PROPERTY
@given(records, st.sampled_from(list(FIT.technologies.points)))
def test_an_extra_matching_technology_never_lowers_fit(record: dict[str, Any], technology: str) -> None:
    more = {**record, "technologies": [*(record["technologies"] or []), technology]}
    before, after = _score([record, more])
    if before["fit"] is not None:
        assert after["fit"] is not None
        assert after["fit"] >= before["fit"]


@PROPERTY
@given(records, industries, industries)
def test_a_better_industry_never_lowers_fit(record: dict[str, Any], first: str, second: str) -> None:
    points = {k.lower(): v for k, v in FIT.industry.points.items()}
    low, high = sorted([first, second], key=lambda name: points.get(name.lower(), FIT.industry.other))
    before, after = _score([{**record, "industry": low}, {**record, "industry": high}])
    if before["fit"] is not None:
        assert after["fit"] is not None
        assert after["fit"] >= before["fit"]


@PROPERTY
@given(records, seniorities, seniorities)
def test_a_more_senior_person_never_has_less_influence(record: dict[str, Any], first: str, second: str) -> None:
    points = {k.lower(): v for k, v in PERSONA.seniority.points.items()}
    low, high = sorted([first, second], key=lambda name: points.get(name.lower(), PERSONA.seniority.other))
    before, after = _score([{**record, "seniority": low}, {**record, "seniority": high}])
    if before["persona_influence"] is not None:
        assert after["persona_influence"] is not None
        assert after["persona_influence"] >= before["persona_influence"]


@PROPERTY
@given(records, events, positive_types, st.floats(0, 400, allow_nan=False))
def test_a_positive_event_never_lowers_engagement(
    record: dict[str, Any], items: list[tuple[str, float]], extra: str, age: float
) -> None:
    (before,) = _score([record], items)
    (after,) = _score([record], [*items, (extra, age)])
    if before["engagement"] is not None:
        assert after["engagement"] is not None
        assert after["engagement"] >= before["engagement"]


@PROPERTY
@given(records, events, st.floats(0, 800, allow_nan=False))
def test_engagement_decays_monotonically_and_never_below_the_floor(
    record: dict[str, Any], items: list[tuple[str, float]], later_days: float
) -> None:
    (now_row,) = _score([record], items)
    (later_row,) = _score([record], items, now=NOW + timedelta(days=later_days))
    floor = SETTINGS.engagement.floor
    if later_row["engagement"] is not None:
        assert now_row["engagement"] is not None
        assert floor <= later_row["engagement"] <= now_row["engagement"]


RULES = [
    "fit >= 0",
    "suppressed",
    "not suppressed",
    "fit >= 50 or engagement is null",
    'persona in ["champion", "economic buyer"]',
    'country in ["DACH", "FR"] or technologies contains "hubspot"',
    "do_not_call or email_is_free",
    "priority",
]


def _segments(rules: list[tuple[str, bool]]) -> SegmentsSettings:
    return SegmentsSettings(
        segment=[
            SegmentSpec(name=f"s{i}", rule=rule, zoho_tags=[f"t{i}"], ghl_tags=[f"g{i}"], outreach=outreach)
            for i, (rule, outreach) in enumerate(rules)
        ]
    )


def _records_for_segments(rows: list[dict[str, Any]], items: list[tuple[str, float]]) -> pa.Table:
    people = _people(rows)
    return segment_inputs(people, score_records(people, _events(items), SETTINGS, now=NOW, connection=CONNECTION))


@PROPERTY
@given(
    st.lists(records, min_size=1, max_size=8),
    events,
    st.lists(st.tuples(st.sampled_from(RULES), st.booleans()), min_size=1, max_size=5),
)
def test_suppressed_records_are_in_no_outreach_segment(
    rows: list[dict[str, Any]], items: list[tuple[str, float]], rules: list[tuple[str, bool]]
) -> None:
    compiled = compile_segments(_segments(rules), regions=FIT.regions)
    records_table = _records_for_segments(rows, items)
    out = assign_segments(records_table, compiled, connection=CONNECTION).to_pylist()
    suppressed = dict(
        zip(records_table["golden_person_id"].to_pylist(), records_table["suppressed"].to_pylist(), strict=True)
    )
    outreach = {f"s{i}" for i, (_, flag) in enumerate(rules) if flag}
    for row in out:
        if suppressed[row["golden_person_id"]]:
            assert not set(row["segments"]) & outreach


hand_tags = st.lists(st.sampled_from(["VIP", "Met at SaaStr", "lf-t0", "lf-old-segment", "lf-g1"]), max_size=3)


@PROPERTY
@given(
    st.lists(records, min_size=1, max_size=8),
    st.lists(st.tuples(st.sampled_from(RULES), st.booleans()), min_size=1, max_size=5),
    st.lists(hand_tags, min_size=8, max_size=8),
)
def test_rerunning_with_nothing_changed_yields_an_empty_diff(
    rows: list[dict[str, Any]], rules: list[tuple[str, bool]], already: list[list[str]]
) -> None:
    compiled = compile_segments(_segments(rules), regions=FIT.regions)
    records_table = _records_for_segments(rows, [])
    ids = records_table["golden_person_id"].to_pylist()
    stale = pa.Table.from_pylist(
        [
            {"golden_person_id": gid, "target": target, "applied": already[i]}
            for i, gid in enumerate(ids)
            for target in ("zoho", "ghl")
        ],
        schema=APPLIED_SCHEMA,
    )
    first = assign_segments(records_table, compiled, stale, connection=CONNECTION).to_pylist()
    for row in first:
        for target in ("zoho", "ghl"):
            # a tag without the owned prefix is never removed
            assert all(tag.startswith("lf-") for tag in row[f"{target}_remove"])
    # the sync applies the diff: applied becomes desired
    applied = pa.Table.from_pylist(
        [
            {"golden_person_id": row["golden_person_id"], "target": target, "applied": row[f"{target}_desired"]}
            for row in first
            for target in ("zoho", "ghl")
        ],
        schema=APPLIED_SCHEMA,
    )
    second = assign_segments(records_table, compiled, applied, connection=CONNECTION).to_pylist()
    for row in second:
        assert row["zoho_add"] == row["zoho_remove"] == row["ghl_add"] == row["ghl_remove"] == []
