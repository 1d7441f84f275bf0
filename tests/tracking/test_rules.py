"""``[tracking.rules]``: what each event queues (pure), and the settings refused with a clear message."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from leadflow.config.tracking import TrackingRules
from leadflow.tracking.actions import PlannedEvent, action_key
from leadflow.tracking.events import TrackedEvent
from leadflow.tracking.rules import rules_planner

WHEN = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _plan(kind: str, rules: TrackingRules | None = None, **details: Any) -> dict[str, dict[str, Any]]:
    event = TrackedEvent("ghl", "w1", kind, WHEN, ghl_contact_id="c1", details=details)
    actions = rules_planner(rules or TrackingRules())(PlannedEvent(event, "p1", f"ghl:w1:{kind}"))
    assert all(a.row()["key"] == action_key(f"ghl:w1:{kind}", a.kind) for a in actions)
    return {a.kind: dict(a.payload) for a in actions}


def test_each_event_queues_its_actions() -> None:
    reply = _plan("email_replied", subject="Re: Offer", snippet="Yes", conversationId="cv1", locationId="L1")
    assert set(reply) == {"note", "task", "convert"}
    assert reply["note"]["link"].endswith("/location/L1/conversations/conversations/cv1")
    assert reply["task"] == {
        "subject": "Follow up: Re: Offer",
        "due": "2026-12-03",
        "priority": "High",
        "snippet": "Yes",
    }
    assert _plan("call_connected", callDuration="185", direction="outbound", callStatus="completed")["call"] == {
        "subject": "Outbound call",
        "start": WHEN.isoformat(),
        "duration_seconds": 185,
        "direction": "Outbound",
        "result": "completed",
    }
    assert _plan("call_missed", callDuration=None)["call"]["direction"] == "Missed"
    booking = _plan("meeting_booked", title="Demo", startTime="2026-12-04T10:00:00Z", id="a1")
    assert booking["meeting"]["end"] == "2026-12-04T10:30:00+00:00"  # no end given: 30 minutes
    assert set(booking) == {"meeting", "convert"}
    for kind in ("email_bounced_hard", "unsubscribed", "spam_complaint"):
        assert _plan(kind) == {"opt_out": {"reason": kind}}
    for kind in ("email_opened", "email_clicked", "email_bounced_soft", "deal_stage_changed", "unknown"):
        assert _plan(kind) == {}


def test_rules_turn_off_one_by_one() -> None:
    off = TrackingRules(reply_note=False, reply_task=False, call=False, booking=False, opt_out=False, convert=False)
    for kind in ("email_replied", "call_connected", "meeting_booked", "unsubscribed"):
        assert _plan(kind, off) == {}
    assert set(_plan("email_replied", TrackingRules(reply_task=False))) == {"note", "convert"}
    assert set(_plan("call_connected", TrackingRules(convert_on=["call_connected"]))) == {"call", "convert"}
    assert _plan("meeting_booked", TrackingRules(follow_up_days=5), title="x")["meeting"]["title"] == "x"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"convert_grades": ["A1", "Z9"]}, "not grades (A1 ... D4): ['Z9']"),
        ({"convert_on": ["replied"]}, "unknown event kinds ['replied']"),
        ({"deal_name": "{company} {owner}"}, "deal_name '{company} {owner}' cannot be filled"),
        ({"follow_up_days": -1}, "greater than or equal to 0"),
        ({"reply_notes": True}, "Extra inputs are not permitted"),
    ],
)
def test_bad_rules_are_refused_with_the_reason(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        TrackingRules(**settings)
