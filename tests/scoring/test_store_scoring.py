"""The score stage against a real store, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from leadflow.cli.app import app
from leadflow.cli.score import explain_text
from leadflow.config import Settings
from leadflow.errors import InputError
from leadflow.model import RunStatus
from leadflow.pipeline.score import run_score_stage
from leadflow.store import open_store
from leadflow.store import scoring as repo
from leadflow.store.runs import list_runs
from tests.scoring.golden import NOW, insert_golden, sample_records


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = open_store(database_url)
    companies, people = sample_records()
    insert_golden(engine, companies=companies, people=people)
    with engine.begin() as connection:
        repo.insert_events(
            connection,
            events=[
                {
                    "golden_person_id": "gp_anna",
                    "event_type": "email_replied",
                    "occurred_at": NOW - timedelta(days=2),
                    "source": "test",
                    "vendor_event_id": "ev-1",
                },
                {
                    "email": "A.K@acme.io",
                    "event_type": "meeting_booked",
                    "occurred_at": NOW - timedelta(hours=3),
                    "source": "test",
                    "vendor_event_id": "ev-2",
                },
            ],
        )
    yield engine
    engine.dispose()


def test_events_are_deduplicated_by_vendor_id(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        again = repo.insert_events(
            connection,
            events=[
                {
                    "golden_person_id": "gp_anna",
                    "event_type": "email_opened",
                    "occurred_at": NOW,
                    "source": "test",
                    "vendor_event_id": "ev-1",
                }
            ],
        )
        assert again == 0
        with pytest.raises(InputError):
            repo.insert_events(connection, events=[{"event_type": "email_opened", "occurred_at": NOW}])


def test_insert_counts_only_new_events_in_a_mixed_batch(engine: sa.Engine) -> None:
    """The count comes from the insert itself: stored, repeated (in the store and within the batch) and
    id-less events together."""
    event = {"golden_person_id": "gp_anna", "event_type": "email_opened", "occurred_at": NOW, "source": "test"}
    batch = [
        {**event, "vendor_event_id": "ev-1"},
        {**event, "vendor_event_id": "ev-3"},
        {**event, "vendor_event_id": "ev-3"},
        {**event, "vendor_event_id": None},
        {**event, "vendor_event_id": "ev-4"},
    ]
    with engine.begin() as connection:
        assert repo.insert_events(connection, events=batch) == 3
        assert repo.insert_events(connection, events=batch) == 1  # the id-less one has nothing to clash with
        stored = connection.execute(sa.select(sa.func.count()).select_from(sa.table("engagement_events"))).scalar()
    assert stored == 6


def test_stage_round_trip(engine: sa.Engine) -> None:
    outcome = run_score_stage(engine, Settings(), now=NOW)
    assert outcome.records == 5
    with engine.connect() as connection:
        anna = repo.get_score(connection, golden_person_id="gp_anna")
        carl = repo.get_score(connection, golden_person_id="gp_carl")
        emil = repo.get_score(connection, golden_person_id="gp_emil")
        runs = list_runs(connection, kind="score")
    assert anna is not None
    assert carl is not None
    assert emil is not None
    assert anna["grade"] == "A1"
    assert anna["priority"] is True
    assert anna["engagement"] > 50  # the meeting matched by her second email counts
    assert anna["segments"] == ["hot"]
    assert anna["tags"]["zoho"]["desired"] == ["lf-hot"]
    assert anna["tags"]["zoho"]["applied"] == []
    assert anna["tags"]["zoho"]["custom_fields"] == {"Lead_Segment": "Hot"}
    assert {r["rule"] for r in anna["reasons"] if r["score"] == "fit"} >= {"industry", "employees", "country"}
    assert carl["suppressed"] is True
    assert carl["suppression_reasons"] == ["competitor"]
    assert carl["fit"] == 0.0
    assert emil["fit"] is None
    assert emil["grade"] is None
    assert runs[0]["status"] == RunStatus.SUCCEEDED.value
    assert runs[0]["counters"]["segments"]["hot"] == 1


def test_rerun_writes_no_tag_rows_and_applied_tags_give_an_empty_diff(engine: sa.Engine) -> None:
    first = run_score_stage(engine, Settings(), now=NOW)
    assert first.counters["tag_rows_written"] == 10
    assert first.counters["scores_written"] == 5
    second = run_score_stage(engine, Settings(), now=NOW)
    assert second.counters["tag_rows_written"] == 0
    assert (second.counters["scores_written"], second.counters["scores_unchanged"]) == (0, 5)
    with engine.begin() as connection:
        for row in second.segments.to_pylist():
            for target in ("zoho", "ghl"):
                desired = row[f"{target}_desired"]
                repo.set_applied_tags(
                    connection, golden_person_id=row["golden_person_id"], target=target, applied=[*desired, "VIP"]
                )
    third = run_score_stage(engine, Settings(), now=NOW, preview=True)
    assert third.counters["records_with_tag_changes"] == 0
    with engine.connect() as connection:
        assert repo.pending_tag_changes(connection, tag_prefix="lf-").num_rows == 0
    assert third.run_id is None


def test_applied_tags_survive_a_rescore(engine: sa.Engine) -> None:
    run_score_stage(engine, Settings(), now=NOW)
    with engine.begin() as connection:
        repo.set_applied_tags(connection, golden_person_id="gp_anna", target="zoho", applied=["lf-hot", "lf-old"])
    settings = Settings.model_validate(
        {"segments": {"segment": [{"name": "all", "rule": "fit >= 0", "zoho_tags": ["all"]}]}}
    )
    outcome = run_score_stage(engine, settings, now=NOW)
    anna = {row["golden_person_id"]: row for row in outcome.segments.to_pylist()}["gp_anna"]
    assert anna["zoho_add"] == ["lf-all"]
    assert anna["zoho_remove"] == ["lf-hot", "lf-old"]
    with engine.connect() as connection:
        stored = repo.get_score(connection, golden_person_id="gp_anna")
    assert stored is not None
    assert stored["tags"]["zoho"]["applied"] == ["lf-hot", "lf-old"]
    assert stored["tags"]["zoho"]["desired"] == ["lf-all"]
    with engine.connect() as connection:
        pending = repo.pending_tag_changes(connection, tag_prefix="lf-", target="zoho").to_pylist()
    anna_pending = [row for row in pending if row["golden_person_id"] == "gp_anna"]
    assert anna_pending[0]["add"] == ["lf-all"]
    assert anna_pending[0]["remove"] == ["lf-hot", "lf-old"]


def test_explain_shows_scores_reasons_unknowns_and_tags(engine: sa.Engine) -> None:
    run_score_stage(engine, Settings(), now=NOW)
    with engine.connect() as connection:
        ben = repo.get_score(connection, golden_person_id="gp_ben")
    assert ben is not None
    text = explain_text(ben)
    assert text.splitlines()[0] == "gp_ben: grade A4"
    assert "Account Fit: 91.0 / 100 (100% of the data known)" in text
    assert "+30.0  industry [industry] = Computer Software" in text
    assert "Engagement: no events" in text
    assert "Suppressed: do_not_call (excluded from outreach segments)" in text
    assert "Tags zoho: desired lf-do-not-contact; applied -" in text


def test_cli_score_explain_segment_preview_and_export(engine: sa.Engine, tmp_path: Path) -> None:
    config = tmp_path / "leadflow.toml"
    config.write_text(f'database_url = "{engine.url.render_as_string(hide_password=False)}"\n', encoding="utf-8")
    runner = CliRunner(env={"COLUMNS": "200"})
    base = ["--config", str(config)]
    result = runner.invoke(app, [*base, "score"])
    assert result.exit_code == 0, result.output
    assert "segment hot" in result.output
    result = runner.invoke(app, [*base, "score", "--explain", "anna@acme.io"])
    assert result.exit_code == 0, result.output
    assert "gp_anna: grade" in result.output
    result = runner.invoke(app, [*base, "segment", "--preview"])
    assert result.exit_code == 0, result.output
    assert "preview: nothing written" in result.output
    assert "lf-do-not-contact" in result.output
    result = runner.invoke(app, [*base, "segments", "list"])
    assert result.exit_code == 0, result.output
    assert "champions-dach" in result.output
    out = tmp_path / "scores.csv"
    result = runner.invoke(app, [*base, "export", "scores", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [row["golden_person_id"] for row in rows] == ["gp_anna", "gp_ben", "gp_carl", "gp_dora", "gp_emil"]
    assert rows[0]["emails"] == "anna@acme.io;a.k@acme.io"
    assert rows[2]["suppressed"] == "true"
    assert rows[4]["fit"] == ""
    assert set(rows[0]) == {
        "golden_person_id",
        "emails",
        "fit",
        "persona_influence",
        "engagement",
        "fit_coverage",
        "persona_coverage",
        "engagement_coverage",
        "grade",
        "priority",
        "suppressed",
        "segments",
    }


def test_only_changed_scores_are_rewritten_and_vanished_records_deleted(engine: sa.Engine) -> None:
    run_score_stage(engine, Settings(), now=NOW)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM golden_people WHERE id = 'gp_emil'"))
        connection.execute(sa.text("UPDATE golden_people SET seniority = 'Intern' WHERE id = 'gp_ben'"))
    outcome = run_score_stage(engine, Settings(), now=NOW)
    assert (outcome.counters["scores_written"], outcome.counters["scores_deleted"]) == (1, 1)
    with engine.connect() as connection:
        assert repo.get_score(connection, golden_person_id="gp_emil") is None
        ben = repo.get_score(connection, golden_person_id="gp_ben")
    assert ben is not None
    assert any(r["value"] == "Intern" for r in ben["reasons"])
