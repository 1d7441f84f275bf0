"""The tracking actions outbox on SQLite and PostgreSQL: a key is queued once, claims never overlap, one
person's actions stay in order, an action whose runner died comes back marked uncertain, failures wait out
their backoff, and a runner with a handler per kind performs them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from leadflow.errors import ResponseLost, ValidationFailed
from leadflow.store import open_store
from leadflow.store import tracking_actions as repo
from leadflow.tracking.actions import (
    ActionContext,
    ActionHandler,
    ActionRegistry,
    ActionRow,
    ActionRunner,
    NewAction,
    Outcome,
    RetryPolicy,
    action_key,
)
from leadflow.zoho.activities import RecordRef

LEASE = timedelta(minutes=1)


def _queue(engine: sa.Engine, *actions: NewAction) -> int:
    with engine.begin() as connection:
        return repo.enqueue(connection, actions=[a.row() for a in actions])


def test_keys_are_queued_once_and_claims_keep_people_apart(database_url: str) -> None:
    engine = open_store(database_url)
    first = [NewAction("note", f"ghl:w{n}:email_replied", f"p{n % 3}", {"n": n}) for n in range(9)]
    assert _queue(engine, *first) == 9
    assert _queue(engine, *first, NewAction("task", "ghl:w0:email_replied", "p0")) == 1  # a replay adds nothing
    with engine.begin() as connection:
        mine = repo.claim(connection, worker="a", limit=2, lease=LEASE)
    with engine.begin() as connection:
        theirs = repo.claim(connection, worker="b", limit=10, lease=LEASE)
    assert [a.payload["n"] for a in mine] == [0, 1]
    # p0 and p1 have actions in flight with a (live lease): b takes only p2's, in order
    assert [a.payload["n"] for a in theirs] == [2, 5, 8]
    assert not {a.id for a in mine} & {a.id for a in theirs}
    assert not any(a.uncertain for a in mine + theirs)
    with engine.begin() as connection:  # a dies: its lease runs out
        connection.execute(
            sa.update(repo.tracking_actions)
            .where(repo.tracking_actions.c.claimed_by == "a")
            .values(lease_until=datetime(2000, 1, 1, tzinfo=UTC))
        )
        taken_over = repo.claim(connection, worker="c", limit=20, lease=LEASE)
    assert {a.id for a in mine} <= {a.id for a in taken_over}
    assert all(a.uncertain for a in taken_over if a.id in {m.id for m in mine})
    assert all(a.attempts == 2 for a in taken_over if a.id in {m.id for m in mine})


class _Flaky(ActionHandler):
    """Loses the first answer (after writing), refuses the ``bad`` payload, writes the others."""

    kind = "flaky"

    def __init__(self) -> None:
        self.written: list[str] = []
        self.lost = False

    def target(self, action: ActionRow, context: ActionContext) -> RecordRef:
        return RecordRef("Leads", action.golden_person_id)

    def find(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome | None:
        return Outcome.done(action.key) if action.key in self.written else None

    def perform(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome:
        if action.payload.get("bad"):
            raise ValidationFailed("invalid data", status=400, vendor_code="INVALID_DATA")
        self.written.append(action.key)
        if not self.lost:
            self.lost = True
            raise ResponseLost("the connection dropped after the request was sent")
        return Outcome.done(action.key)


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_runner_adopts_lost_writes_and_fails_refused_ones(database_url: str, concurrency: int) -> None:
    engine = open_store(database_url)
    _queue(
        engine, *[NewAction("flaky", f"e{n}", f"p{n}") for n in range(6)], NewAction("flaky", "e9", "p9", {"bad": 1})
    )
    _queue(engine, NewAction("mystery", "e7", "p7"))
    handler = _Flaky()
    context = ActionContext(engine, zoho=None)  # type: ignore[arg-type]  # these handlers never call Zoho
    runner = ActionRunner(
        engine,
        ActionRegistry([handler]),
        context,
        policy=RetryPolicy(max_attempts=3, base_seconds=0.0),
        concurrency=concurrency,
    )
    tally = runner.drain()
    assert (tally.done, tally.adopted, tally.retried, tally.failed) == (6, 1, 1, 2)
    assert sorted(handler.written) == sorted(action_key(f"e{n}", "flaky") for n in range(6))  # each once
    with engine.connect() as connection:
        failures = repo.failures_by_reason(connection)
        counts = repo.counts(connection)
    assert counts == {"done": 6, "failed": 2}
    assert failures == {
        "flaky: invalid data (code INVALID_DATA, HTTP 400)": 1,
        "mystery: no handler for 'mystery' actions": 1,
    }


def test_a_failed_attempt_waits_for_its_backoff(database_url: str) -> None:
    engine = open_store(database_url)
    _queue(engine, NewAction("note", "e1", "p1"))
    with engine.begin() as connection:
        [action] = repo.claim(connection, worker="a", limit=5, lease=LEASE)
        later = datetime.now(UTC) + timedelta(minutes=5)
        repo.attempt_failed(connection, action_id=action.id, code="X", error="boom", uncertain=True, retry_at=later)
        assert repo.claim(connection, worker="a", limit=5, lease=LEASE) == []
        connection.execute(sa.update(repo.tracking_actions).values(next_attempt_at=datetime(2000, 1, 1, tzinfo=UTC)))
        [again] = repo.claim(connection, worker="a", limit=5, lease=LEASE)
    assert again.uncertain
    assert again.attempts == 2
