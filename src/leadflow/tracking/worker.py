"""The tracking worker: stored deliveries -> events tied to golden people -> the engagement log, re-scored.

A worker claims the oldest deliveries (a lease, so one that dies hands them on), turns each into tracked events,
finds the golden person (GHL contact id or Zoho record id through the sync id map, else the e-mail), writes the
events to ``engagement_events``, queues the actions they call for in Zoho (``tracking_actions``, through the
planners) and marks the delivery processed in the same transaction: a delivery is applied once and never loses
its actions, whatever crashes. A delivery about nobody leadflow knows is parked until a sync links its contact; one
whose type leadflow does not use is marked ignored. Affected people are re-scored once per batch.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from leadflow.log import get_logger
from leadflow.store import deal_links
from leadflow.store import scoring as events_repo
from leadflow.store import tracking as repo
from leadflow.store import tracking_actions as actions_repo
from leadflow.store.people_lookup import PeopleIndex, find_people
from leadflow.store.runs import utcnow
from leadflow.tracking.actions import ActionPlanner, PlannedEvent
from leadflow.tracking.events import TrackedEvent
from leadflow.tracking.ghl_events import to_events
from leadflow.tracking.zoho_events import notification_events, workflow_events

Rescore = Callable[[set[str]], None]


@dataclass
class WorkerTally:
    """What a worker did (one batch, or summed over its life)."""

    claimed: int = 0
    processed: int = 0
    ignored: int = 0
    parked: int = 0
    failed: int = 0
    events_stored: int = 0
    actions_queued: int = 0
    people: set[str] = field(default_factory=set)

    def add(self, other: WorkerTally) -> None:
        for name in ("claimed", "processed", "ignored", "parked", "failed", "events_stored", "actions_queued"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.people |= other.people


def events_of(delivery: repo.Delivery) -> list[TrackedEvent]:
    """The tracked events a stored delivery stands for."""
    body: Any = json.loads(delivery.body)
    if delivery.source == "ghl":
        return to_events(body, delivery.body)
    if delivery.source == "zoho":
        return notification_events(body)
    return workflow_events(body, delivery.body)


class TrackingWorker:
    """Processes stored deliveries.

    Example:
        >>> worker = TrackingWorker(engine, rescore=lambda people: None)  # doctest: +SKIP
        >>> worker.run_once().processed  # doctest: +SKIP
        12
    """

    def __init__(
        self,
        engine: Engine,
        *,
        rescore: Rescore | None = None,
        planners: Sequence[ActionPlanner] = (),
        worker_id: str | None = None,
        lease: timedelta = timedelta(minutes=2),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.rescore = rescore
        self.planners = tuple(planners)
        self.worker_id = worker_id or f"worker-{uuid.uuid4().hex[:12]}"
        self.lease = lease
        self.clock = clock
        self.log = get_logger(__name__)

    def run_once(self, limit: int = 500) -> WorkerTally:
        """Claim up to ``limit`` deliveries, apply them, re-score the people they touched."""
        with self.engine.begin() as connection:
            deliveries = repo.claim(connection, worker=self.worker_id, limit=limit, lease=self.lease)
        tally = WorkerTally(claimed=len(deliveries))
        if not deliveries:
            return tally
        parsed: list[tuple[repo.Delivery, list[TrackedEvent] | None, str | None]] = []
        for delivery in deliveries:
            try:
                parsed.append((delivery, events_of(delivery), None))
            except (ValueError, TypeError, KeyError) as exc:
                parsed.append((delivery, None, f"unreadable body: {exc}"))
        with self.engine.connect() as connection:
            index = find_people(
                connection,
                remote_ids=_remote_ids(events for _, events, _ in parsed if events),
                emails=[e.email for _, events, _ in parsed if events for e in events if e.email],
            )
            deals = [e.zoho_id or "" for _, events, _ in parsed if events for e in events if _about_deal(e)]
            for deal_id, person in deal_links.people_of_deals(connection, deals).items():
                index.by_remote[("zoho", deal_id)] = person  # a Deal's events belong to its linked person
        rows: list[dict[str, Any]] = []
        planned: list[PlannedEvent] = []
        outcome: dict[str, list[int]] = {repo.PROCESSED: [], repo.IGNORED: [], repo.PARKED: []}
        failed: list[tuple[int, str]] = []
        for delivery, events, error in parsed:
            if events is None:
                failed.append((delivery.id, error or "unreadable"))
                continue
            # a Deal leadflow does not link (made by hand in Zoho, not converted by leadflow) is not its business
            useful = [
                e
                for e in events
                if e.kind != "unknown" and not (_about_deal(e) and ("zoho", e.zoho_id) not in index.by_remote)
            ]
            if not useful:
                outcome[repo.IGNORED].append(delivery.id)
                continue
            resolved = [(event, _person(event, index)) for event in useful]
            if all(golden is None and not event.email for event, golden in resolved):
                outcome[repo.PARKED].append(delivery.id)
                continue
            for event, golden in resolved:
                if golden is None and not event.email:
                    continue
                row = _event_row(event, golden, delivery.received_at)
                rows.append(row)
                if golden is not None:
                    tally.people.add(golden)
                    planned.append(PlannedEvent(event, golden, row["vendor_event_id"]))
            outcome[repo.PROCESSED].append(delivery.id)
        with self.engine.begin() as connection:
            tally.events_stored = events_repo.insert_events(connection, events=rows)
            queued = [action.row() for item in planned for planner in self.planners for action in planner(item)]
            tally.actions_queued = actions_repo.enqueue(connection, actions=queued)
            repo.finish(connection, ids=outcome[repo.PROCESSED], state=repo.PROCESSED)
            repo.finish(connection, ids=outcome[repo.IGNORED], state=repo.IGNORED)
            repo.release(connection, ids=outcome[repo.PARKED], state=repo.PARKED, error="no golden person yet")
            for delivery_id, reason in failed:
                repo.finish(connection, ids=[delivery_id], state=repo.FAILED, error=reason)
        tally.processed = len(outcome[repo.PROCESSED])
        tally.ignored = len(outcome[repo.IGNORED])
        tally.parked = len(outcome[repo.PARKED])
        tally.failed = len(failed)
        if tally.events_stored and self.rescore is not None:
            self.rescore(set(tally.people))
        self.log.info(
            "tracking.batch",
            claimed=tally.claimed,
            processed=tally.processed,
            parked=tally.parked,
            failed=tally.failed,
            events=tally.events_stored,
            actions=tally.actions_queued,
        )
        return tally

    def drain(self, limit: int = 500) -> WorkerTally:
        """Process until nothing is waiting."""
        total = WorkerTally()
        while True:
            tally = self.run_once(limit)
            total.add(tally)
            if tally.claimed == 0:
                return total


def _about_deal(event: TrackedEvent) -> bool:
    return event.source == "zoho" and event.zoho_module == "Deals" and bool(event.zoho_id)


def _remote_ids(batches: Iterable[Sequence[TrackedEvent]]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for events in batches:
        for event in events:
            if event.ghl_contact_id:
                found.append(("ghl", event.ghl_contact_id))
            if event.zoho_id:
                found.append(("zoho", event.zoho_id))
    return found


def _person(event: TrackedEvent, index: PeopleIndex) -> str | None:
    if event.ghl_contact_id and ("ghl", event.ghl_contact_id) in index.by_remote:
        return index.by_remote[("ghl", event.ghl_contact_id)]
    if event.zoho_id and ("zoho", event.zoho_id) in index.by_remote:
        return index.by_remote[("zoho", event.zoho_id)]
    if event.email:
        return index.by_email.get(event.email.strip().lower())
    return None


def _event_row(event: TrackedEvent, golden: str | None, received_at: datetime) -> dict[str, Any]:
    details = {k: v for k, v in event.details.items() if v is not None}
    if event.ghl_contact_id:
        details["ghl_contact_id"] = event.ghl_contact_id
    if event.zoho_id:
        details.update({"zoho_module": event.zoho_module, "zoho_id": event.zoho_id})
    return {
        "golden_person_id": golden,
        "email": event.email,
        "event_type": event.kind,
        "occurred_at": event.occurred_at or received_at,
        "source": event.source,
        "vendor_event_id": f"{event.source}:{event.vendor_event_id}:{event.kind}",
        "payload": details,
    }
