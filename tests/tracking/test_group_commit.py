"""Group commit of webhook deliveries (SQLite and PostgreSQL): concurrent deliveries share transactions, every
answer comes after its row is committed, a repeat is stored once, and one bad row fails alone."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from leadflow.store import open_store
from leadflow.store import tracking as repo
from leadflow.tracking.group_commit import GroupCommitter


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = open_store(database_url)
    yield engine
    engine.dispose()


def _row(n: int, **changes: Any) -> dict[str, Any]:
    row = repo.delivery_row(
        source="ghl",
        vendor_event_id=f"wh-{n}",
        event_type="LCEmailStats",
        contact_key=f"contact-{n % 7}",
        headers={"x-ghl-signature": "sig"},
        body=b'{"n": %d}' % n,
    )
    return row | changes


def _stored_ids(engine: sa.Engine) -> list[str]:
    with engine.connect() as connection:
        return [str(v) for v in connection.execute(sa.text("select vendor_event_id from webhook_deliveries")).scalars()]


def test_concurrent_deliveries_share_commits_and_each_answer_follows_its_commit(engine: sa.Engine) -> None:
    committer = GroupCommitter(engine)
    seen_committed: list[bool] = []

    async def deliver(n: int) -> bool:
        new = await committer.stored(_row(n))
        # answered: the row is visible to another connection, i.e. committed
        seen_committed.append(f"wh-{n}" in set(_stored_ids(engine)))
        return new

    async def burst() -> list[bool]:
        return await asyncio.gather(*(deliver(n) for n in range(300)))

    try:
        outcomes = asyncio.run(burst())
    finally:
        committer.close()
    assert outcomes == [True] * 300
    assert all(seen_committed)
    assert sorted(_stored_ids(engine)) == sorted(f"wh-{n}" for n in range(300))
    assert committer.commits < 300  # rows arriving during a commit went together into the next one


def test_repeats_in_one_batch_and_across_batches_are_stored_once(engine: sa.Engine) -> None:
    committer = GroupCommitter(engine)
    try:
        futures = [committer.submit(_row(n % 5)) for n in range(20)]  # each id four times
        outcomes = [future.result(timeout=30) for future in futures]
        again = committer.store(_row(3))
    finally:
        committer.close()
    assert outcomes[:5] == [True] * 5
    assert outcomes.count(True) == 5
    assert again is False
    assert sorted(_stored_ids(engine)) == [f"wh-{n}" for n in range(5)]


def test_a_row_the_store_refuses_fails_alone_and_the_others_are_stored(engine: sa.Engine) -> None:
    committer = GroupCommitter(engine)
    # submitted together: while the writer commits the first, the others wait and go as one batch
    blocker = committer.submit(_row(1000))
    futures = [committer.submit(_row(n, state=None) if n == 2 else _row(n)) for n in range(5)]
    try:
        assert blocker.result(timeout=30) is True
        with pytest.raises(sa.exc.IntegrityError):
            futures[2].result(timeout=30)
        assert [f.result(timeout=30) for i, f in enumerate(futures) if i != 2] == [True] * 4
    finally:
        committer.close()
    assert sorted(_stored_ids(engine)) == sorted(["wh-1000", "wh-0", "wh-1", "wh-3", "wh-4"])


def test_closed_committer_refuses_new_rows_after_storing_the_waiting_ones(engine: sa.Engine) -> None:
    committer = GroupCommitter(engine)
    futures = [committer.submit(_row(n)) for n in range(50)]
    committer.close()
    assert all(f.result(timeout=1) for f in futures)
    with pytest.raises(RuntimeError):
        committer.submit(_row(99))


def test_the_intake_answers_429_with_retry_after_when_the_store_cannot_take_a_delivery(engine: sa.Engine) -> None:
    """GHL retries only a 429: a delivery the store refuses must get one, never a 2xx and never a 500."""
    import json

    from leadflow.ghl.webhooks import SignatureVerifier
    from leadflow.tracking.intake import Intake

    intake = Intake(engine, SignatureVerifier(), zoho_channel_tokens={"c1": "tok"})
    note = {"channel_id": "c1", "token": "tok", "module": "Leads", "operation": "update", "ids": ["1"]}
    try:
        assert intake.receive_zoho_notification(json.dumps(note).encode(), {}).status == 200
        with engine.begin() as connection:
            connection.execute(sa.text("alter table webhook_deliveries rename to webhook_deliveries_away"))
        answer = intake.receive_zoho_notification(json.dumps({**note, "ids": ["2"]}).encode(), {})
        assert answer.status == 429
        assert answer.retry_after
        assert intake.metrics.snapshot()["rejected_store_unavailable"] == 1
        with engine.begin() as connection:
            connection.execute(sa.text("alter table webhook_deliveries_away rename to webhook_deliveries"))
        retried = asyncio.run(
            intake.complete_async(intake.check_zoho_notification(json.dumps({**note, "ids": ["2"]}).encode(), {}))
        )
        assert retried.status == 200
    finally:
        intake.close()
    assert len(_stored_ids(engine)) == 2
