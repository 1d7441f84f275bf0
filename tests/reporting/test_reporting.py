"""The read-only reports, on SQLite and PostgreSQL: counts after the stages ran, runs, outbox states."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from leadflow import pipeline
from leadflow.config import Settings
from leadflow.model import RunStatus
from leadflow.reporting import outbox_states, recent_runs, run_detail, store_counts
from leadflow.runtime import open_store
from leadflow.sampledata import GeneratorConfig, generate
from leadflow.store import runs as runs_repo
from leadflow.store import sync_ledger
from leadflow.store.schema import sync_outbox


def test_counts_after_ingest_resolve_and_score(database_url: str, tmp_path: Path) -> None:
    files = generate(GeneratorConfig(people=40, seed=3)).write(tmp_path / "samples")
    settings = Settings(database_url=database_url)
    engine = open_store(settings)
    result = pipeline.run(
        settings, engine, files=[files["apollo_2025.csv"], files["salesnav_export.csv"]], against_crm=False, sync=False
    )
    assert result.sync is None
    assert result.mirrored == {}
    with engine.connect() as connection:
        counts = store_counts(connection)
        kinds = [run.kind for run in recent_runs(connection, kind=None)]
    assert result.ingest is not None
    assert counts.prospect_rows == result.ingest.stored
    assert counts.golden_people == result.resolve.stats["golden_people"]
    assert counts.rows_merged == counts.prospect_rows - counts.golden_people > 0
    assert counts.matched_to_crm == 0
    assert kinds == ["score", "resolve", "ingest"]
    engine.dispose()


def test_runs_and_outbox_states(database_url: str) -> None:
    engine = open_store(Settings(database_url=database_url))
    now = datetime.now(UTC)
    with engine.begin() as connection:
        first = runs_repo.start_run(connection, kind="sync")
        runs_repo.finish_run(connection, run_id=first, status=RunStatus.SUCCEEDED, counters={"calls": 2})
        second = runs_repo.start_run(connection, kind="sync")
        runs_repo.finish_run(connection, run_id=second, status=RunStatus.FAILED, error="Zoho unreachable")
        runs_repo.start_run(connection, kind="ingest")
        sync_ledger.log_outcomes(
            connection,
            rows=[
                {
                    "run_id": first,
                    "target": "zoho",
                    "golden_id": f"gp_{n}",
                    "module": "Leads",
                    "action": "create",
                    "outcome": "created",
                    "code": None,
                    "message": None,
                }
                for n in range(3)
            ]
            + [
                {
                    "run_id": first,
                    "target": "zoho",
                    "golden_id": "gp_9",
                    "module": "Leads",
                    "action": "create",
                    "outcome": "failed",
                    "code": "INVALID_DATA",
                    "message": "invalid email",
                }
            ],
        )
        for n, state in enumerate(["confirmed", "confirmed", "failed", "pending"]):
            connection.execute(
                sa.insert(sync_outbox).values(
                    key=f"k{n}",
                    target="zoho" if n < 3 else "ghl",
                    plan_id="p",
                    kind="record",
                    action="create",
                    method="batch",
                    golden_id=f"gp_{n}",
                    module="Leads",
                    payload={},
                    payload_hash="h",
                    desired={},
                    base_version=0,
                    state=state,
                    created_at=now,
                    updated_at=now,
                )
            )
    with engine.connect() as connection:
        syncs = recent_runs(connection, kind="sync")
        assert [(run.id, run.status) for run in syncs] == [(second, "failed"), (first, "succeeded")]
        assert syncs[0].error == "Zoho unreachable"
        assert syncs[1].counters == {"calls": 2}
        assert len(recent_runs(connection, kind=None, limit=2)) == 2
        detail = run_detail(connection, run_id=first)
        assert detail is not None
        assert detail.outcomes == {("Leads", "create", "created"): 3, ("Leads", "create", "failed"): 1}
        assert [(r.golden_id, r.code, r.message) for r in detail.refusals] == [
            ("gp_9", "INVALID_DATA", "invalid email")
        ]
        assert run_detail(connection, run_id=second + 100) is None
        assert outbox_states(connection) == {"confirmed": 2, "failed": 1, "pending": 1}
        assert outbox_states(connection, target="zoho") == {"confirmed": 2, "failed": 1}
    engine.dispose()
