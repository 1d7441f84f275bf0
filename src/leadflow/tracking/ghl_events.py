"""GoHighLevel webhook bodies -> :class:`~leadflow.tracking.events.TrackedEvent` (pure).

Shapes are GHL's documented webhook events: ``InboundMessage``/``OutboundMessage`` (emails, SMS, calls with
``callDuration``), ``LCEmailStats`` (Mailgun's event shape under ``webhookPayload``: delivered, opened,
clicked, failed with a severity, unsubscribed, complained), ``AppointmentCreate``, ``Opportunity*``,
``Contact*``, ``NoteCreate``, ``TaskCreate``. Anything else is kind ``unknown``: stored, never an error.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from leadflow.tracking.events import TrackedEvent

_EMAIL_STATS = {
    "accepted": "email_sent",
    "delivered": "email_delivered",
    "opened": "email_opened",
    "clicked": "email_clicked",
    "unsubscribed": "unsubscribed",
    "complained": "spam_complaint",
}
_CONTACT_KINDS = {
    "ContactCreate": "contact_created",
    "ContactUpdate": "contact_changed",
    "ContactDelete": "contact_deleted",
    "ContactTagUpdate": "tags_changed",
    "ContactDndUpdate": "dnd_changed",
}
_OPPORTUNITY_KINDS = {
    "OpportunityCreate": "deal_created",
    "OpportunityStageUpdate": "deal_stage_changed",
    "OpportunityStatusUpdate": "deal_status_changed",
    "OpportunityMonetaryValueUpdate": "deal_value_changed",
    "OpportunityDelete": "deal_deleted",
}


def event_id(body: Mapping[str, Any], raw: bytes) -> str:
    """GHL's ``webhookId``; a body without one (older deliveries) is keyed by the hash of its bytes.

    Example:
        >>> event_id({"webhookId": "w-1"}, b"{}")
        'w-1'
    """
    value = body.get("webhookId")
    return str(value) if value else "sha256:" + hashlib.sha256(raw).hexdigest()


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 text or epoch seconds/milliseconds as an aware UTC datetime; ``None`` when unreadable.

    Example:
        >>> parse_time("2021-04-21T11:31:45.750Z").isoformat()
        '2021-04-21T11:31:45.750000+00:00'
        >>> parse_time(1714032441).year
        2024
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 10**11 else value
        return datetime.fromtimestamp(seconds, tz=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def to_events(body: Mapping[str, Any], raw: bytes = b"") -> list[TrackedEvent]:
    """The events one GHL delivery stands for (usually one; ``unknown`` for a type leadflow does not use).

    Example:
        >>> [e.kind for e in to_events({"type": "InboundMessage", "webhookId": "w", "messageType": "Email",
        ...                             "contactId": "c1", "direction": "inbound"})]
        ['email_replied']
    """
    kind_of_delivery = str(body.get("type") or "")
    vendor_id = event_id(body, raw or json.dumps(body, sort_keys=True).encode())
    when = parse_time(body.get("timestamp")) or parse_time(body.get("dateAdded"))

    def event(kind: str, **extra: Any) -> TrackedEvent:
        fields: dict[str, Any] = {"ghl_contact_id": _text(body.get("contactId")), "details": {}}
        fields.update(extra)
        return TrackedEvent("ghl", vendor_id, kind, fields.pop("occurred_at", when), **fields)

    if kind_of_delivery in ("InboundMessage", "OutboundMessage"):
        return [
            event(
                _message_kind(body),
                details=_message_details(body),
                occurred_at=parse_time(body.get("dateAdded")) or when,
            )
        ]
    if kind_of_delivery == "LCEmailStats":
        return [_email_stats(body, vendor_id, when)]
    if kind_of_delivery == "AppointmentCreate":
        appointment = _mapping(body.get("appointment"))
        details = {
            k: appointment.get(k)
            for k in ("id", "calendarId", "title", "startTime", "endTime", "appointmentStatus", "address")
        }
        details["locationId"] = body.get("locationId") or appointment.get("locationId")
        return [event("meeting_booked", ghl_contact_id=_text(appointment.get("contactId")), details=details)]
    if kind_of_delivery in _OPPORTUNITY_KINDS:
        details = {
            "opportunity_id": _text(body.get("id")),
            "pipeline_id": _text(body.get("pipelineId")),
            "stage_id": _text(body.get("pipelineStageId")),
            "status": _text(body.get("status")),
            "monetary_value": body.get("monetaryValue"),
            "name": _text(body.get("name")),
        }
        return [event(_OPPORTUNITY_KINDS[kind_of_delivery], details=details)]
    if kind_of_delivery in _CONTACT_KINDS:
        details = {"tags": list(body.get("tags") or []), "dnd": body.get("dnd"), "dndSettings": body.get("dndSettings")}
        return [
            event(
                _CONTACT_KINDS[kind_of_delivery],
                ghl_contact_id=_text(body.get("id")),
                email=_text(body.get("email")),
                phone=_text(body.get("phone")),
                details={k: v for k, v in details.items() if v not in (None, [])},
            )
        ]
    if kind_of_delivery in ("NoteCreate", "TaskCreate"):
        kind = "note_created" if kind_of_delivery == "NoteCreate" else "task_created"
        return [
            event(kind, details={"id": _text(body.get("id")), "body": _text(body.get("body") or body.get("title"))})
        ]
    return [event("unknown", details={"type": kind_of_delivery})]


def _message_kind(body: Mapping[str, Any]) -> str:
    channel = str(body.get("messageType") or "").upper()
    inbound = str(body.get("direction") or "").lower() == "inbound" and body.get("type") == "InboundMessage"
    if channel in ("CALL", "TYPE_CALL"):
        duration = _number(body.get("callDuration"))
        answered = str(body.get("callStatus") or body.get("status") or "").lower() in ("completed", "answered")
        return "call_connected" if answered and duration > 0 else "call_missed"
    if channel in ("EMAIL", "TYPE_EMAIL"):
        return "email_replied" if inbound else "email_sent"
    if channel in ("SMS", "TYPE_SMS", "WHATSAPP"):
        return "sms_replied" if inbound else "sms_sent"
    return "message_received" if inbound else "message_sent"


def _message_details(body: Mapping[str, Any]) -> dict[str, Any]:
    keys = (
        "locationId",
        "conversationId",
        "messageId",
        "threadId",
        "emailMessageId",
        "subject",
        "messageType",
        "direction",
        "status",
        "callDuration",
        "callStatus",
    )
    details = {k: body.get(k) for k in keys if body.get(k) is not None}
    text = body.get("body")
    if isinstance(text, str) and text:
        details["snippet"] = text[:500]
    return details


def _email_stats(body: Mapping[str, Any], vendor_id: str, when: datetime | None) -> TrackedEvent:
    payload = _mapping(body.get("webhookPayload"))
    name = str(payload.get("event") or "").lower()
    if name == "failed":
        severity = str(payload.get("severity") or "").lower()
        status = _mapping(payload.get("delivery-status"))
        code = _number(status.get("code"))
        permanent = severity == "permanent" or (not severity and 500 <= code < 600)
        kind = "email_bounced_hard" if permanent else "email_bounced_soft"
    else:
        kind = _EMAIL_STATS.get(name, "unknown")
    operations = _mapping(payload.get("lc_operations"))
    details = {
        "event": name,
        "email_message_id": _text(operations.get("email_message_id")),
        "message_id": _text(payload.get("id")),
        "url": _text(payload.get("url")),
    }
    return TrackedEvent(
        "ghl",
        vendor_id,
        kind,
        parse_time(payload.get("timestamp")) or when,
        ghl_contact_id=_text(operations.get("contact_id") or body.get("contactId")),
        email=_text(payload.get("recipient")),
        details={k: v for k, v in details.items() if v is not None},
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
