"""The demo's week of engagement: who it can happen to, simulating it on the GoHighLevel emulator, waiting for the
tracking service to take in and process what came back, and reading what changed.

The week is planned by :func:`leadflow.sampledata.week.plan_week` over the people synced to GoHighLevel and
applied through the emulator's control plane (``/_emulator/engagement/batch``); GHL then sends its signed
webhooks to the service like the real one would. Its end is kept in the store (``demo.week_end``), so a later
run plans the same week with the same keys (the emulator applies each key once) and scores as of the same
moment (engagement fades with time: a score computed a minute later could differ and be written again).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import Engine, func, select

from leadflow.errors import LeadflowError
from leadflow.sampledata.week import WeekContact, plan_week
from leadflow.store import kv
from leadflow.store import tracking as deliveries_repo
from leadflow.store import tracking_actions as actions_repo
from leadflow.store.schema import deal_links, engagement_events, golden_people, scores, sync_records
from leadflow.tracking.events import ENGAGEMENT_KINDS, SUPPRESSING_KINDS

if TYPE_CHECKING:
    from leadflow.ghl.client import GhlClient
    from leadflow.zoho.client import ZohoClient

WEEK_END_KEY = "demo.week_end"
WEEK_SEED = 7
BATCH = 500


def week_end(engine: Engine, now: datetime) -> datetime:
    """The end of the demo's week: ``now`` (to the second) on the first run, the same moment on every later one."""
    with engine.begin() as connection:
        stored = kv.get_value(connection, key=WEEK_END_KEY)
        if isinstance(stored, str):
            return datetime.fromisoformat(stored)
        end = now.astimezone(UTC).replace(microsecond=0)
        kv.set_value(connection, key=WEEK_END_KEY, value=end.isoformat())
    return end


def week_contacts(engine: Engine) -> list[WeekContact]:
    """The people synced to GoHighLevel (by their GHL contact id). Those suppressed for what they are (a role
    address, Do Not Call...) are left out; those suppressed by what they did (a bounce, an unsubscribe) stay in,
    so that the week planned after it happened is the same week."""
    query = (
        select(
            sync_records.c.remote_id,
            golden_people.c.email,
            golden_people.c.phone_e164,
            scores.c.suppressed,
            scores.c.suppression_reasons,
        )
        .join(golden_people, golden_people.c.id == sync_records.c.golden_id)
        .outerjoin(scores, scores.c.golden_person_id == sync_records.c.golden_id)
        .where(sync_records.c.target == "ghl", sync_records.c.kind == "person", sync_records.c.remote_id.is_not(None))
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    contacts = []
    for remote, email, phone, suppressed, reasons in rows:
        left_out = bool(suppressed) and not set(reasons or ()) <= SUPPRESSING_KINDS
        contacts.append(
            WeekContact(str(remote), has_email=bool(email) and not left_out, has_phone=bool(phone) and not left_out)
        )
    return contacts


@dataclass(frozen=True)
class ScoreLine:
    """A person's score as the summary shows it."""

    name: str
    engagement: float | None
    grade: str | None
    suppressed: bool
    reasons: tuple[str, ...] = ()

    def text(self) -> str:
        engagement = "unscored" if self.engagement is None else f"{self.engagement:g}"
        return f"{self.grade or '--'} (engagement {engagement})" + (", suppressed" if self.suppressed else "")


def score_snapshot(engine: Engine) -> dict[str, ScoreLine]:
    """Every scored person's engagement, grade and suppression, by golden id."""
    query = select(
        scores.c.golden_person_id,
        golden_people.c.first_name,
        golden_people.c.last_name,
        golden_people.c.email,
        scores.c.engagement,
        scores.c.grade,
        scores.c.suppressed,
        scores.c.suppression_reasons,
    ).join(golden_people, golden_people.c.id == scores.c.golden_person_id)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    snapshot = {}
    for golden, first, last, email, engagement, grade, suppressed, reasons in rows:
        name = " ".join(part for part in (first, last) if part) or email or golden
        snapshot[str(golden)] = ScoreLine(
            str(name),
            None if engagement is None else float(engagement),
            grade,
            bool(suppressed),
            tuple(str(r) for r in reasons or ()),
        )
    return snapshot


@dataclass(frozen=True)
class ScoreChange:
    golden_id: str
    before: ScoreLine
    after: ScoreLine

    @property
    def moved(self) -> float:
        return abs((self.after.engagement or 0.0) - (self.before.engagement or 0.0))

    @property
    def changed(self) -> bool:
        """The grade, the suppression or the engagement points moved (an email sent, worth no points, makes an
        unscored engagement 0: not a change)."""
        before, after = self.before, self.after
        return self.moved > 0 or (before.grade, before.suppressed) != (after.grade, after.suppressed)


def score_changes(before: dict[str, ScoreLine], after: dict[str, ScoreLine]) -> list[ScoreChange]:
    """People whose engagement, grade or suppression changed, the biggest moves first."""
    changes = (ScoreChange(golden, before[golden], line) for golden, line in after.items() if golden in before)
    return sorted((c for c in changes if c.changed), key=lambda c: (-c.moved, c.after.name))


@dataclass
class SimulatedWeek:
    """What the emulator made of the week's steps."""

    steps: int = 0
    applied: Counter[str] = field(default_factory=Counter)  # by kind
    duplicates: int = 0
    refused: list[str] = field(default_factory=list)  # "kind contact: why", for the steps the emulator refused

    @property
    def new(self) -> int:
        return sum(self.applied.values())

    def add(self, other: SimulatedWeek) -> SimulatedWeek:
        self.steps += other.steps
        self.applied.update(other.applied)
        self.duplicates += other.duplicates
        self.refused.extend(other.refused)
        return self


def plan(engine: Engine, end: datetime) -> list[dict[str, Any]]:
    """The week's steps for the people synced to GoHighLevel."""
    return plan_week(week_contacts(engine), end=end, seed=WEEK_SEED)


def rounds(steps: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The week's steps in the rounds the demo applies them in, letting the service catch up after each: first
    everything but stage moves, then each opportunity's first move (by then the conversions have linked the
    opportunities to Deals), then the second moves (a day later in the week, so processed after the first, as
    they would be)."""
    moves = [step for step in steps if step["kind"] == "stage_change"]
    first = [step for step in moves if not step["key"].endswith(":1")]
    second = [step for step in moves if step["key"].endswith(":1")]
    return [batch for batch in ([s for s in steps if s["kind"] != "stage_change"], first, second) if batch]


def simulate(control: httpx.Client, steps: Sequence[dict[str, Any]], on_batch: Callable[[int], None]) -> SimulatedWeek:
    """Apply ``steps`` through the GHL emulator's control plane, in batches; ``on_batch`` hears how many are done."""
    week = SimulatedWeek(steps=len(steps))
    for start in range(0, len(steps), BATCH):
        chunk = steps[start : start + BATCH]
        reply = control.post("/_emulator/engagement/batch", json={"items": list(chunk)}, timeout=120)
        if reply.status_code != 200:
            raise LeadflowError(f"the GoHighLevel emulator refused the week: {reply.status_code} {reply.text[:300]}")
        for result in reply.json()["results"]:
            step = chunk[result["index"]]
            if "error" in result:
                week.refused.append(f"{step['kind']} {step['contactId']}: {result['error']}")
            elif result["outcome"].get("duplicate"):
                week.duplicates += 1
            else:
                week.applied[step["kind"]] += 1
        on_batch(start + len(chunk))
    return week


@dataclass(frozen=True)
class Backlog:
    """How far the service is: GHL's sends still due, the store's deliveries waiting and done."""

    sending: int
    lost: int
    waiting: int
    done: int
    actions: int  # writes to Zoho and GHL the events queued, not done yet

    @property
    def settled(self) -> bool:
        return self.sending == 0 and self.waiting == 0 and self.actions == 0


def parked(engine: Engine) -> int:
    """Deliveries about no person leadflow knows (yet): kept, retried when a sync links them."""
    with engine.connect() as connection:
        return deliveries_repo.counts(connection).get(deliveries_repo.PARKED, 0)


def backlog(engine: Engine, ghl_control: httpx.Client) -> Backlog:
    hooks = ghl_control.get("/_emulator/webhooks").json()
    with engine.connect() as connection:
        states = deliveries_repo.counts(connection)
        actions = actions_repo.counts(connection)
    waiting = states.get(deliveries_repo.RECEIVED, 0) + states.get(deliveries_repo.PROCESSING, 0)
    done = sum(n for state, n in states.items() if state not in (deliveries_repo.RECEIVED, deliveries_repo.PROCESSING))
    queued = actions.get(actions_repo.PENDING, 0) + actions.get(actions_repo.IN_FLIGHT, 0)
    return Backlog(int(hooks["pending"]), int(hooks["outcomes"].get("lost", 0)), waiting, done, queued)


def action_counts(engine: Engine) -> dict[tuple[str, str], int]:
    """The tracking outbox's actions by (kind, state)."""
    with engine.connect() as connection:
        return actions_repo.counts_by_kind(connection)


def action_delta(before: dict[tuple[str, str], int], after: dict[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    """What changed between two :func:`action_counts` (an action that moved from pending to done counts once, as
    done)."""
    keys = set(before) | set(after)
    delta = {key: after.get(key, 0) - before.get(key, 0) for key in keys}
    return {key: n for key, n in delta.items() if n > 0}


def wait_until_settled(
    engine: Engine,
    ghl_control: httpx.Client,
    zoho_control: httpx.Client,
    *,
    timeout: float,
    on_progress: Callable[[Backlog], None],
    poll: float = 0.2,
) -> Backlog:
    """Wait until GHL has sent every webhook, Zoho every notification, the worker has processed every stored
    delivery and performed every action they queued: twice in a row, since an action can make Zoho or GHL
    notify again. Raises :class:`LeadflowError` past ``timeout`` seconds, saying what is
    still waiting, or when GHL lost a webhook (the service refused it)."""
    deadline = time.monotonic() + timeout
    lost_before = backlog(engine, ghl_control).lost
    quiet = 0
    while True:
        zoho_control.post("/_emulator/notifications/flush", timeout=max(1.0, deadline - time.monotonic()))
        now = backlog(engine, ghl_control)
        on_progress(now)
        if now.lost > lost_before:
            raise LeadflowError(
                f"the tracking service refused {now.lost - lost_before:,} of GoHighLevel's webhooks (GHL does not send"
                " them again); see the service's log and `leadflow track status`"
            )
        quiet = quiet + 1 if now.settled else 0
        if quiet >= 2:
            return now
        if time.monotonic() > deadline:
            raise LeadflowError(
                f"the tracking service did not catch up within {timeout:.0f} s: {now.waiting:,} deliveries waiting,"
                f" {now.sending:,} webhooks GHL has still to send, {now.actions:,} writes to Zoho or GHL queued"
                " (run `leadflow track status` on the demo's store to see why)"
            )
        time.sleep(poll)


def events_by_type(engine: Engine, *, since: datetime | None = None) -> dict[str, int]:
    """Engagement events in the store by type (stored after ``since``, when given)."""
    query = select(engagement_events.c.event_type, func.count()).group_by(engagement_events.c.event_type)
    if since is not None:
        query = query.where(engagement_events.c.created_at >= since)
    with engine.connect() as connection:
        return {str(kind): int(n) for kind, n in connection.execute(query).all()}


def engagement_only(events: dict[str, int]) -> dict[str, int]:
    """What people did (opens, replies, calls, bookings, stage moves...), without the records' bookkeeping
    changes (``contact_changed``, ``zoho_update``...: mostly leadflow's own writes coming back)."""
    kept = ENGAGEMENT_KINDS | {"call_missed", "deal_created", "deal_stage_changed", "deal_status_changed"}
    return {kind: n for kind, n in events.items() if kind in kept}


def newly_suppressed(changes: Iterable[ScoreChange]) -> list[ScoreChange]:
    return [c for c in changes if c.after.suppressed and not c.before.suppressed]


ACTIVITY_MODULES = ("Notes", "Tasks", "Calls", "Events", "Deals", "Contacts", "Leads")


def zoho_counts(zoho: ZohoClient) -> dict[str, int]:
    """Records per module as Zoho counts them (one read per module; converted Leads are not counted)."""
    return {module: zoho.module(module).count() for module in ACTIVITY_MODULES}


def zoho_deal_stages(zoho: ZohoClient) -> dict[str, int]:
    """Zoho's Deals by Stage, read from Zoho."""
    return dict(Counter(str(deal.get("Stage") or "none") for deal in zoho.deals.iter(["Stage"])))


def zoho_opted_out(zoho: ZohoClient) -> int:
    """Leads and Contacts whose ``Email_Opt_Out`` is set, as Zoho's COQL finds them."""
    query = "select id from {} where Email_Opt_Out = true"
    return sum(sum(1 for _ in zoho.coql(query.format(module))) for module in ("Leads", "Contacts"))


def ghl_ids(engine: Engine, golden_ids: Iterable[str]) -> dict[str, str]:
    """GHL contact ids of these golden people (those synced to GoHighLevel)."""
    wanted = sorted(set(golden_ids))
    if not wanted:
        return {}
    query = select(sync_records.c.golden_id, sync_records.c.remote_id).where(
        sync_records.c.target == "ghl", sync_records.c.kind == "person", sync_records.c.golden_id.in_(wanted)
    )
    with engine.connect() as connection:
        return {str(g): str(r) for g, r in connection.execute(query).all() if r}


def ghl_email_dnd(ghl: GhlClient, contact_ids: Iterable[str]) -> int:
    """How many of these GHL contacts GoHighLevel will not email (DND on, or on for Email), read from GHL."""
    blocked = 0
    for contact_id in contact_ids:
        contact = ghl.contacts.get(contact_id)
        email = (contact.get("dndSettings") or {}).get("Email") or {}
        blocked += bool(contact.get("dnd")) or email.get("status") in ("active", "permanent")
    return blocked


REP_MOVE_KEY = "demo.rep_moved_deal"


def rep_moves_a_deal(engine: Engine, zoho: ZohoClient, stage: str) -> str | None:
    """Move one Deal in Zoho as a sales rep would (not through leadflow's outbox, so the service sees a change
    made in Zoho and moves the linked GHL opportunity): the first linked Deal, by id, still in ``Qualification``.
    Once per demo folder (the Deal's id is kept in the store first); returns the Deal's id when it moved one."""
    with engine.begin() as connection:
        if kv.get_value(connection, key=REP_MOVE_KEY) is not None:
            return None
        deal_id = connection.execute(
            select(deal_links.c.zoho_deal_id)
            .where(deal_links.c.zoho_stage == "Qualification")
            .order_by(deal_links.c.zoho_deal_id)
            .limit(1)
        ).scalar_one_or_none()
        if deal_id is None:
            return None
        kv.set_value(connection, key=REP_MOVE_KEY, value=str(deal_id))
    zoho.deals.move(str(deal_id), stage)
    return str(deal_id)
