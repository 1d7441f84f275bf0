"""The score stage after the real ingest and resolve stages: sample exports -> golden records -> scores and tags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from leadflow.config import Settings
from leadflow.pipeline.ingest import ingest_files
from leadflow.pipeline.resolve import run_resolve
from leadflow.pipeline.score import run_score_stage
from leadflow.sampledata.generator import GeneratorConfig, generate
from leadflow.store import open_store
from leadflow.store import scoring as repo


def test_golden_records_from_the_resolve_stage_are_scored_and_segmented(sqlite_url: str, tmp_path: Path) -> None:
    paths = generate(GeneratorConfig(people=150, seed=5)).write(tmp_path / "data")
    engine = open_store(sqlite_url)
    ingest_files(engine, [path for name, path in paths.items() if name.endswith(".csv") and "truth" not in name])
    run_resolve(engine, Settings().resolve)
    outcome = run_score_stage(engine, Settings())
    counters = outcome.counters
    assert counters["records"] > 100
    assert counters["fit_unscored"] < counters["records"] // 4  # generated companies carry industry, size, country
    # the normalize step's persona vocabulary (economic_buyer, decision_maker ...) maps onto the configured roles
    personas = set(outcome.scores.column("persona").to_pylist())
    assert {"economic buyer", "decision maker", "champion"} <= personas
    assert counters["segments"].get("nurture", 0) > 0
    with engine.connect() as connection:
        first = outcome.scores.column("golden_person_id")[0].as_py()
        stored = repo.get_score(connection, golden_person_id=first)
    assert stored is not None
    assert stored["summary"]
    again = run_score_stage(engine, Settings(), now=None)
    assert again.counters["tag_rows_written"] == 0
    engine.dispose()


def test_scoring_as_of_a_fixed_moment_gives_the_same_scores_whenever_it_runs(sqlite_url: str, tmp_path: Path) -> None:
    paths = generate(GeneratorConfig(people=60, seed=5)).write(tmp_path / "data")
    engine = open_store(sqlite_url)
    ingest_files(engine, [path for name, path in paths.items() if name.endswith(".csv") and "truth" not in name])
    run_resolve(engine, Settings().resolve)
    golden = run_score_stage(engine, Settings()).scores.column("golden_person_id")[0].as_py()
    replied = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with engine.begin() as connection:
        repo.insert_events(
            connection,
            events=[
                {
                    "golden_person_id": golden,
                    "email": None,
                    "event_type": "email_replied",
                    "occurred_at": replied,
                    "source": "ghl",
                    "vendor_event_id": "ghl:w1:email_replied",
                    "payload": {},
                }
            ],
        )
    as_of = Settings(scoring={"as_of": "2026-12-05T09:00:00"})  # naive: read as UTC
    assert as_of.scoring.as_of == datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    first = run_score_stage(engine, as_of)
    engagement = {r["golden_person_id"]: r["engagement"] for r in first.scores.to_pylist()}[golden]
    # the same moment given explicitly scores the same; a month later the reply has faded
    explicit = run_score_stage(engine, Settings(), now=datetime(2026, 12, 5, 9, 0, tzinfo=UTC), preview=True)
    assert {r["golden_person_id"]: r["engagement"] for r in explicit.scores.to_pylist()}[golden] == engagement
    later = run_score_stage(engine, Settings(), now=replied + timedelta(days=40), preview=True)
    assert {r["golden_person_id"]: r["engagement"] for r in later.scores.to_pylist()}[golden] < engagement
    assert run_score_stage(engine, as_of).counters["tag_rows_written"] == 0
    engine.dispose()
