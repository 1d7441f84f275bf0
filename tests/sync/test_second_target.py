"""The same engine (plan, outbox, runner) syncing to a second, non-Zoho target: its own schema, limits,
error codes and failures (see ``fake_target``)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from leadflow.config import SyncSettings
from leadflow.store import open_store, runs, sync_outbox
from leadflow.store.sync_outbox import OutboxState
from leadflow.sync.plan import Planner
from leadflow.sync.runner import SyncReport, SyncRunner
from leadflow.sync.target import TargetUnreachable
from tests.sync import golden
from tests.sync.fake_target import BATCH, EXTERNAL_ID, NAME, SCHEMA, FakeCrm, FakeTarget

PEOPLE = 120


@pytest.fixture
def engine(sqlite_url: str) -> sa.Engine:
    engine = open_store(sqlite_url)
    golden.populate(engine, PEOPLE, companies=6)
    with engine.begin() as connection:
        # The owned tags of the second target (record_tags holds them per target).
        connection.execute(
            sa.text(
                "insert into record_tags (golden_person_id, target, desired, applied, custom_fields, updated_at)"
                " select golden_person_id, :name, desired, '[]', custom_fields, updated_at from record_tags"
                " where target = 'zoho'"
            ),
            {"name": NAME},
        )
    return engine


def _run(engine: sa.Engine, crm: FakeCrm, **settings: int) -> SyncReport:
    return SyncRunner(engine, FakeTarget(crm), SyncSettings(**settings)).run()


def _states(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return sync_outbox.counts(connection, target=NAME)


def test_plan_uses_the_targets_schema(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        plan = Planner(SCHEMA).build(connection)
    counts = plan.counts()
    assert counts["contacts create"] == PEOPLE
    assert counts["contacts tags added"] == PEOPLE
    assert not any(name.startswith(("Leads", "Accounts")) for name in counts)  # no company module here
    op = next(op for op in plan.operations if op.kind == "person")
    assert op.key.startswith(f"{NAME}:")
    assert op.payload[EXTERNAL_ID] == op.golden_id
    assert set(op.payload) <= {"given_name", "family_name", "email", "employer", "fit_score", EXTERNAL_ID}


def test_plans_and_applies_through_the_same_runner_then_has_nothing_to_do(engine: sa.Engine) -> None:
    crm = FakeCrm()
    first = _run(engine, crm)
    assert first.counts["contacts created"] == PEOPLE
    assert first.counts["contacts tags added"] == PEOPLE == first.plan.tally.counts()["contacts tags added"]
    assert crm.created == PEOPLE
    assert len(crm.records) == PEOPLE
    assert {record[EXTERNAL_ID] for record in crm.records.values()} == set(golden_ids(engine))
    assert sum(len(tags) for tags in crm.tags.values()) == PEOPLE
    assert _states(engine) == {"confirmed": 2 * PEOPLE}
    calls = crm.calls
    again = _run(engine, crm)
    assert crm.calls == calls
    assert again.wrote_nothing


def test_a_lost_answer_is_reconciled_by_look_up_not_sent_twice(engine: sa.Engine) -> None:
    crm = FakeCrm(lose_next=1)
    report = _run(engine, crm)
    assert report.counts["reconciled after an unanswered write"] == BATCH
    assert report.counts["confirmed by look-up"] == BATCH
    assert report.counts["contacts created"] == PEOPLE
    assert crm.created == PEOPLE  # the lost batch was applied once and never resent


def test_a_batch_refused_for_good_fails_with_the_targets_code_and_is_not_resent(engine: sa.Engine) -> None:
    crm = FakeCrm(refuse_next=1)
    report = _run(engine, crm)
    assert report.counts["contacts failed"] == BATCH
    assert report.counts["contacts created"] == PEOPLE - BATCH
    with engine.connect() as connection:
        failed = sync_outbox.page(connection, target=NAME, states=[OutboxState.FAILED])
        run = runs.get_run(connection, run_id=int(report.run_id or 0))
    assert {(row.error_code, row.error_message) for row in failed} == {
        ("BATCH_REJECTED", "the batch holds a field this account cannot write")
    }
    assert run is not None
    assert run["counters"]["contacts failed"] == BATCH
    calls = crm.calls
    again = _run(engine, crm)
    assert again.counts["failed earlier, not retried"] == BATCH
    assert crm.calls == calls  # not sent again on every run


def test_attempts_cap_resends_of_a_write_that_never_lands(engine: sa.Engine) -> None:
    crm = FakeCrm(drop_next=10**6)  # every write is lost before it lands; look-ups work
    first = _run(engine, crm, max_attempts=3)
    assert crm.created == 0
    assert first.counts["contacts failed"] == PEOPLE
    with engine.connect() as connection:
        failed = sync_outbox.page(connection, target=NAME, states=[OutboxState.FAILED])
    assert {row.error_code for row in failed} == {"MAX_ATTEMPTS"}
    assert all(row.attempts == 3 for row in failed)
    assert "RESPONSE_LOST" in (failed[0].error_message or "")
    calls = crm.calls
    _run(engine, crm, max_attempts=3)
    assert crm.calls == calls  # past max_attempts: failed, not resent forever


def test_an_unreachable_target_fails_the_run_and_leaves_nothing_in_flight(engine: sa.Engine) -> None:
    crm = FakeCrm(unreachable=True)
    with pytest.raises(TargetUnreachable, match=r"fakecrm\.example"):
        _run(engine, crm)
    with engine.connect() as connection:
        (run,) = runs.list_runs(connection, kind="sync", limit=1)
    assert run["status"] == "failed"
    assert "connection refused" in run["error"]
    assert "in_flight" not in _states(engine)
    crm.unreachable = False
    report = _run(engine, crm)
    assert not any("reconciled" in name for name in report.counts)
    assert report.counts["contacts created"] == PEOPLE


def golden_ids(engine: sa.Engine) -> list[str]:
    with engine.connect() as connection:
        return [row["id"] for row in golden.rows(connection, "golden_people")]
