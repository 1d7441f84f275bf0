from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta

import sqlalchemy as sa

from leadflow.config import SyncSettings
from leadflow.store import open_store, sync_ledger, sync_lock, sync_outbox
from leadflow.store.runs import utcnow
from leadflow.store.schema import sync_locks
from leadflow.store.sync_outbox import OutboxState
from leadflow.sync import outbox
from leadflow.sync.plan import Planner
from leadflow.sync.zoho_schema import zoho_schema
from tests.sync import golden

SCHEMA = zoho_schema(SyncSettings().zoho)


def _engine(url: str) -> sa.Engine:
    return open_store(url)


def test_enqueue_is_idempotent_and_supersedes_older_plans(database_url: str) -> None:
    engine = _engine(database_url)
    ids = golden.populate(engine, 6, companies=2)
    with engine.begin() as connection:
        plan = Planner(SCHEMA).build(connection)
        first = outbox.enqueue(connection, plan, schema=SCHEMA, run_id=None)
        second = outbox.enqueue(connection, plan, schema=SCHEMA, run_id=None)
    assert first.new == len(plan.operations) == 14
    assert second.new == 0
    assert second.already_pending == 14
    with engine.connect() as connection:
        assert sync_ledger.outbox_counts(connection, target="zoho") == {"pending": 14}
    with engine.begin() as connection:
        golden.update_person(connection, ids[0], last_name="Changed")
        newer = Planner(SCHEMA).build(connection)
        result = outbox.enqueue(connection, newer, schema=SCHEMA, run_id=None)
    assert result.new == 1
    assert result.superseded == 1
    with engine.connect() as connection:
        assert sync_ledger.outbox_counts(connection, target="zoho") == {"pending": 14, "superseded": 1}
    engine.dispose()


def test_failed_operations_retry_by_code_or_when_asked(database_url: str) -> None:
    engine = _engine(database_url)
    golden.populate(engine, 2, companies=1)
    with engine.begin() as connection:
        plan = Planner(SCHEMA).build(connection)
        outbox.enqueue(connection, plan, schema=SCHEMA, run_id=None)
        rows = sync_outbox.page(connection, target="zoho", states=[OutboxState.PENDING])
        sync_outbox.set_state(
            connection, ids=[rows[0].id], state=OutboxState.FAILED, error=("INVALID_DATA", "bad", {"api_name": "Email"})
        )
        sync_outbox.set_state(
            connection, ids=[rows[1].id], state=OutboxState.FAILED, error=("TOO_MANY_REQUESTS", "slow down", None)
        )
    with engine.begin() as connection:
        again = outbox.enqueue(connection, plan, schema=SCHEMA, run_id=None)
    assert again.retried == 1
    assert again.failed_kept == 1
    with engine.begin() as connection:
        kept = sync_outbox.by_keys(connection, keys=[rows[0].key])[rows[0].key]
        assert kept.state == OutboxState.FAILED
        assert kept.error_details == {"api_name": "Email"}
        forced = outbox.enqueue(connection, plan, schema=SCHEMA, run_id=None, retry_failed=True)
    assert forced.retried == 1
    engine.dispose()


def test_invalid_operations_are_stored_never_pending(database_url: str) -> None:
    engine = _engine(database_url)
    with engine.begin() as connection:
        golden.add_person(connection, id="gp_bad", last_name=None, first_name="X")
        plan = Planner(SCHEMA).build(connection)
        result = outbox.enqueue(connection, plan, schema=SCHEMA, run_id=None)
    assert result.invalid == 1
    with engine.connect() as connection:
        assert sync_ledger.outbox_counts(connection, target="zoho") == {"invalid": 1}
    engine.dispose()


def test_a_stale_plan_file_operation_is_skipped(database_url: str) -> None:
    engine = _engine(database_url)
    golden.populate(engine, 1, companies=1)
    with engine.begin() as connection:
        plan = Planner(SCHEMA).build(connection)
        op = plan.operations[0]
        sync_ledger.record_pushed(
            connection,
            target="zoho",
            records=[
                {
                    "golden_id": op.record_id,
                    "kind": op.kind,
                    "module": op.module,
                    "remote_id": "1",
                    "payload_hash": "other",
                    "payload": {},
                    "version": 1,
                }
            ],
        )
        result = outbox.enqueue(connection, plan, schema=SCHEMA, run_id=None, check_base=True)
    assert result.stale == 1
    assert result.new == len(plan.operations) - 1
    engine.dispose()


def test_lock_one_holder_lease_and_renewal(database_url: str) -> None:
    engine = _engine(database_url)
    with engine.begin() as connection:
        assert sync_lock.try_acquire(connection, target="zoho", owner="a:1:x", lease_seconds=60)
    with engine.begin() as connection:
        assert not sync_lock.try_acquire(connection, target="zoho", owner="b:2:y", lease_seconds=60)
        assert sync_lock.try_acquire(connection, target="ghl", owner="b:2:y", lease_seconds=60)
        assert sync_lock.renew(connection, target="zoho", owner="a:1:x", lease_seconds=60)
        assert not sync_lock.renew(connection, target="zoho", owner="b:2:y", lease_seconds=60)
        connection.execute(sa.update(sync_locks).values(expires_at=utcnow() - timedelta(seconds=1)))
    with engine.begin() as connection:
        assert sync_lock.try_acquire(connection, target="zoho", owner="b:2:y", lease_seconds=60)
        assert not sync_lock.renew(connection, target="zoho", owner="a:1:x", lease_seconds=60)
        sync_lock.release(connection, target="zoho", owner="b:2:y")
        assert sync_lock.holder_of(connection, target="zoho").owner is None
    engine.dispose()


def test_a_dead_local_holder_loses_the_lock_at_once(database_url: str) -> None:
    engine = _engine(database_url)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    dead = f"{os.uname().nodename}:{child.pid}:dead"
    with engine.begin() as connection:
        assert sync_lock.try_acquire(connection, target="zoho", owner=dead, lease_seconds=600)
    with engine.begin() as connection:
        assert sync_lock.try_acquire(connection, target="zoho", owner=sync_lock.new_owner_id(), lease_seconds=60)
    engine.dispose()


def test_many_contenders_at_once_one_wins(database_url: str) -> None:
    engine = _engine(database_url)
    barrier = threading.Barrier(8)
    winners: list[str] = []

    def contend(n: int) -> None:
        barrier.wait()
        with engine.begin() as connection:
            if sync_lock.try_acquire(
                connection, target="zoho", owner=f"{os.uname().nodename}:{os.getpid()}:{n}", lease_seconds=60
            ):
                winners.append(str(n))

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    engine.dispose()
