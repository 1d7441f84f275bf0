"""Merging GoHighLevel contacts (GHL has no merge endpoint): tags, empty fields, notes, tasks and opportunities
move to the master, then the loser is deleted; an attempt cut short is made again without doubling anything,
and a merge that would lose an opportunity fails and keeps the loser."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from leadflow.ghl import GhlClient
from leadflow.ghl.fields import CustomFieldSpec
from leadflow.store import open_store, record_merges
from leadflow.sync.merge_apply import MergeRunner
from leadflow.sync.merge_ghl import GhlMerger
from leadflow.sync.merge_plan import MergePlan, RecordMerge
from tests.ghl.conftest import Emulator, ghl_settings
from tests.ghl.test_client import PIPELINE


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return open_store(ghl_settings(tmp_path).database_url)


def _pair(ghl: GhlClient, emulator: Emulator) -> tuple[str, str]:
    emulator.seed([{"kind": "pipeline", "record": PIPELINE}])
    field = ghl.fields.create(CustomFieldSpec("Favourite engine", "TEXT"))["id"]
    master = ghl.contacts.create({"firstName": "Ada", "lastName": "Lovelace", "email": "ada@work.example"})["id"]
    loser = ghl.contacts.create(
        {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@home.example", "city": "London",
         "tags": ["webinar"], "customFields": [{"id": field, "field_value": "analytical"}]}
    )["id"]  # fmt: skip
    ghl.notes.create(loser, "asked for pricing")
    ghl.tasks.create(loser, title="call back", due_date="2026-12-14T09:00:00Z")
    ghl.opportunities.create(pipeline_id=PIPELINE["id"], contact_id=loser, name="Ada: pilot", monetary_value=900)
    return master, loser


def _plan(master: str, loser: str) -> MergePlan:
    merge = RecordMerge("ghl", "merge", "contacts", "gp_ada", master, [loser], master_module="contacts")
    return MergePlan("ghl", [merge])


@pytest.mark.parametrize("fault", ["drop_after_commit", "error_after_commit"])
def test_everything_moves_to_the_master_once_even_after_a_lost_answer(
    emulator: Emulator, ghl: GhlClient, engine: Engine, fault: str
) -> None:
    master, loser = _pair(ghl, emulator)
    runner = MergeRunner(engine, GhlMerger(ghl))
    # the task copy is stored, then the connection drops or GHL answers 500
    emulator.control("POST", "faults", {fault: 1, "path_contains": "/tasks"})

    first = runner.apply(_plan(master, loser), run_id=None)  # the task was copied, its answer lost

    assert first.uncertain == 1
    with engine.connect() as connection:
        assert record_merges.counts(connection, target="ghl") == {"in_flight": 1}

    second = runner.apply(_plan(master, loser), run_id=None)

    assert second.counts["contacts merged"] == 1
    assert not second.failures
    assert [n["body"] for n in ghl.notes.list(master)] == ["asked for pricing"]
    assert [t["title"] for t in ghl.tasks.list(master)] == ["call back"]  # not copied twice
    opportunities = list(ghl.opportunities.search(contact_id=master, status="all"))
    assert [(o["name"], o["monetaryValue"]) for o in opportunities] == [("Ada: pilot", 900)]
    kept = ghl.contacts.get(master)
    assert "webinar" in kept["tags"]
    assert kept["city"] == "London"  # an empty field filled from the loser
    assert [c["value"] for c in kept["customFields"]] == ["analytical"]
    assert kept["email"] == "ada@work.example"  # the master's own value stays
    assert GhlMerger(ghl).read("contacts", loser) is None


def test_an_opportunity_that_cannot_move_keeps_the_loser(emulator: Emulator, ghl: GhlClient, engine: Engine) -> None:
    master, loser = _pair(ghl, emulator)
    ghl.opportunities.create(pipeline_id=PIPELINE["id"], contact_id=master, name="Ada: renewal")

    report = MergeRunner(engine, GhlMerger(ghl)).apply(_plan(master, loser), run_id=None)

    assert [code for _key, code, _message in report.failures] == ["OPPORTUNITY_NOT_MOVED"]
    assert GhlMerger(ghl).read("contacts", loser) is not None  # nothing lost
    assert [o["name"] for o in ghl.opportunities.search(contact_id=loser, status="all")] == ["Ada: pilot"]
