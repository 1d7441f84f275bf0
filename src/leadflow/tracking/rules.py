"""``[tracking.rules]`` as a planner: which Zoho actions a stored event calls for (pure).

A reply -> a Note and a follow-up Task; a call -> a Call; a booking -> an Event; a hard bounce, unsubscribe or
complaint -> ``Email_Opt_Out``; a qualifying event (``convert_on``) -> a conversion, checked against the grade
when it is performed (the event re-scores the person first). Each rule can be turned off.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from leadflow.config.tracking import TrackingRules
from leadflow.tracking.actions import ActionPlanner, NewAction, PlannedEvent
from leadflow.tracking.events import SUPPRESSING_KINDS
from leadflow.tracking.ghl_events import parse_time

NOTE, TASK, CALL, MEETING, OPT_OUT, CONVERT = "note", "task", "call", "meeting", "opt_out", "convert"
CALL_KINDS = ("call_connected", "call_missed")
MEETING_MINUTES = 30  # a booking without an end time


def rules_planner(rules: TrackingRules) -> ActionPlanner:
    """The planner for ``rules``.

    Example:
        >>> from leadflow.tracking.events import TrackedEvent
        >>> plan = rules_planner(TrackingRules(reply_task=False, convert=False))
        >>> event = TrackedEvent("ghl", "w1", "email_replied", None, details={"subject": "Re: hi"})
        >>> [a.kind for a in plan(PlannedEvent(event, "p1", "ghl:w1:email_replied"))]
        ['note']
    """

    def plan(item: PlannedEvent) -> list[NewAction]:
        event, kind = item.event, item.event.kind
        details: Mapping[str, Any] = event.details
        when = event.occurred_at
        actions: list[NewAction] = []

        def add(action_kind: str, payload: dict[str, Any]) -> None:
            actions.append(NewAction(action_kind, item.event_key, item.golden_person_id, payload))

        if kind == "email_replied":
            if rules.reply_note:
                add(NOTE, _note_payload(rules, details, when))
            if rules.reply_task:
                due = (when or datetime.now().astimezone()) + timedelta(days=rules.follow_up_days)
                subject = f"Follow up: {details.get('subject') or 'reply'}"[:300]
                add(
                    TASK,
                    {
                        "subject": subject,
                        "due": due.date().isoformat(),
                        "priority": rules.follow_up_priority,
                        "snippet": details.get("snippet"),
                    },
                )
        elif kind in CALL_KINDS and rules.call:
            add(CALL, _call_payload(kind, details, when))
        elif kind == "meeting_booked" and rules.booking:
            payload = _meeting_payload(details, when)
            if payload is not None:
                add(MEETING, payload)
        elif kind in SUPPRESSING_KINDS and rules.opt_out:
            add(OPT_OUT, {"reason": kind})
        if rules.convert and kind in rules.convert_on:
            add(CONVERT, {"cause": kind})
        return actions

    return plan


def _note_payload(rules: TrackingRules, details: Mapping[str, Any], when: datetime | None) -> dict[str, Any]:
    conversation = details.get("conversationId")
    link = None
    if conversation:
        link = rules.conversation_url.format(location_id=details.get("locationId") or "", conversation_id=conversation)
    return {
        "subject": details.get("subject") or "Reply",
        "snippet": details.get("snippet") or "",
        "link": link,
        "at": when.isoformat() if when else None,
    }


def _call_payload(kind: str, details: Mapping[str, Any], when: datetime | None) -> dict[str, Any]:
    try:
        duration = max(0, int(float(details.get("callDuration") or 0)))
    except (TypeError, ValueError):
        duration = 0
    direction = (
        "Missed"
        if kind == "call_missed"
        else ("Inbound" if str(details.get("direction") or "").lower() == "inbound" else "Outbound")
    )
    return {
        "subject": f"{direction} call",
        "start": (when or datetime.now().astimezone()).isoformat(),
        "duration_seconds": duration,
        "direction": direction,
        "result": str(details.get("callStatus") or details.get("status") or "") or None,
    }


def _meeting_payload(details: Mapping[str, Any], when: datetime | None) -> dict[str, Any] | None:
    start = parse_time(details.get("startTime")) or when
    if start is None:
        return None
    end = parse_time(details.get("endTime"))
    if end is None or end <= start:
        end = start + timedelta(minutes=MEETING_MINUTES)
    return {
        "title": str(details.get("title") or "Meeting")[:200],
        "start": start.isoformat(),
        "end": end.isoformat(),
        "appointment_id": details.get("id"),
        "venue": details.get("address"),
    }
