from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from leadflow.config import ScoringSettings
from leadflow.scoring import OUTPUT_COLUMNS, score_records

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def score(
    people: list[dict[str, Any]], events: list[dict[str, Any]] | None = None, **overrides: Any
) -> list[dict[str, Any]]:
    settings = ScoringSettings.model_validate(overrides) if overrides else ScoringSettings()
    event_table = None
    if events is not None:
        event_table = pa.Table.from_pylist(
            [{"golden_person_id": None, "email": None, **event} for event in events],
            schema=pa.schema(
                [
                    ("golden_person_id", pa.string()),
                    ("email", pa.string()),
                    ("event_type", pa.string()),
                    ("occurred_at", pa.timestamp("us", tz="UTC")),
                ]
            ),
        )
    return score_records(people_table(people), event_table, settings, now=NOW).to_pylist()


def people_table(people: list[dict[str, Any]]) -> pa.Table:
    """Rows with different keys: every key becomes a column (from_pylist alone keeps the first row's keys)."""
    keys = list(dict.fromkeys(key for row in people for key in row))
    return pa.Table.from_pylist([dict.fromkeys(keys) | row for row in people])


FULL = {
    "id": "gp_1",
    "email": "anna@acme.io",
    "industry": "Computer Software",
    "employees": 120,
    "annual_revenue": 25e6,
    "country": "US",
    "technologies": ["Salesforce", "HubSpot", "Zoho CRM"],
    "keywords": ["SaaS", "B2B", "CRM"],
    "seniority": "Vp",
    "department": "Sales",
    "title": "VP Sales",
}


def reasons_of(row: dict[str, Any], score_name: str) -> list[dict[str, Any]]:
    return [r for r in row["reasons"] if r["score"] == score_name]


def test_output_has_the_contract_columns() -> None:
    row = score([FULL])[0]
    assert list(row) == OUTPUT_COLUMNS


def test_a_perfect_fit_scores_100_and_reasons_add_up() -> None:
    row = score([FULL])[0]
    assert row["fit"] == 100.0
    assert row["fit_coverage"] == 1.0
    fit_points = sum(r["points"] for r in reasons_of(row, "fit"))
    assert fit_points == pytest.approx(100.0, abs=0.5)
    rules = {r["rule"] for r in reasons_of(row, "fit")}
    assert {"industry", "employees", "revenue", "country", "technologies", "keywords"} == rules


def test_unknown_dimensions_are_left_out_not_counted_as_zero() -> None:
    partial = {"id": "gp_1", "industry": "Computer Software", "employees": 120, "country": "US"}
    row = score([partial])[0]
    # the three known profile dimensions are all at their best: the profile part is full, signals are unknown
    assert row["fit"] == 85.0
    assert row["fit_coverage"] == pytest.approx(70 / 100)


def test_too_little_data_is_unscored_not_low() -> None:
    row = score([{"id": "gp_1", "industry": "Computer Software"}])[0]
    assert row["fit"] is None
    assert row["grade"] is None
    assert row["fit_coverage"] == 0.3
    unscored = [r for r in reasons_of(row, "fit") if r["rule"] == "unscored"]
    assert unscored
    assert "0.3 < 0.4" in unscored[0]["value"]
    assert "fit unscored (30% known)" in row["summary"]


@pytest.mark.parametrize(
    ("record", "cap_reason"),
    [
        ({"company_domain": "competitor.example"}, "competitor"),
        ({"email": "x@competitor.example"}, "competitor"),
        ({"email": "x@gmail.com", "email_is_free": True, "company_domain": None}, "free_mail_only"),
    ],
)
def test_disqualifiers_cap_the_fit_with_a_stated_reason(record: dict[str, Any], cap_reason: str) -> None:
    row = score([{**FULL, "company_domain": "acme.io", **record}])[0]
    cap = 0.0 if cap_reason == "competitor" else 20.0
    assert row["fit"] == cap
    disqualifier = [r for r in reasons_of(row, "fit") if r["rule"] == "disqualifier"]
    assert disqualifier[0]["field"] == cap_reason
    assert disqualifier[0]["points"] < 0


def test_excluded_countries_accept_region_names() -> None:
    rows = score(
        [{**FULL, "id": "gp_1", "country": "AT"}, {**FULL, "id": "gp_2", "country": "US"}],
        fit={"excluded_countries": ["DACH"]},
    )
    assert rows[0]["fit"] == 0.0
    assert rows[1]["fit"] == 100.0


def test_region_names_score_their_countries() -> None:
    row = score([{**FULL, "country": "ch"}])[0]
    country = next(r for r in reasons_of(row, "fit") if r["rule"] == "country")
    assert country["value"] == "ch"
    assert country["points"] > 0


def test_persona_from_title_keywords_when_no_persona_is_given() -> None:
    rows = score(
        [
            {"id": "gp_1", "title": "Head of Revenue Operations", "seniority": "Head"},
            {"id": "gp_2", "title": "Chief Revenue Officer", "seniority": "C-Suite"},
            {"id": "gp_3", "title": "Account Executive", "seniority": "Senior"},
            {"id": "gp_4", "persona": "Champion", "title": "CEO"},
            {"id": "gp_5", "persona": "economic_buyer"},
            {"id": "gp_6", "persona": "unknown", "title": "Sales Manager"},
        ]
    )
    labels = [row["persona"] for row in rows]
    assert labels == ["decision maker", "economic buyer", "user", "champion", "economic buyer", "champion"]
    assert rows[1]["persona_influence"] > rows[0]["persona_influence"] > rows[2]["persona_influence"]


def test_seniority_matching_ignores_case_and_separators() -> None:
    a, b = score(
        [{"id": "gp_1", "seniority": "c_suite", "title": "x"}, {"id": "gp_2", "seniority": "C Suite", "title": "x"}]
    )
    assert a["persona_influence"] == b["persona_influence"]


@pytest.mark.parametrize(
    ("fit", "engagement_events", "grade"),
    [
        (100.0, 3, "A1"),
        (100.0, 0, "A4"),
    ],
)
def test_grade_combines_letter_and_digit(fit: float, engagement_events: int, grade: str) -> None:
    events = [
        {"golden_person_id": "gp_1", "event_type": "meeting_booked", "occurred_at": NOW - timedelta(days=day)}
        for day in range(engagement_events)
    ]
    row = score([FULL], events)[0]
    assert row["fit"] == fit
    assert row["grade"] == grade


@pytest.mark.parametrize(
    ("thresholds", "letter"),
    [
        ({"A": 50.0, "B": 40.0, "C": 10.0}, "A"),
        ({"A": 58.3, "B": 40.0, "C": 10.0}, "A"),  # a fit equal to a threshold reaches it
        ({"A": 60.0, "B": 55.0, "C": 10.0}, "B"),
        ({"A": 70.0, "B": 65.0, "C": 50.0}, "C"),
        ({"A": 90.0, "B": 80.0, "C": 70.0}, "D"),
    ],
)
def test_grade_letters_follow_the_configured_thresholds(thresholds: dict[str, float], letter: str) -> None:
    record = {"id": "gp_1", "industry": "Retail", "employees": 120, "country": "US"}
    row = score([record], fit_grade_min=thresholds)[0]
    assert row["fit"] == 58.3  # (8 + 25 + 15) of 70 known points, scaled to the 85 profile points
    assert row["grade"] == f"{letter}4"


@pytest.mark.parametrize(
    ("points", "digit"),
    [(60.0, "1"), (30.0, "2"), (6.0, "3"), (1.0, "4")],
)
def test_grade_digits_follow_the_configured_thresholds(points: float, digit: str) -> None:
    events = [{"golden_person_id": "gp_1", "event_type": "form_filled", "occurred_at": NOW}]
    row = score([FULL], events, engagement={"points": {"form_filled": points}})[0]
    assert row["engagement"] == points
    assert row["grade"] == f"A{digit}"


def test_grade_thresholds_must_fall() -> None:
    with pytest.raises(ValueError, match="thresholds must fall"):
        ScoringSettings.model_validate({"fit_grade_min": {"A": 50, "B": 60, "C": 10}})


def test_priority_needs_a_priority_grade_and_no_suppression() -> None:
    events = [{"golden_person_id": "gp_1", "event_type": "meeting_booked", "occurred_at": NOW - timedelta(hours=1)}]
    events += [{"golden_person_id": "gp_2", "event_type": "meeting_booked", "occurred_at": NOW - timedelta(hours=1)}]
    rows = score([FULL, {**FULL, "id": "gp_2", "do_not_call": True}], [*events, *events])
    assert rows[0]["grade"] == "A1"
    assert rows[0]["priority"]
    assert rows[1]["grade"] == "A1"
    assert not rows[1]["priority"]
    assert rows[1]["suppression_reasons"] == ["do_not_call"]


def test_engagement_halves_after_the_half_life() -> None:
    events = [{"golden_person_id": "gp_1", "event_type": "meeting_booked", "occurred_at": NOW - timedelta(days=21)}]
    assert score([FULL], events)[0]["engagement"] == 20.0


def test_daily_cap_limits_one_noisy_day() -> None:
    events = [
        {"golden_person_id": "gp_1", "event_type": "email_clicked", "occurred_at": NOW - timedelta(minutes=minute)}
        for minute in range(1, 50)
    ]
    row = score([FULL], events, engagement={"half_life_days": 10_000.0})[0]
    assert row["engagement"] == pytest.approx(18.0, abs=0.1)  # 3 clicks of 6 points count
    clicked = next(r for r in reasons_of(row, "engagement") if r["rule"] == "email_clicked")
    assert clicked["value"] == "3 counted of 49 (daily cap)"


def test_negative_events_lower_engagement_down_to_the_floor() -> None:
    events = [
        {"golden_person_id": "gp_1", "event_type": "email_replied", "occurred_at": NOW - timedelta(days=1)},
        {"golden_person_id": "gp_1", "event_type": "unsubscribed", "occurred_at": NOW},
    ]
    row = score([FULL], events, engagement={"floor": 5.0})[0]
    assert row["engagement"] == 5.0
    assert row["suppressed"]
    assert row["suppression_reasons"] == ["unsubscribed"]
    assert [r["rule"] for r in reasons_of(row, "engagement")][-1] == "floor"


def test_events_match_people_by_any_of_their_emails() -> None:
    people = [{**FULL, "emails": ["anna@acme.io", "a.k@acme.io"]}]
    events = [{"email": "A.K@Acme.io", "event_type": "email_replied", "occurred_at": NOW}]
    row = score(people, events)[0]
    assert row["engagement"] == 25.0
    assert row["engagement_coverage"] == 1.0


def test_no_events_means_engagement_unknown() -> None:
    row = score([FULL], [])[0]
    assert row["engagement"] is None
    assert row["engagement_coverage"] == 0.0
    assert row["grade"] == "A4"
    assert "engagement: no events" in row["summary"]


def test_unknown_event_types_are_ignored_and_future_events_wait() -> None:
    events = [
        {"golden_person_id": "gp_1", "event_type": "carrier_pigeon", "occurred_at": NOW},
        {"golden_person_id": "gp_1", "event_type": "email_replied", "occurred_at": NOW + timedelta(days=1)},
    ]
    assert score([FULL], events)[0]["engagement"] is None


def test_role_addresses_and_competitors_are_suppressed() -> None:
    rows = score(
        [
            {**FULL, "id": "gp_1", "email": "info@acme.io", "email_is_role": True},
            {**FULL, "id": "gp_2", "company_domain": "competitor.example"},
        ]
    )
    assert rows[0]["suppression_reasons"] == ["role_address"]
    assert rows[1]["suppression_reasons"] == ["competitor"]


def test_summary_is_short_and_names_the_top_reasons() -> None:
    row = score([FULL])[0]
    assert row["summary"].startswith("A4 | fit 100 (industry +30, employees +25")
    assert len(row["summary"]) <= 2000


def test_config_text_is_a_parameter_not_sql() -> None:
    hostile = "x' OR 1=1; DROP TABLE people; --"
    rows = score(
        [{**FULL, "industry": hostile}, {**FULL, "id": "gp_2", "industry": "Retail"}],
        fit={"industry": {"max_points": 30, "points": {hostile: 30}, "other": 0}},
    )
    industry = [next(r for r in reasons_of(row, "fit") if r["rule"] == "industry")["points"] for row in rows]
    assert industry[0] > 0
    assert industry[1] == 0


def test_chunked_scoring_gives_the_same_table() -> None:
    people = people_table([{**FULL, "id": f"gp_{i:03d}", "employees": 10 * i + 1} for i in range(30, 0, -1)])
    events = pa.table(
        {
            "golden_person_id": pa.array([f"gp_{i % 30 + 1:03d}" for i in range(90)] + [None], pa.string()),
            "email": pa.array([None] * 90 + ["anna@acme.io"], pa.string()),
            "event_type": pa.array(["email_opened", "email_clicked", "unsubscribed"] * 30 + ["email_replied"]),
            "occurred_at": pa.array([NOW - timedelta(hours=i) for i in range(91)], pa.timestamp("us", tz="UTC")),
        }
    )
    whole = score_records(people, events, ScoringSettings(), now=NOW)
    chunked = score_records(people, events, ScoringSettings(), now=NOW, chunk_rows=7)
    assert whole.equals(chunked)
    assert whole.column("golden_person_id").to_pylist() == sorted(whole.column("golden_person_id").to_pylist())
