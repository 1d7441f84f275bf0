"""The handlers of the Zoho actions the rules queue: Note, Task, Call, Event, opt-out and Lead conversion.

Each writes the marker ``[leadflow:<key>]`` into what it creates (a Note's content, an activity's
Description, a converted Deal's Description), and finds an earlier uncertain attempt by that marker in the
record's related lists, so a crash between Zoho's answer and the outbox commit never writes twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from leadflow.config.tracking import TrackingRules
from leadflow.errors import ApiError
from leadflow.store import scoring as events_repo
from leadflow.store.runs import utcnow
from leadflow.store.schema import engagement_events, golden_people, scores, sync_records
from leadflow.tracking.actions import ActionContext, ActionHandler, ActionRegistry, ActionRow, Outcome, marker
from leadflow.tracking.rules import CALL, CONVERT, MEETING, NOTE, OPT_OUT, TASK
from leadflow.zoho.activities import RecordRef
from leadflow.zoho.results import RecordResult

CONVERTED_EVENT = "lead_converted"


def _already_converted(exc: ApiError) -> bool:
    """Zoho's answer to converting a Lead converted already, or gone (the path's id is invalid)."""
    if exc.vendor_code == "ID_ALREADY_CONVERTED":
        return True
    return exc.vendor_code == "INVALID_DATA" and "resource_path_index" in exc.details


def conversion_event_id(golden_person_id: str) -> str:
    return f"leadflow:convert:{golden_person_id}"


def _written(result: RecordResult, what: str) -> str:
    """The id of what a single insert wrote; Zoho's refusal as an ApiError with its code."""
    if not result.ok or not result.id:
        raise ApiError(
            f"Zoho refused the {what}: {result.message or result.code}",
            vendor_code=result.code or None,
            details=result.details,
        )
    return result.id


def _find_marked(records: Iterable[Mapping[str, Any]], text: str, fields: tuple[str, ...]) -> str | None:
    for record in records:
        if any(text in str(record.get(name) or "") for name in fields):
            return str(record["id"])
    return None


def _described(action: ActionRow, *lines: object) -> str:
    body = "\n".join(str(line) for line in lines if line)
    return f"{body}\n{marker(action.key)}" if body else marker(action.key)


class ActivityHandler(ActionHandler):
    """An activity or note found again by the marker in one of its fields of one related list."""

    related_list = ""
    marked_fields: tuple[str, ...] = ("Description",)

    def find(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome | None:
        records = context.zoho.activities.related(target, self.related_list, fields=["id", *self.marked_fields])
        found = _find_marked(records, marker(action.key), self.marked_fields)
        return Outcome.done(found, module=self.related_list) if found else None


class AddNote(ActivityHandler):
    """A reply as a Note: subject, snippet, link to the GHL conversation."""

    kind = NOTE
    related_list = "Notes"
    marked_fields = ("Note_Content", "Note_Title")

    def perform(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome:
        p = action.payload
        title = f"Reply: {p.get('subject') or ''}".strip()[:120]
        content = _described(
            action,
            p.get("snippet"),
            f"Conversation: {p['link']}" if p.get("link") else None,
            f"Received {p['at']}" if p.get("at") else None,
        )
        result = context.zoho.activities.add_note(target, content, title=title)
        return Outcome.done(_written(result, "note"), module="Notes")


def _owner_of(target: RecordRef, context: ActionContext) -> str | None:
    record = context.zoho.module(target.module).get(target.id, fields=["Owner"])
    owner = (record or {}).get("Owner")
    return str(owner["id"]) if isinstance(owner, dict) and owner.get("id") else None


def _links(target: RecordRef) -> dict[str, Any]:
    """``on`` links Leads through What_Id and Contacts through Who_Id (see ActivitiesApi)."""
    return {"on": target}


class AddTask(ActivityHandler):
    """A follow-up Task for the record's owner."""

    kind = TASK
    related_list = "Tasks"

    def perform(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome:
        p = action.payload
        result = context.zoho.activities.add_task(
            str(p.get("subject") or "Follow up"),
            due=p.get("due"),
            priority=p.get("priority") or None,
            owner_id=_owner_of(target, context),
            description=_described(action, p.get("snippet")),
            **_links(target),
        )
        return Outcome.done(_written(result, "task"), module="Tasks")


class LogCall(ActivityHandler):
    """A call with its duration, result and direction."""

    kind = CALL
    related_list = "Calls"

    def perform(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome:
        p = action.payload
        result = context.zoho.activities.log_call(
            str(p.get("subject") or "Call"),
            start=datetime.fromisoformat(str(p["start"])),
            duration_seconds=int(p.get("duration_seconds") or 0),
            direction=str(p.get("direction") or "Inbound"),
            result=p.get("result"),
            description=_described(action),
            **_links(target),
        )
        return Outcome.done(_written(result, "call"), module="Calls")


class AddMeeting(ActivityHandler):
    """A booking as an Event with its times."""

    kind = MEETING
    related_list = "Events"

    def perform(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome:
        p = action.payload
        result = context.zoho.activities.add_event(
            str(p.get("title") or "Meeting"),
            start=datetime.fromisoformat(str(p["start"])),
            end=datetime.fromisoformat(str(p["end"])),
            venue=p.get("venue") or None,
            description=_described(
                action, f"GHL appointment {p['appointment_id']}" if p.get("appointment_id") else None
            ),
            **_links(target),
        )
        return Outcome.done(_written(result, "event"), module="Events")


class OptOut(ActionHandler):
    """``Email_Opt_Out = true`` on the person's record; repeating it changes nothing, so no look-up."""

    kind = OPT_OUT

    def perform(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome:
        [result] = context.zoho.module(target.module).update([{"id": target.id, "Email_Opt_Out": True}])
        return Outcome.done(_written(result, "opt-out"), cause=str(action.payload.get("reason") or ""))


@dataclass(frozen=True)
class _Person:
    email: str | None
    first_name: str | None
    last_name: str | None
    company: str | None
    grade: str | None


def _person(connection: Connection, golden_person_id: str) -> _Person:
    p = golden_people.c
    row = connection.execute(
        select(p.email, p.first_name, p.last_name, p.company_name, scores.c.grade)
        .select_from(golden_people.outerjoin(scores, scores.c.golden_person_id == p.id))
        .where(p.id == golden_person_id)
    ).first()
    if row is None:
        return _Person(None, None, None, None, None)
    return _Person(row.email, row.first_name, row.last_name, row.company_name, row.grade)


def converted_before(connection: Connection, golden_person_id: str) -> bool:
    found = connection.execute(
        select(engagement_events.c.id).where(
            engagement_events.c.vendor_event_id == conversion_event_id(golden_person_id)
        )
    ).first()
    return found is not None


class ConvertLead(ActionHandler):
    """A qualified Lead into Contact + Account + Deal, once per person.

    Qualified: the person's grade is in ``convert_grades`` when the action runs (the event that queued it is
    one of ``convert_on``). A Lead converted before (by leadflow, by hand) is recognised: Zoho's
    ``ID_ALREADY_CONVERTED`` (or the Lead gone) leads to the Contact holding the Lead's e-mail. Either way the
    person's Zoho link moves to the Contact and a ``lead_converted`` engagement event is recorded.
    """

    kind = CONVERT

    def __init__(self, rules: TrackingRules) -> None:
        self.rules = rules

    def perform(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome:
        golden = action.golden_person_id
        with context.engine.connect() as connection:
            if converted_before(connection, golden):
                return Outcome.skipped("converted before")
            person = _person(connection, golden)
        if target.module != "Leads":
            return Outcome.skipped(f"the person's Zoho record is in {target.module}, not a Lead")
        if person.grade not in self.rules.convert_grades:
            return Outcome.skipped(f"grade {person.grade or 'none'} does not qualify")
        deal: dict[str, Any] = {
            "Deal_Name": self._deal_name(person)[:120],
            "Stage": self.rules.deal_stage,
            "Description": marker(action.key),
        }
        if self.rules.deal_pipeline:
            deal["Pipeline"] = self.rules.deal_pipeline
        if self.rules.deal_amount is not None:
            deal["Amount"] = self.rules.deal_amount
        try:
            result = context.zoho.leads.convert(target.id, deal=deal)
        except ApiError as exc:
            if not _already_converted(exc):
                raise
            found = self._locate(action, target, person, context)
            if found is None:
                raise
            return found
        if not result.contact_id:
            raise ApiError("Zoho converted the lead but named no contact", vendor_code="NO_CONTACT")
        return self._converted(action, target, result.contact_id, result.account_id, result.deal_id, adopted=False)

    def find(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome | None:
        if target.module != "Leads":
            return None
        lead = context.zoho.leads.get(target.id, fields=["Email", "Converted__s"])
        if lead is not None and not lead.get("Converted__s"):
            return None  # the earlier attempt did not convert it
        with context.engine.connect() as connection:
            person = _person(connection, action.golden_person_id)
        return self._locate(action, target, person, context)

    def _deal_name(self, person: _Person) -> str:
        full = " ".join(part for part in (person.first_name, person.last_name) if part) or (person.email or "")
        values = {
            "company": person.company or "",
            "full_name": full,
            "first_name": person.first_name or "",
            "last_name": person.last_name or "",
            "email": person.email or "",
        }
        try:
            return self.rules.deal_name.format(**values).strip(" -") or full
        except (KeyError, IndexError, ValueError):
            return full

    def _locate(self, action: ActionRow, lead: RecordRef, person: _Person, context: ActionContext) -> Outcome | None:
        """The Contact (and Deal, Account) a conversion of this Lead made, found by the Lead's e-mail."""
        if not person.email:
            return None
        contacts = list(context.zoho.contacts.search(email=person.email, fields=["id", "Email", "Account_Name"]))
        if not contacts:
            return None
        wanted = marker(action.key)
        chosen, deal_id = contacts[0], None
        for contact in contacts:
            deals = context.zoho.activities.related(
                RecordRef("Contacts", str(contact["id"])), "Deals", fields=["id", "Description"]
            )
            found = _find_marked(deals, wanted, ("Description",))
            if found:
                chosen, deal_id = contact, found
                break
        account = chosen.get("Account_Name")
        account_id = str(account["id"]) if isinstance(account, dict) and account.get("id") else None
        return self._converted(action, lead, str(chosen["id"]), account_id, deal_id, adopted=True)

    def _converted(
        self,
        action: ActionRow,
        lead: RecordRef,
        contact_id: str,
        account_id: str | None,
        deal_id: str | None,
        *,
        adopted: bool,
    ) -> Outcome:
        golden = action.golden_person_id
        ids = {"lead_id": lead.id, "contact_id": contact_id, "account_id": account_id, "deal_id": deal_id}

        def store(connection: Connection) -> None:
            move_link_to_contact(connection, golden_person_id=golden, lead_id=lead.id, contact_id=contact_id)
            events_repo.insert_events(
                connection,
                events=[
                    {
                        "golden_person_id": golden,
                        "event_type": CONVERTED_EVENT,
                        "occurred_at": utcnow(),
                        "source": "leadflow",
                        "vendor_event_id": conversion_event_id(golden),
                        "payload": {**ids, "found_converted": adopted},
                    }
                ],
            )

        return Outcome.done(contact_id, store=store, **ids)


def move_link_to_contact(connection: Connection, *, golden_person_id: str, lead_id: str, contact_id: str) -> None:
    """The person's Zoho record is now the Contact: the sync's id map (its next run updates the Contact; the
    last-pushed payload is cleared, the Contact has its own fields) and the CRM match of the golden record."""
    connection.execute(
        update(sync_records)
        .where(sync_records.c.target == "zoho", sync_records.c.golden_id == golden_person_id)
        .values(module="Contacts", remote_id=contact_id, payload={}, payload_hash=None, synced_at=utcnow())
    )
    connection.execute(
        update(golden_people)
        .where(golden_people.c.id == golden_person_id, golden_people.c.crm_id == lead_id)
        .values(crm_module="Contacts", crm_id=contact_id)
    )


def zoho_handlers(rules: TrackingRules) -> list[ActionHandler]:
    """Every Zoho action handler (all registered even when a rule is off: queued actions still run)."""
    return [AddNote(), AddTask(), LogCall(), AddMeeting(), OptOut(), ConvertLead(rules)]


def default_registry(rules: TrackingRules) -> ActionRegistry:
    """A registry holding the Zoho handlers; register more kinds on it (e.g. Deal stage moves)."""
    return ActionRegistry(zoho_handlers(rules))
