"""``pipeline.run``: every stage in order against the Zoho emulator (its own process, real sockets), what each
stage reported on the way, and the reports read back from the store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadflow import pipeline
from leadflow.config import Settings
from leadflow.errors import InputError
from leadflow.pipeline.emulator import EmulatorProcess
from leadflow.pipeline.run import StageProgress
from leadflow.reporting import outbox_states, recent_runs, run_detail, store_counts
from leadflow.runtime import open_store
from leadflow.sampledata import GeneratorConfig, generate

EXPORTS = ("apollo_2024.csv", "apollo_2025.csv", "salesnav_export.csv")


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorProcess]:
    with EmulatorProcess(tmp_path / "zoho.db") as running:
        yield running


def test_run_goes_through_every_stage_in_order_and_a_second_run_writes_nothing(
    emulator: EmulatorProcess, tmp_path: Path
) -> None:
    data = generate(GeneratorConfig(people=80, seed=5))
    files = data.write(tmp_path / "samples")
    seed = "\n".join(json.dumps(item) for item in data.crm_seed)
    assert emulator.http.post("/_emulator/seed", content=seed).status_code == 200
    settings = emulator.settings_for(Settings(), database_url=f"sqlite:///{tmp_path / 'lf.db'}")
    engine = open_store(settings)
    steps: list[StageProgress] = []

    result = pipeline.run(settings, engine, files=[files[name] for name in EXPORTS], progress=steps.append)

    order = list(dict.fromkeys(step.stage.split(" ", 1)[0] for step in steps))
    assert order == ["ingest", "mirror", "resolve", "score", "sync"]
    for stage in ("ingest", "mirror", "resolve", "score"):
        mine = [step for step in steps if step.stage == stage]
        assert mine[0].done == 0
        assert mine[-1].done == mine[-1].total
    assert result.ingest is not None
    assert result.ingest.stored == sum(len(data.rows[name]) for name in EXPORTS) - sum(
        result.ingest.quarantined.values()
    )
    assert sum(result.mirrored.values()) == len(data.crm_seed)
    assert result.sync is not None
    assert result.sync.counts["Leads created"] > 0
    with engine.connect() as connection:
        counts = store_counts(connection)
        assert counts.golden_people == result.resolve.stats["golden_people"] == result.score.records
        assert counts.prospect_rows == result.ingest.stored
        assert 0 < counts.matched_to_crm < counts.golden_people
        assert set(outbox_states(connection, target="zoho")) <= {"confirmed", "superseded"}
        kinds = [run.kind for run in recent_runs(connection, kind=None)]
        assert {"ingest", "resolve", "score", "sync"} <= set(kinds)
        sync_run = recent_runs(connection, kind="sync", limit=1)[0]
        assert sync_run.status == "succeeded"
        detail = run_detail(connection, run_id=sync_run.id)
    assert detail is not None
    leads_created = sum(
        n for (module, _, outcome), n in detail.outcomes.items() if (module, outcome) == ("Leads", "created")
    )
    assert leads_created == result.sync.counts["Leads created"]
    assert detail.refusals == []

    again = pipeline.run(settings, engine, files=[files[name] for name in EXPORTS])
    assert again.ingest is not None
    assert again.ingest.stored == 0
    assert again.sync is not None
    assert again.sync.wrote_nothing
    assert again.sync.calls == 0
    engine.dispose()


def test_a_failing_stage_stops_the_run(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'lf.db'}")
    engine = open_store(settings)
    steps: list[StageProgress] = []
    with pytest.raises(InputError, match="nothing to resolve"):
        pipeline.run(settings, engine, against_crm=False, progress=steps.append)
    assert [step.stage for step in steps] == ["resolve"]
    with engine.connect() as connection:
        assert run_detail(connection, run_id=10_000) is None
        assert store_counts(connection).golden_people == 0
    engine.dispose()
