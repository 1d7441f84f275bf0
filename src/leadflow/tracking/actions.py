"""The tracking actions outbox: what events call for in Zoho, performed exactly once.

An action is one effect (a Note, a Task, a Call, an Event, an opt-out, a conversion, a stage move...) queued
under a deterministic key (:func:`action_key`: its kind and a digest of the cause's event id) in the same
transaction that stores the event, so an event never loses its actions and a replayed event queues nothing new.
:class:`ActionRunner` claims due actions under a lease and performs each through the :class:`ActionHandler`
registered for its kind. Zoho has no idempotency key, so before re-performing an action whose earlier attempt
is uncertain (its runner died, the answer was lost, a 5xx or a timeout) the runner asks the handler to find
that attempt's effect in Zoho (``find``: e.g. the ``[leadflow:<key>]`` marker in a Note) and adopts it. A request
can still land after its sender died or gave up waiting, so that look-up (and the take-over of a dead runner's
action) waits ``settle`` after the attempt, and a runner unsure of its lease sends nothing more.

Adding a kind of action (e.g. a Deal stage move)::

    class MoveDeal(ActionHandler):
        kind = "deal_stage"

        def target(self, action, context):         # which record; default: the person's Zoho record
            return RecordRef("Deals", action.payload["deal_id"])

        def find(self, action, target, context):   # an earlier attempt's effect, or None
            ...

        def perform(self, action, target, context):
            result = context.zoho.deals.move(target.id, action.payload["stage"])
            return Outcome.done(result.id)

    registry.register(MoveDeal())

and queue it with a planner (``leadflow.tracking.rules``) or :func:`leadflow.store.tracking_actions.enqueue`.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from leadflow.errors import (
    ApiError,
    AuthError,
    CreditBudgetExceeded,
    InputError,
    LeadflowError,
    NotFound,
    RateLimited,
    ResponseLost,
    TransientError,
    Unreachable,
    ValidationFailed,
)
from leadflow.log import get_logger
from leadflow.store import tracking_actions as repo
from leadflow.store.runs import utcnow
from leadflow.store.sync_ledger import synced_for
from leadflow.tracking.events import TrackedEvent
from leadflow.zoho.activities import RecordRef
from leadflow.zoho.client import ZohoClient

ActionRow = repo.ActionRow
StoreEffect = Callable[[Connection], None]


@dataclass(frozen=True)
class PlannedEvent:
    """A stored engagement event of a known person, as planners see it (``event_key``: its
    ``vendor_event_id`` in ``engagement_events``)."""

    event: TrackedEvent
    golden_person_id: str
    event_key: str


# Turns a stored event into the actions it calls for; run inside the transaction that stores the event.
ActionPlanner = Callable[[PlannedEvent], Iterable["NewAction"]]


def action_key(event_key: str, kind: str) -> str:
    """The deterministic key of the ``kind`` action an event calls for (short enough for a Zoho field).

    Example:
        >>> action_key("ghl:wh-1:email_replied", "note")
        'note:a4c5075477cf300da492cf9e'
    """
    digest = hashlib.sha256(event_key.encode()).hexdigest()[:24]
    return f"{kind}:{digest}"


def marker(key: str) -> str:
    """The text leadflow leaves in what an action writes, so a later look-up can recognise it.

    Example:
        >>> marker("note:a4c5075477cf300da492cf9e")
        '[leadflow:note:a4c5075477cf300da492cf9e]'
    """
    return f"[leadflow:{key}]"


@dataclass(frozen=True)
class NewAction:
    """An action to queue: what ``kind`` of effect, caused by which event (``event_key``, the engagement
    event's ``vendor_event_id``), for which golden person, with what ``payload``. ``key`` defaults to
    :func:`action_key`; give one to make an action once per something else (e.g. per person)."""

    kind: str
    event_key: str
    golden_person_id: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    key: str | None = None

    def row(self) -> dict[str, Any]:
        return {
            "key": self.key or action_key(self.event_key, self.kind),
            "kind": self.kind,
            "event_key": self.event_key,
            "golden_person_id": self.golden_person_id,
            "payload": dict(self.payload),
        }


@dataclass(frozen=True)
class Outcome:
    """What performing (or finding) an action came to. ``store`` runs in the transaction that records it
    (e.g. a conversion moves the person's Zoho link and logs a ``lead_converted`` event)."""

    state: str  # done | skipped
    remote_id: str | None = None
    result: Mapping[str, Any] = field(default_factory=dict)
    reason: str | None = None
    store: StoreEffect | None = None

    @classmethod
    def done(cls, remote_id: str | None, store: StoreEffect | None = None, **result: Any) -> Outcome:
        return cls(repo.DONE, remote_id, result, None, store)

    @classmethod
    def skipped(cls, reason: str) -> Outcome:
        return cls(repo.SKIPPED, reason=reason)


class NotYet(LeadflowError):
    """An action cannot be performed yet (e.g. its person has no Zoho record until a sync); try again later
    without spending an attempt."""


@dataclass
class ActionContext:
    """What handlers act with: the store, the Zoho client, and any other service a handler needs
    (``services``, e.g. a GHL client for a handler that writes there)."""

    engine: Engine
    zoho: ZohoClient
    services: Mapping[str, Any] = field(default_factory=dict)
    clock: Callable[[], datetime] = utcnow
    _known: dict[str, RecordRef | None] = field(default_factory=dict, repr=False)

    def zoho_record(self, golden_person_id: str) -> RecordRef | None:
        """The person's Zoho record as the sync's id map holds it now (None: not synced to Zoho yet)."""
        if golden_person_id not in self._known:
            self.remember([golden_person_id])
        return self._known.get(golden_person_id)

    def remember(self, golden_ids: Iterable[str]) -> None:
        """Read the Zoho records of many people at once (a runner does it for each batch it claims)."""
        ids = list(golden_ids)
        with self.engine.connect() as connection:
            found = synced_for(connection, target="zoho", golden_ids=ids)
        for golden in ids:
            record = found.get(golden)
            self._known[golden] = RecordRef(record.module, record.remote_id) if record and record.remote_id else None

    def forget(self, golden_id: str | None = None) -> None:
        """Drop what :meth:`remember` read (for one person whose link changed, or everyone)."""
        if golden_id is None:
            self._known.clear()
        else:
            self._known.pop(golden_id, None)


class ActionHandler:
    """How to perform one kind of action and how to find out whether an earlier attempt took effect."""

    kind: str = ""

    def target(self, action: ActionRow, context: ActionContext) -> RecordRef:
        """The Zoho record the action is about (default: the person's); :class:`NotYet` when there is none."""
        found = context.zoho_record(action.golden_person_id)
        if found is None:
            raise NotYet("the person has no Zoho record yet (sync them first)")
        return found

    def find(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome | None:
        """The effect of an earlier, uncertain attempt if it took effect (it is adopted), else None.

        The default suits an action that is safe to repeat (an update to the same values)."""
        return None

    def perform(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome:
        raise NotImplementedError


class ActionRegistry:
    """Handlers by kind.

    Example:
        >>> registry = ActionRegistry()
        >>> class Nothing(ActionHandler):
        ...     kind = "nothing"
        >>> registry.register(Nothing()).kinds()
        ['nothing']
    """

    def __init__(self, handlers: Iterable[ActionHandler] = ()) -> None:
        self._handlers: dict[str, ActionHandler] = {}
        for handler in handlers:
            self.register(handler)

    def register(self, handler: ActionHandler) -> ActionRegistry:
        if not handler.kind:
            raise InputError(f"{type(handler).__name__} has no kind")
        if handler.kind in self._handlers:
            raise InputError(f"a handler for {handler.kind!r} actions is registered already")
        self._handlers[handler.kind] = handler
        return self

    def get(self, kind: str) -> ActionHandler | None:
        return self._handlers.get(kind)

    def kinds(self) -> list[str]:
        return sorted(self._handlers)


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts per action and the wait before each retry (doubling from ``base_seconds``, capped)."""

    max_attempts: int = 6
    base_seconds: float = 5.0
    cap_seconds: float = 600.0
    not_yet_seconds: float = 60.0

    def delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempts - 1)))


@dataclass
class ActionTally:
    """What a runner did."""

    claimed: int = 0
    done: int = 0
    adopted: int = 0  # found in Zoho from an earlier attempt, not written again
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    waiting: int = 0  # not possible yet (no Zoho record)
    held_back: int = 0  # given back untried: an earlier action of the person is to be retried first
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, other: ActionTally) -> None:
        for name in ("claimed", "done", "adopted", "skipped", "retried", "failed", "waiting", "held_back"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for kind, n in other.by_kind.items():
            self.by_kind[kind] = self.by_kind.get(kind, 0) + n


# Errors that prove the call changed nothing in Zoho: retry without looking first.
_SURELY_NOT_SENT = (RateLimited, Unreachable, AuthError, CreditBudgetExceeded)
# Errors no retry will cure.
_PERMANENT = (ValidationFailed, InputError)


class _LeaseLost(Exception):
    """The runner can no longer be sure it holds its batch's lease: it performs nothing more of it."""


class ActionRunner:
    """Claims due actions and performs each once.

    Example:
        >>> runner = ActionRunner(engine, registry, context)  # doctest: +SKIP
        >>> runner.drain().done  # doctest: +SKIP
        42
    """

    def __init__(
        self,
        engine: Engine,
        registry: ActionRegistry,
        context: ActionContext,
        *,
        worker_id: str | None = None,
        lease: timedelta = timedelta(minutes=2),
        settle: timedelta = timedelta(seconds=60),
        policy: RetryPolicy | None = None,
        before_batch: Callable[[Sequence[ActionRow]], None] | None = None,
        concurrency: int = 1,
    ) -> None:
        self.engine = engine
        self.registry = registry
        self.context = context
        self.worker_id = worker_id or f"actions-{uuid.uuid4().hex[:12]}"
        self.lease = lease
        self.settle = settle
        self.policy = policy or RetryPolicy()
        self.before_batch = before_batch
        self.concurrency = max(1, concurrency)
        self._lease_ends = 0.0  # time.monotonic() until which this runner's batch surely holds its lease
        self.log = get_logger(__name__)

    def run_once(self, limit: int = 100) -> ActionTally:
        """Claim up to ``limit`` due actions and perform them."""
        claimed_at = time.monotonic()  # before the claim: the lease surely runs at least this long
        with self.engine.begin() as connection:
            claimed = repo.claim(connection, worker=self.worker_id, limit=limit, lease=self.lease, settle=self.settle)
        tally = ActionTally(claimed=len(claimed))
        if not claimed:
            return tally
        self._lease_ends = claimed_at + self.lease.total_seconds()
        with self._lease_kept([action.id for action in claimed]):
            for result in self._perform(claimed):
                result.claimed = 0
                tally.add(result)
        self.context.forget()
        self.log.info(
            "tracking.actions",
            claimed=tally.claimed,
            done=tally.done,
            adopted=tally.adopted,
            retried=tally.retried,
            failed=tally.failed,
        )
        return tally

    def _perform(self, claimed: Sequence[ActionRow]) -> list[ActionTally]:
        if self.before_batch is not None:
            self.before_batch(claimed)
        self.context.remember({action.golden_person_id for action in claimed})
        targets = self._record_targets(claimed)
        # One person's actions run in order, one after the other; different people's run side by side.
        by_person: dict[str, list[ActionRow]] = defaultdict(list)
        for action in claimed:
            by_person[action.golden_person_id].append(action)
        groups = list(by_person.values())

        def run_group(group: list[ActionRow]) -> ActionTally:
            done = ActionTally()
            for position, action in enumerate(group):
                try:
                    performed = self._run(action, done, targets.get(action.id, (action.module, action.record_id)))
                except _LeaseLost as exc:  # the rest of the group stays in flight: taken over once the lease settles
                    self.log.warning("tracking.lease_lost", error=str(exc))
                    break
                if not performed:
                    rest = [later.id for later in group[position + 1 :]]
                    with self.engine.begin() as connection:  # they wait for this one's retry, in order
                        repo.unclaim(connection, ids=rest)
                    done.held_back += len(rest)
                    break
            return done

        if self.concurrency == 1 or len(groups) <= 1:
            return [run_group(group) for group in groups]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(groups))) as pool:
            return list(pool.map(run_group, groups))

    def drain(self, limit: int = 100) -> ActionTally:
        """Perform until nothing is due."""
        total = ActionTally()
        while True:
            tally = self.run_once(limit)
            total.add(tally)
            if tally.claimed == 0:
                return total

    @contextmanager
    def _lease_kept(self, ids: Sequence[int]) -> Iterator[None]:
        """Renew the lease on the batch's actions while it runs (a slow Zoho, a long Retry-After), so no other
        runner takes them over as abandoned while they are still being performed."""
        stop = threading.Event()
        every = max(0.05, self.lease.total_seconds() / 3)

        def renew() -> None:
            while not stop.wait(every):
                try:
                    started = time.monotonic()
                    with self.engine.begin() as connection:
                        repo.renew_lease(connection, worker=self.worker_id, lease=self.lease, ids=ids)
                    self._lease_ends = started + self.lease.total_seconds()
                except Exception as exc:  # the next renewal tries again; the lease is three renewals long
                    self.log.warning("tracking.lease_renewal_failed", error=str(exc))

        keeper = threading.Thread(target=renew, name=f"{self.worker_id}-lease", daemon=True)
        keeper.start()
        try:
            yield
        finally:
            stop.set()
            keeper.join()

    def _record_targets(self, claimed: Sequence[ActionRow]) -> dict[int, tuple[str | None, str | None]]:
        """Write, in one transaction, the record each claimed action with the default target is about to act on
        (before any call, so a later look-up knows where to look); what each action's row now says."""
        targets: dict[int, tuple[str | None, str | None]] = {}
        changed: list[tuple[int, RecordRef]] = []
        for action in claimed:
            handler = self.registry.get(action.kind)
            if handler is None or type(handler).target is not ActionHandler.target or action.uncertain:
                continue  # an uncertain action keeps the record of its earlier attempt until that is looked up
            found = self.context.zoho_record(action.golden_person_id)
            if found is not None and (found.module, found.id) != (action.module, action.record_id):
                changed.append((action.id, found))
                targets[action.id] = (found.module, found.id)
        if changed:
            with self.engine.begin() as connection:
                for action_id, record in changed:
                    repo.set_target(connection, action_id=action_id, module=record.module, record_id=record.id)
        return targets

    def _find_earlier(
        self, handler: ActionHandler, action: ActionRow, target: RecordRef
    ) -> tuple[Outcome | None, tuple[str, str] | None]:
        """An uncertain attempt's effect: on the record it was made on, else (that record converted or merged
        since: Zoho moves notes and activities along) on the record the action is about now."""
        earlier = RecordRef(action.module, action.record_id) if action.module and action.record_id else target
        if earlier == target:
            return handler.find(action, target, self.context), None
        try:
            found = handler.find(action, earlier, self.context)
        except (NotFound, ValidationFailed) as exc:  # the earlier record is gone
            self.log.info("tracking.earlier_record_gone", key=action.key, error=str(exc))
            found = None
        except ApiError as exc:
            if exc.vendor_code != "INVALID_DATA":
                raise
            found = None
        if found is not None:
            return found, (earlier.module, earlier.id)
        return handler.find(action, target, self.context), (target.module, target.id)

    def _run(self, action: ActionRow, tally: ActionTally, recorded: tuple[str | None, str | None]) -> bool:
        """Perform one action; False when it is to be retried (its person's later actions wait for it)."""
        handler = self.registry.get(action.kind)
        if handler is None:
            return self._fail(
                action, tally, None, f"no handler for {action.kind!r} actions", uncertain=False, final=True
            )
        try:
            target = handler.target(action, self.context)
            outcome: Outcome | None = None
            where: tuple[str, str] | None = None
            if action.uncertain:  # where the earlier attempt was made stays recorded until it is looked up
                outcome, where = self._find_earlier(handler, action, target)
                if outcome is not None:
                    tally.adopted += 1
                    outcome = Outcome(
                        outcome.state,
                        outcome.remote_id,
                        {**outcome.result, "adopted": True},
                        outcome.reason,
                        outcome.store,
                    )
            if outcome is None:
                if time.monotonic() >= self._lease_ends:
                    # another runner may take the action over (and look it up) once the lease has run out and
                    # settled: a call sent now could land after that look-up
                    raise _LeaseLost(f"the lease ran out (renewals failed) before {action.key} was performed")
                if (target.module, target.id) != recorded:
                    with self.engine.begin() as connection:  # before the call: a later look-up knows where to look
                        repo.set_target(connection, action_id=action.id, module=target.module, record_id=target.id)
                outcome = handler.perform(action, target, self.context)
        except _LeaseLost:
            raise
        except NotYet as exc:
            with self.engine.begin() as connection:
                if action.attempts >= self.policy.max_attempts:
                    repo.attempt_failed(
                        connection, action_id=action.id, code="NOT_YET", error=str(exc), uncertain=False, retry_at=None
                    )
                    tally.failed += 1
                    return True
                retry_at = self.context.clock() + timedelta(seconds=self.policy.not_yet_seconds)
                repo.attempt_failed(
                    connection, action_id=action.id, code="NOT_YET", error=str(exc), uncertain=False, retry_at=retry_at
                )
                tally.waiting += 1
            return False
        except (ApiError, LeadflowError) as exc:
            code = exc.vendor_code if isinstance(exc, ApiError) else None
            uncertain = isinstance(exc, ResponseLost | TransientError) and not isinstance(exc, _SURELY_NOT_SENT)
            return self._fail(action, tally, code, str(exc), uncertain=uncertain, final=isinstance(exc, _PERMANENT))
        except Exception as exc:  # a bug or an unmapped error: recorded and retried, never an action stuck in flight
            self.log.exception("tracking.action_error", kind=action.kind, key=action.key)
            error = f"{type(exc).__name__}: {exc}"
            return self._fail(action, tally, type(exc).__name__, error, uncertain=True, final=False)
        with self.engine.begin() as connection:
            if outcome.store is not None:
                outcome.store(connection)
                self.context.forget(action.golden_person_id)  # e.g. a conversion moved the person's link
            repo.complete(
                connection,
                action_id=action.id,
                state=outcome.state,
                remote_id=outcome.remote_id,
                result=outcome.result,
                error=outcome.reason,
                where=where,
            )
        if outcome.state == repo.DONE:
            tally.done += 1
            tally.by_kind[action.kind] = tally.by_kind.get(action.kind, 0) + 1
        else:
            tally.skipped += 1
        return True

    def _fail(
        self, action: ActionRow, tally: ActionTally, code: str | None, error: str, *, uncertain: bool, final: bool
    ) -> bool:
        give_up = final or action.attempts >= self.policy.max_attempts
        retry_at = None if give_up else self.context.clock() + self.policy.delay(action.attempts)
        if retry_at is not None and uncertain:
            # the request may still be on its way through Zoho: a look-up before it lands would miss it
            retry_at = max(retry_at, self.context.clock() + self.settle)
        with self.engine.begin() as connection:
            repo.attempt_failed(
                connection, action_id=action.id, code=code, error=error, uncertain=uncertain, retry_at=retry_at
            )
        if give_up:
            tally.failed += 1
            self.log.warning("tracking.action_failed", kind=action.kind, key=action.key, code=code, error=error)
        else:
            tally.retried += 1
        return give_up
