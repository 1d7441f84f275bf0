"""The score stage after the real ingest and resolve stages: sample exports -> golden records -> scores and tags."""

from __future__ import annotations

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
