"""The tracking actions outbox on SQLite and PostgreSQL: a key is queued once, claims never overlap, one
person's actions stay in order, an action whose runner died comes back marked uncertain, failures wait out
their backoff, and a runner with a handler per kind performs them."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from leadflow.config import Settings
from leadflow.errors import RateLimited, ResponseLost, TransientError, ValidationFailed
from leadflow.pipeline.track import tracking_process
from leadflow.store import open_store
from leadflow.store import tracking as deliveries
from leadflow.store import tracking_actions as repo
from leadflow.store.schema import sync_records
from leadflow.tracking.actions import (
    ActionContext,
    ActionHandler,
    ActionRegistry,
    ActionRow,
    ActionRunner,
    NewAction,
    NotYet,
    Outcome,
    RetryPolicy,
    action_key,
)
from leadflow.zoho.activities import RecordRef
from tests.sync import golden

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
        settle=timedelta(0),  # the lost answers here come from no request still on its way
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


def test_without_zoho_credentials_events_are_stored_and_their_actions_wait(database_url: str) -> None:
    settings = Settings(database_url=database_url)
    engine = open_store(settings.database_url)
    [person] = golden.populate(engine, 1)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(sync_records),
            [
                {
                    "target": "ghl",
                    "golden_id": person,
                    "kind": "person",
                    "module": "contacts",
                    "remote_id": "c1",
                    "payload": {},
                    "version": 1,
                    "synced_at": datetime.now(UTC),
                }
            ],
        )
        body = {
            "type": "InboundMessage",
            "webhookId": "w1",
            "contactId": "c1",
            "messageType": "CALL",
            "direction": "inbound",
            "callDuration": 60,
            "callStatus": "completed",
        }
        deliveries.store_delivery(
            connection,
            source="ghl",
            vendor_event_id="w1",
            event_type="InboundMessage",
            contact_key="c1",
            headers={},
            body=json.dumps(body).encode(),
        )
    process = tracking_process(engine, settings)
    try:
        process.drain()
    finally:
        process.close()
    assert process.runner is None
    assert process.zoho_problem is not None
    assert "client_id" in process.zoho_problem
    assert process.events.processed == 1
    with engine.connect() as connection:
        assert repo.counts(connection) == {"pending": 1}


class _Moved(ActionHandler):
    """An action whose earlier attempt was made on a Lead that is a Contact now (converted since)."""

    kind = "moved"

    def __init__(self, holds: dict[str, str], gone: set[str]) -> None:
        self.holds = holds  # record id -> key written there
        self.gone = gone
        self.performed = 0

    def target(self, action: ActionRow, context: ActionContext) -> RecordRef:
        return RecordRef("Contacts", f"contact-{action.golden_person_id}")

    def find(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome | None:
        if target.id in self.gone:
            raise ValidationFailed("the related id given seems to be invalid", status=400, vendor_code="INVALID_DATA")
        return Outcome.done(f"found-on-{target.id}") if self.holds.get(target.id) == action.key else None

    def perform(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome:
        self.performed += 1
        return Outcome.done("new")


def test_an_uncertain_attempt_is_looked_for_where_it_was_made_then_where_the_record_moved(database_url: str) -> None:
    engine = open_store(database_url)
    _queue(engine, *[NewAction("moved", f"e{n}", f"p{n}") for n in range(3)])
    with engine.begin() as connection:
        claimed = repo.claim(connection, worker="dead", limit=5, lease=LEASE)
        for action in claimed:  # each attempt was made on the person's Lead, then the runner died
            repo.set_target(
                connection, action_id=action.id, module="Leads", record_id=f"lead-{action.golden_person_id}"
            )
        connection.execute(sa.update(repo.tracking_actions).values(lease_until=datetime(2000, 1, 1, tzinfo=UTC)))
    keys = {a.golden_person_id: a.key for a in claimed}
    # p0's write is on its Lead; p1's Lead is gone and Zoho moved the write to the Contact; p2's never happened
    handler = _Moved({"lead-p0": keys["p0"], "contact-p1": keys["p1"]}, gone={"lead-p1"})
    runner = ActionRunner(engine, ActionRegistry([handler]), ActionContext(engine, zoho=None))  # type: ignore[arg-type]
    tally = runner.drain()
    assert (tally.adopted, tally.done, handler.performed) == (2, 3, 1)
    with engine.connect() as connection:
        rows = {r["golden_person_id"]: r for r in repo.actions_of(connection)}
    assert (rows["p0"]["module"], rows["p0"]["record_id"], rows["p0"]["remote_id"]) == (
        "Leads",
        "lead-p0",
        "found-on-lead-p0",
    )
    assert (rows["p1"]["module"], rows["p1"]["record_id"], rows["p1"]["remote_id"]) == (
        "Contacts",
        "contact-p1",
        "found-on-contact-p1",
    )
    assert (rows["p2"]["module"], rows["p2"]["remote_id"]) == ("Contacts", "new")


class _LookupFails(_Moved):
    def find(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome | None:
        raise TransientError("Zoho answered 500 to the look-up")


def test_where_an_uncertain_attempt_was_made_stays_recorded_until_it_is_looked_up(database_url: str) -> None:
    engine = open_store(database_url)
    _queue(engine, NewAction("moved", "e0", "p0"))
    with engine.begin() as connection:
        [action] = repo.claim(connection, worker="dead", limit=5, lease=LEASE)
        repo.set_target(connection, action_id=action.id, module="Leads", record_id="lead-p0")
        connection.execute(sa.update(repo.tracking_actions).values(lease_until=datetime(2000, 1, 1, tzinfo=UTC)))
    handler = _LookupFails({}, gone=set())
    runner = ActionRunner(
        engine,
        ActionRegistry([handler]),
        ActionContext(engine, zoho=None),  # type: ignore[arg-type]
        policy=RetryPolicy(max_attempts=3),
    )
    tally = runner.run_once()
    assert (tally.retried, handler.performed) == (1, 0)
    with engine.connect() as connection:
        [row] = repo.actions_of(connection)
    # the person's record is a Contact now, but the look-up on the Lead has not been made: the Lead stays recorded
    assert (row["state"], row["module"], row["record_id"], row["check_first"]) == ("pending", "Leads", "lead-p0", True)


class _Ordered(ActionHandler):
    kind = "ordered"

    def __init__(self) -> None:
        self.performed: list[str] = []
        self.failed_once = False

    def target(self, action: ActionRow, context: ActionContext) -> RecordRef:
        return RecordRef("Leads", action.golden_person_id)

    def perform(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome:
        if not self.failed_once:
            self.failed_once = True
            raise RateLimited("too many requests", status=429, vendor_code="TOO_MANY_REQUESTS")
        self.performed.append(str(action.payload["n"]))
        return Outcome.done(None)


def test_a_persons_actions_wait_for_an_earlier_one_to_be_retried(database_url: str) -> None:
    engine = open_store(database_url)
    _queue(engine, *[NewAction("ordered", f"e{n}", "p1" if n < 3 else "p2", {"n": n}) for n in range(4)])
    handler = _Ordered()
    runner = ActionRunner(
        engine,
        ActionRegistry([handler]),
        ActionContext(engine, zoho=None),  # type: ignore[arg-type]
        policy=RetryPolicy(base_seconds=60.0),
    )
    first = runner.run_once()
    assert (first.retried, first.held_back, first.done) == (1, 2, 1)  # p1's first fails: its next two wait
    assert handler.performed == ["3"]  # another person's action is not held up
    assert runner.run_once().claimed == 0  # p1's first is not due yet, and the later ones may not overtake it
    with engine.begin() as connection:
        connection.execute(sa.update(repo.tracking_actions).values(next_attempt_at=datetime(2000, 1, 1, tzinfo=UTC)))
    runner.drain()
    assert handler.performed == ["3", "0", "1", "2"]
    with engine.connect() as connection:
        attempts = [r["attempts"] for r in repo.actions_of(connection)]
    assert attempts == [2, 1, 1, 1]  # being held back costs no attempt


class _Slow(ActionHandler):
    kind = "slow"

    def target(self, action: ActionRow, context: ActionContext) -> RecordRef:
        return RecordRef("Leads", action.golden_person_id)

    def perform(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome:
        time.sleep(1.0)  # longer than the lease: the runner's keeper renews it meanwhile
        with context.engine.begin() as connection:
            taken = repo.claim(connection, worker="another", limit=10, lease=timedelta(seconds=0.3))
        assert taken == [], "another runner took over an action still being performed"
        return Outcome.done(None)


def test_a_runner_keeps_its_lease_while_it_works(database_url: str) -> None:
    engine = open_store(database_url)
    _queue(engine, NewAction("slow", "e1", "p1"), NewAction("slow", "e2", "p1"))
    runner = ActionRunner(
        engine,
        ActionRegistry([_Slow()]),
        ActionContext(engine, zoho=None),  # type: ignore[arg-type]
        lease=timedelta(seconds=0.3),
    )
    assert runner.run_once().done == 2


def test_a_lease_is_renewed_for_the_batch_at_work_only(database_url: str) -> None:
    """An action a runner left in flight by a crash of its own (a store error after its call) must run out and be
    looked up, not be kept in flight by every later batch of that runner."""
    engine = open_store(database_url)
    _queue(engine, NewAction("note", "e1", "p1"), NewAction("note", "e2", "p2"))
    with engine.begin() as connection:
        left, working = repo.claim(connection, worker="w", limit=2, lease=timedelta(seconds=-1))
        assert repo.renew_lease(connection, worker="w", lease=LEASE, ids=[working.id]) == 1
        retaken = repo.claim(connection, worker="v", limit=2, lease=LEASE)
    assert [(x.id, x.uncertain) for x in retaken] == [(left.id, True)]


def test_an_abandoned_action_is_taken_over_only_once_its_last_request_can_no_longer_land(database_url: str) -> None:
    engine = open_store(database_url)
    _queue(engine, NewAction("note", "e1", "p1"), NewAction("task", "e2", "p1"), NewAction("note", "e3", "p2"))
    with engine.begin() as connection:
        [dead, _, _] = repo.claim(connection, worker="dead", limit=3, lease=LEASE)
    # p1's first action: its runner died 10 s ago (its lease ran out); its request may still be inside Zoho
    a = repo.tracking_actions.c
    with engine.begin() as connection:
        connection.execute(
            sa.update(repo.tracking_actions)
            .where(a.claimed_by == "dead")
            .values(lease_until=datetime.now(UTC) - timedelta(seconds=10))
        )
        connection.execute(sa.update(repo.tracking_actions).where(a.id != dead.id).values(state=repo.PENDING))
    with engine.begin() as connection:
        early = repo.claim(connection, worker="b", limit=10, lease=LEASE, settle=timedelta(seconds=60))
    # neither the abandoned action nor its person's next one: only the other person's
    assert [(x.kind, x.golden_person_id) for x in early] == [("note", "p2")]
    with engine.begin() as connection:
        late = repo.claim(connection, worker="c", limit=10, lease=LEASE, settle=timedelta(seconds=5))
    assert [(x.id, x.uncertain) for x in late] == [(dead.id, True), (dead.id + 1, False)]


class _LostThenRefused(ActionHandler):
    """Loses the first answer (the request may still land), then is throttled, then writes."""

    kind = "lost"

    def __init__(self) -> None:
        self.calls = 0

    def target(self, action: ActionRow, context: ActionContext) -> RecordRef:
        return RecordRef("Leads", action.golden_person_id)

    def perform(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome:
        self.calls += 1
        if self.calls == 1:
            raise ResponseLost("no answer within the read timeout")
        if self.calls == 2:
            raise RateLimited("too many requests", status=429)
        return Outcome.done("written")


def test_an_uncertain_attempt_is_retried_only_after_the_settle_time(database_url: str) -> None:
    engine = open_store(database_url)
    _queue(engine, NewAction("lost", "e1", "p1"))
    runner = ActionRunner(
        engine,
        ActionRegistry([_LostThenRefused()]),
        ActionContext(engine, zoho=None),  # type: ignore[arg-type]
        policy=RetryPolicy(base_seconds=0.01),
        settle=timedelta(seconds=45),
    )
    before = datetime.now(UTC)
    assert runner.run_once().retried == 1
    with engine.connect() as connection:
        [row] = repo.actions_of(connection)
    assert row["check_first"] is True
    assert _utc(row["next_attempt_at"]) >= before + timedelta(seconds=45)  # not 0.01 s: the request may land
    with engine.begin() as connection:  # the settle time passes
        connection.execute(sa.update(repo.tracking_actions).values(next_attempt_at=datetime(2000, 1, 1, tzinfo=UTC)))
    before = datetime.now(UTC)
    assert runner.run_once().retried == 1  # throttled: surely not sent, so the short backoff
    with engine.connect() as connection:
        [row] = repo.actions_of(connection)
    assert row["check_first"] is True  # the first attempt is still to be looked up
    assert _utc(row["next_attempt_at"]) < before + timedelta(seconds=5)


class _NotSyncedYet(ActionHandler):
    kind = "later"

    def target(self, action: ActionRow, context: ActionContext) -> RecordRef:
        raise NotYet("the person has no Zoho record yet")


def test_an_action_not_possible_yet_waits_pending_not_in_flight(database_url: str) -> None:
    engine = open_store(database_url)
    _queue(engine, NewAction("later", "e1", "p1"), NewAction("later", "e2", "p1"))
    runner = ActionRunner(
        engine,
        ActionRegistry([_NotSyncedYet()]),
        ActionContext(engine, zoho=None),  # type: ignore[arg-type]
        policy=RetryPolicy(not_yet_seconds=30),
    )
    before = datetime.now(UTC)
    tally = runner.run_once()
    assert (tally.waiting, tally.held_back, tally.failed) == (1, 1, 0)
    with engine.connect() as connection:
        rows = repo.actions_of(connection)
    assert [(r["state"], r["error_code"], r["check_first"]) for r in rows] == [
        (repo.PENDING, "NOT_YET", False),
        (repo.PENDING, None, False),
    ]
    assert _utc(rows[0]["next_attempt_at"]) >= before + timedelta(seconds=30)
    assert rows[0]["claimed_by"] is None


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@pytest.mark.postgres
def test_a_later_action_never_overtakes_one_another_runner_is_claiming(postgres_url: str) -> None:
    """On PostgreSQL ``SKIP LOCKED`` passes over the rows another runner's claim holds: that person's later
    actions must wait, not be taken alongside (a Note racing its Lead's conversion)."""
    engine = open_store(postgres_url)
    _queue(engine, NewAction("convert", "e1", "p1"), NewAction("note", "e2", "p1"), NewAction("note", "e3", "p2"))
    with engine.connect() as first, engine.connect() as second, first.begin():
        [mine] = repo.claim(first, worker="a", limit=1, lease=LEASE)  # still uncommitted: its row is locked
        with second.begin():
            theirs = repo.claim(second, worker="b", limit=10, lease=LEASE)
    assert (mine.kind, mine.golden_person_id) == ("convert", "p1")
    assert [(x.kind, x.golden_person_id) for x in theirs] == [("note", "p2")]


class _SlowOnce(ActionHandler):
    kind = "slow_once"

    def __init__(self) -> None:
        self.performed: list[str] = []

    def target(self, action: ActionRow, context: ActionContext) -> RecordRef:
        return RecordRef("Leads", action.golden_person_id)

    def perform(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome:
        self.performed.append(action.golden_person_id)
        time.sleep(0.6)  # longer than the lease, whose renewals fail
        return Outcome.done(None)


def test_a_runner_whose_lease_may_have_run_out_performs_nothing_more(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its renewals failing (the store unreachable), a runner cannot know whether another took its actions over:
    it sends nothing more of the batch; the rest stays in flight and is taken over, looked up first, later."""
    engine = open_store(database_url)
    _queue(engine, NewAction("slow_once", "e1", "p1"), NewAction("slow_once", "e2", "p2"))
    handler = _SlowOnce()

    def unreachable(*args: object, **kwargs: object) -> int:
        raise sa.exc.OperationalError("update", {}, Exception("the store is unreachable"))

    monkeypatch.setattr(repo, "renew_lease", unreachable)
    runner = ActionRunner(
        engine,
        ActionRegistry([handler]),
        ActionContext(engine, zoho=None),  # type: ignore[arg-type]
        lease=timedelta(seconds=0.3),
        settle=timedelta(0),
        concurrency=1,
    )
    tally = runner.run_once()
    assert (tally.done, handler.performed) == (1, ["p1"])
    with engine.begin() as connection:
        [left] = repo.claim(connection, worker="next", limit=10, lease=LEASE)
    assert (left.golden_person_id, left.uncertain) == ("p2", True)
