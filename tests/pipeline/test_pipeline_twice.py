"""The whole pipeline twice against the emulator: the second run must plan nothing and write nothing.

Run 1 writes golden records into Zoho; run 2 mirrors them back. The resolver has to give the same golden
people, companies and field values when its own writes come through the mirror, or run 2 would update again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from leadflow.config import Settings
from leadflow.pipeline.ingest import ingest_files
from leadflow.pipeline.resolve import run_resolve
from leadflow.pipeline.score import run_score_stage
from leadflow.pipeline.sync import mirror_crm, plan_sync, zoho_sync
from leadflow.sampledata import GeneratorConfig, generate
from leadflow.store import open_store
from leadflow.sync.runner import SyncReport
from leadflow.zoho.client import ZohoClient
from tests.sync.emulator import Emulator, settings_for

EXPORTS = ("apollo_2024.csv", "apollo_2025.csv", "salesnav_export.csv")


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    running = Emulator()
    yield running
    running.stop()


def _golden(engine: sa.Engine) -> dict[str, tuple[Any, ...]]:
    """Golden people and companies by id, with the fields the sync writes (crm ids left out: run 1 creates them)."""
    with engine.connect() as connection:
        people = connection.execute(
            sa.text(
                "select id, company_id, company_name, email, first_name, last_name, title, phone_e164, country, city"
                " from golden_people"
            )
        ).all()
        companies = connection.execute(
            sa.text("select id, name, domain, company_key, employees, annual_revenue, country from golden_companies")
        ).all()
    return {row[0]: tuple(row[1:]) for row in [*people, *companies]}


def _pipeline(settings: Settings, engine: sa.Engine, paths: list[Path]) -> SyncReport:
    ingest_files(engine, paths)
    with ZohoClient.from_settings(settings, engine) as zoho:
        mirror_crm(settings, engine, zoho)
    run_resolve(engine, settings.resolve, against_crm=True)
    run_score_stage(engine, settings)
    with zoho_sync(settings, engine) as runner:
        return runner.run()


def _writes(state: dict[str, Any]) -> dict[str, dict[str, int]]:
    return {module: dict(counter) for module, counter in state["operations"].items()}


@pytest.mark.slow
@pytest.mark.parametrize("merge_policy", ["source_priority", "most_recent"])
def test_second_pipeline_run_plans_nothing_and_makes_no_write_call(
    emulator: Emulator, tmp_path: Path, merge_policy: str
) -> None:
    # Many job changes and CRM records: people whose CRM company differs from an export's, the case that used to
    # move a Contact to another company once leadflow's own Accounts came back through the mirror.
    data = generate(GeneratorConfig(people=240, seed=11, p_crm=0.5, job_change_rate=0.4))
    files = data.write(tmp_path / "samples")
    seed = "\n".join(json.dumps(item) for item in data.crm_seed)
    assert emulator.http.post("/_emulator/seed", content=seed).status_code == 200
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    engine = open_store(url)
    base = settings_for(emulator, url)
    settings = base.model_copy(update={"resolve": base.resolve.model_copy(update={"merge_policy": merge_policy})})
    paths = [files[name] for name in EXPORTS]

    first = _pipeline(settings, engine, paths)
    assert first.counts["Contacts updated"] > 0
    assert first.counts["Leads created"] > 0
    golden_after_first = _golden(engine)
    writes_after_first = _writes(emulator.state())

    second = _pipeline(settings, engine, paths)
    plan = plan_sync(settings, engine)
    golden_after_second = _golden(engine)
    changed = {
        key: (golden_after_first.get(key), golden_after_second.get(key))
        for key in golden_after_first.keys() | golden_after_second.keys()
        if golden_after_first.get(key) != golden_after_second.get(key)
    }
    assert changed == {}
    assert [op.key for op in second.plan.writes] == []
    assert plan.writes == []
    assert second.wrote_nothing
    assert second.calls == 0
    assert _writes(emulator.state()) == writes_after_first
