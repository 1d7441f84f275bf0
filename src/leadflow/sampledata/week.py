"""A realistic week of engagement after an outreach email, as a plan for GoHighLevel's engagement simulation (pure).

Each contact with an email address is sent the outreach email on the first morning; then, at rates close to
B2B cold email's, some open it (a few twice), some click, a few reply (a snippet a person would write), a few
bounce (hard or soft), one unsubscribes, some of those who reply book a meeting (GHL's booking workflow opens an
opportunity, which moves a stage or two later in the week), and some with a phone number call back. Every
step happens after the one it follows and before the week's ``end``; what each contact does depends only on
the seed and the contact's id, so the same contacts and seed give the same week, step for step, with the same
``key`` on every step (the emulator applies a key once: replaying the week adds nothing).

Example:
    >>> from datetime import UTC, datetime
    >>> people = [WeekContact(f"c{i}", has_email=True, has_phone=i % 2 == 0) for i in range(400)]
    >>> week = plan_week(people, end=datetime(2026, 12, 5, tzinfo=UTC), seed=7)
    >>> week == plan_week(people, end=datetime(2026, 12, 5, tzinfo=UTC), seed=7)
    True
    >>> sum(1 for step in week if step["kind"] == "unsubscribe")
    1
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

DAYS = 7

REPLIES = (
    "Thanks for reaching out. We are looking at this for Q1, can you send pricing for a team of 40?",
    "Interesting timing: we are replacing our current tool. Do you have 30 minutes next Tuesday?",
    "Not the right person, but I have forwarded this to our head of operations.",
    "Please send a case study from a company of our size and we will take it from there.",
    "We already use a competitor, but I would be open to comparing. What does migration look like?",
    "Happy to talk. Thursday afternoon works for me.",
    "Can you tell me more about the integration with Zoho? That is where our sales team lives.",
    "Not now, please follow up in the new year.",
)
SUBJECT = "Cutting the time your team spends on CRM data entry"
OPPORTUNITY_VALUES = (12_000, 18_500, 24_000, 36_000, 48_000, 60_000)


@dataclass(frozen=True)
class WeekRates:
    """Shares of the contacts emailed (``call``: of those with a phone); ``*_of_*``: shares of an earlier step."""

    bounce: float = 0.02
    hard_of_bounces: float = 0.6
    open: float = 0.40
    open_twice_of_opens: float = 0.3
    click: float = 0.08
    reply: float = 0.03
    booking_of_replies: float = 0.5
    stage_move_of_opportunities: float = 0.6
    second_move_of_moves: float = 0.3
    call: float = 0.015
    connected_of_calls: float = 0.7


@dataclass(frozen=True)
class WeekContact:
    """A GoHighLevel contact the week can happen to."""

    contact_id: str
    has_email: bool
    has_phone: bool


def plan_week(
    contacts: Sequence[WeekContact],
    *,
    end: datetime,
    seed: int = 7,
    rates: WeekRates | None = None,
) -> list[dict[str, Any]]:
    """The week's steps (the emulator's engagement objects: ``kind``, ``contactId``, ``at``, ``key``...), in the
    order they happened, every ``at`` within the 7 days before ``end``."""
    rates = rates or WeekRates()
    end = end.astimezone(UTC)
    start = (end - timedelta(days=DAYS)).replace(microsecond=0)
    steps: list[tuple[datetime, int, dict[str, Any]]] = []
    openers: list[tuple[str, datetime]] = []
    for contact in sorted(contacts, key=lambda c: c.contact_id):
        rng = random.Random(f"{seed}:{contact.contact_id}")
        plan = _ContactWeek(contact, rng, rates, start, end, seed)
        steps.extend(plan.steps())
        if plan.opened is not None and not plan.replied:
            openers.append((contact.contact_id, plan.opened))
    if openers:  # one unsubscribe in the week: an opener who did not reply, chosen by the seed
        contact_id, opened = random.Random(f"{seed}:unsubscribe").choice(openers)
        moment = opened + timedelta(minutes=3)
        if moment < end:
            steps.append((moment, 5, _step("unsubscribe", contact_id, moment, seed, 0)))
    steps.sort(key=lambda item: (item[0], item[1], item[2]["contactId"]))
    return [step for _, _, step in steps]


class _ContactWeek:
    def __init__(
        self, contact: WeekContact, rng: random.Random, rates: WeekRates, start: datetime, end: datetime, seed: int
    ) -> None:
        self.contact, self.rng, self.rates, self.start, self.end, self.seed = contact, rng, rates, start, end, seed
        self.found: list[tuple[datetime, int, dict[str, Any]]] = []
        self.opened: datetime | None = None
        self.replied = False

    def add(self, moment: datetime, order: int, kind: str, n: int = 0, **extra: Any) -> bool:
        """A step at ``moment`` (``order`` keeps cause before effect at the same second); False past the week."""
        if moment >= self.end:
            return False
        self.found.append((moment, order, _step(kind, self.contact.contact_id, moment, self.seed, n, **extra)))
        return True

    def later(self, after: datetime, mean_hours: float, least_minutes: float = 1.0) -> datetime:
        delay = timedelta(minutes=least_minutes) + timedelta(hours=self.rng.expovariate(1 / mean_hours))
        return (after + delay).replace(microsecond=0)

    def steps(self) -> list[tuple[datetime, int, dict[str, Any]]]:
        rng, rates = self.rng, self.rates
        if self.contact.has_email:
            self.email(rng, rates)
        if self.contact.has_phone and rng.random() < rates.call:
            moment = self.start + timedelta(seconds=rng.randrange(int((self.end - self.start).total_seconds())))
            connected = rng.random() < rates.connected_of_calls
            self.add(
                moment.replace(microsecond=0),
                4,
                "call",
                callDuration=rng.randrange(90, 900) if connected else 0,
                callStatus="completed" if connected else "no-answer",
            )
        return self.found

    def email(self, rng: random.Random, rates: WeekRates) -> None:
        sent = self.start + timedelta(seconds=rng.randrange(4 * 3600))
        if not self.add(sent, 0, "send", subject=SUBJECT, body=f"<p>{SUBJECT}: a two-minute read.</p>"):
            return
        fate = rng.random()
        if fate < rates.bounce:
            severity = "permanent" if rng.random() < rates.hard_of_bounces else "temporary"
            self.add(self.later(sent, 0.05), 1, "bounce", severity=severity)
            return
        if fate >= rates.bounce + rates.open:
            return
        opened = self.later(sent, 20.0)
        if not self.add(opened, 1, "open"):
            return
        self.opened = opened
        if rng.random() < rates.open_twice_of_opens:
            self.add(self.later(opened, 30.0), 2, "open", n=1)
        engaged = rng.random() * rates.open  # reply and click are subsets of the opens
        if engaged < rates.click:
            self.add(self.later(opened, 0.1), 2, "click", url="https://leadflow.example/pricing")
        if engaged < rates.reply:
            self.reply(opened, rng, rates)

    def reply(self, opened: datetime, rng: random.Random, rates: WeekRates) -> None:
        replied = self.later(opened, 6.0, least_minutes=10)
        if not self.add(replied, 3, "reply", body=rng.choice(REPLIES)):
            return
        self.replied = True
        if rng.random() >= rates.booking_of_replies:
            return
        booked = self.later(replied, 12.0, least_minutes=30)
        meeting = (booked + timedelta(days=rng.randrange(2, 6))).replace(minute=0, second=0)
        if not self.add(
            booked,
            4,
            "booking",
            title="Discovery call",
            startTime=_iso(meeting),
            endTime=_iso(meeting + timedelta(minutes=30)),
        ):
            return
        opportunity = booked + timedelta(minutes=1)  # GHL's booking workflow opens the opportunity
        if not self.add(opportunity, 5, "opportunity", monetaryValue=rng.choice(OPPORTUNITY_VALUES)):
            return
        if rng.random() < rates.stage_move_of_opportunities:
            moved = self.later(opportunity, 24.0, least_minutes=60)
            if self.add(moved, 6, "stage_change") and rng.random() < rates.second_move_of_moves:
                self.add(self.later(moved, 24.0, least_minutes=60), 7, "stage_change", n=1)


def _step(kind: str, contact_id: str, moment: datetime, seed: int, n: int, **extra: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "contactId": contact_id,
        "at": _iso(moment),
        "key": f"leadflow-demo-week:{seed}:{contact_id}:{kind}:{n}",
        **extra,
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
