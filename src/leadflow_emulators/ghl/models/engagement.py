"""Engagement simulation (control plane only): what a contact does after leadflow reached them, and the
webhooks GHL fires for it.

``kind`` is one of: ``send`` (an outreach email a campaign or workflow sends -> ``OutboundMessage``; refused
when the contact has Email DND), ``delivered``, ``open``, ``click``, ``bounce`` (``severity``: ``permanent``,
the default, or ``temporary``), ``complaint``, ``unsubscribe`` (each an ``LCEmailStats`` event for an email;
unsubscribe also sets Email DND -> ``ContactDndUpdate``), ``reply`` (an inbound email in the same thread ->
``InboundMessage`` with ``threadId``), ``call`` (an inbound call -> ``InboundMessage`` with ``callDuration``),
``booking`` (an appointment -> ``AppointmentCreate``), ``opportunity`` (one opened for the contact in a
pipeline -> ``OpportunityCreate``) and ``stage_change`` (an opportunity moved -> ``OpportunityStageUpdate``).

Two optional keys make a simulated week repeatable: ``at`` (ISO 8601, not in the future) is when it happened,
stamped on what it records (the message's ``dateAdded``, the email event's ``timestamp``...) while the webhook
still carries the time it is sent; ``key`` names the engagement, and a key applied before is not applied
again (the first outcome comes back with ``"duplicate": true``, no event fires).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from leadflow_emulators.ghl.models.contacts import Contacts
from leadflow_emulators.ghl.models.conversations import Conversations
from leadflow_emulators.ghl.models.core import Core
from leadflow_emulators.ghl.models.directory import Directory
from leadflow_emulators.ghl.models.documents import Doc
from leadflow_emulators.ghl.models.opportunities import Opportunities

EMAIL_EVENTS = {
    "delivered": "delivered",
    "open": "opened",
    "click": "clicked",
    "bounce": "failed",
    "complaint": "complained",
    "unsubscribe": "unsubscribed",
}
KINDS = ("send", *EMAIL_EVENTS, "reply", "call", "booking", "opportunity", "stage_change")
MAX_KEY_LENGTH = 200


class Engagement:
    def __init__(
        self,
        core: Core,
        contacts: Contacts,
        conversations: Conversations,
        directory: Directory,
        opportunities: Opportunities,
    ) -> None:
        self.core = core
        self.contacts = contacts
        self.conversations = conversations
        self.directory = directory
        self.opportunities = opportunities

    def simulate(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Apply one engagement; ``ValueError`` for a spec that cannot apply (unknown kind, no email sent...)."""
        kind = spec.get("kind")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {list(KINDS)}")
        key = spec.get("key")
        if key is not None and (not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH):
            raise ValueError(f"key must be a non-empty string of at most {MAX_KEY_LENGTH} characters")
        if key is not None:
            applied = self.core.docs.get("engagement", key)
            if applied is not None:
                return {**applied["outcome"], "duplicate": True}
        moment = self._moment(spec.get("at"))
        with self.core.at(moment):
            outcome = self._apply(str(kind), spec)
        if key is not None:
            self.core.docs.put("engagement", {"id": key, "kind": kind, "outcome": outcome})
        return outcome

    def _moment(self, value: Any) -> datetime | None:
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"at: {value!r} is not an ISO 8601 time") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if moment > self.core.clock.now() + timedelta(seconds=1):
            raise ValueError(f"at: {value} is in the future (the emulator's clock says {self.core.now()})")
        return moment

    def _apply(self, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
        contact = self.contacts.get(str(spec.get("contactId") or ""))
        if kind == "send":
            return self._send(contact, spec)
        if kind == "opportunity":
            return self._open_opportunity(contact, spec)
        if kind in EMAIL_EVENTS:
            return self._email_event(contact, kind, spec)
        if kind == "reply":
            email = self._email(contact, spec)
            reply = self.conversations.record(
                contact,
                "Email",
                "inbound",
                text=str(spec.get("body") or "Thanks, let's talk."),
                subject=f"Re: {email.get('_subject', '')}",
                thread_id=email["_threadId"],
                email_from=contact.get("email"),
                email_to=email.get("_from") or "",
            )
            return {
                "messageId": reply["id"],
                "emailMessageId": reply["_emailMessageId"],
                "threadId": reply["_threadId"],
            }
        if kind == "call":
            call = self.conversations.record(
                contact,
                "Call",
                "inbound",
                call_duration=int(spec.get("callDuration", 120)),
                call_status=str(spec.get("callStatus", "completed")),
            )
            return {"messageId": call["id"], "conversationId": call["conversationId"]}
        if kind == "booking":
            calendars = self.directory.calendars()
            calendar_id = spec.get("calendarId") or (calendars[0]["id"] if calendars else None)
            if calendar_id is None:
                raise ValueError("no calendar: seed one or pass calendarId")
            appointment = self.directory.book(
                {
                    "calendarId": calendar_id,
                    "locationId": self.core.location_id,
                    "contactId": contact["id"],
                    "startTime": spec.get("startTime") or self.core.now(),
                    "endTime": spec.get("endTime"),
                    "title": spec.get("title", "Discovery call"),
                }
            )
            return {"appointmentId": appointment["id"]}
        opportunity = self._opportunity(contact, spec)
        pipeline = self.core.docs.get("pipeline", opportunity["pipelineId"]) or {"stages": []}
        stage_ids = [stage["id"] for stage in pipeline["stages"]]
        target = spec.get("pipelineStageId")
        if target is None:
            position = stage_ids.index(opportunity["pipelineStageId"])
            target = stage_ids[min(position + 1, len(stage_ids) - 1)]
        moved = self.opportunities.move_stage(opportunity["id"], str(target))
        return {"opportunityId": moved["id"], "pipelineStageId": moved["pipelineStageId"]}

    def _send(self, contact: Doc, spec: dict[str, Any]) -> dict[str, Any]:
        if not contact.get("email"):
            raise ValueError("the contact has no email address")
        if Contacts.dnd_blocks(contact, "Email"):
            raise ValueError("the contact has Email DND: GHL sends them no email")
        email = self.conversations.record(
            contact,
            "Email",
            "outbound",
            text=str(spec.get("body") or "<p>Hello</p>"),
            subject=str(spec.get("subject") or "Hello"),
            email_from=str(spec.get("from") or "sales@" + self.core.location_id.lower() + ".example"),
            email_to=contact["email"],
            source="workflow",
        )
        return {"messageId": email["id"], "emailMessageId": email["_emailMessageId"]}

    def _open_opportunity(self, contact: Doc, spec: dict[str, Any]) -> dict[str, Any]:
        pipelines = self.core.docs.all("pipeline")
        pipeline_id = spec.get("pipelineId") or (pipelines[0]["id"] if pipelines else None)
        if pipeline_id is None:
            raise ValueError("no pipeline: seed one or pass pipelineId")
        opportunity = self.opportunities.create(
            {
                "pipelineId": pipeline_id,
                "pipelineStageId": spec.get("pipelineStageId"),
                "locationId": self.core.location_id,
                "name": spec.get("name") or f"{contact.get('name') or contact.get('email') or contact['id']}",
                "status": "open",
                "contactId": contact["id"],
                "monetaryValue": spec.get("monetaryValue", 0),
            }
        )
        return {"opportunityId": opportunity["id"], "pipelineStageId": opportunity["pipelineStageId"]}

    def _email(self, contact: Doc, spec: dict[str, Any]) -> Doc:
        wanted = spec.get("emailMessageId") or spec.get("messageId")
        if wanted:
            return self.conversations.by_email_message_id(str(wanted))
        sent = self.conversations.emails_sent_to(contact["id"])
        if not sent:
            raise ValueError("the contact has been sent no email")
        return sent[-1]

    def _opportunity(self, contact: Doc, spec: dict[str, Any]) -> Doc:
        if spec.get("opportunityId"):
            return self.opportunities.get(str(spec["opportunityId"]))
        mine = [o for o in self.core.docs.all("opportunity") if o["contactId"] == contact["id"]]
        if not mine:
            raise ValueError("the contact has no opportunity")
        return mine[-1]

    def _email_event(self, contact: Doc, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
        if kind == "bounce" and spec.get("severity", "permanent") not in ("permanent", "temporary"):
            raise ValueError("severity must be permanent (a hard bounce) or temporary (a soft one)")
        email = self._email(contact, spec)
        event = EMAIL_EVENTS[kind]
        if kind == "bounce":
            self.conversations.set_status(email, "failed")
        elif kind in ("open", "click"):
            self.conversations.set_status(email, "opened" if kind == "open" else "clicked")
        recipient = email.get("_to") or contact.get("email") or ""
        payload: dict[str, Any] = {
            "event": event,
            "id": self.core.ids.next_id(),
            "timestamp": int(self.core.moment().timestamp()),
            "recipient": recipient,
            "recipient-domain": recipient.rpartition("@")[2],
            "tags": [f"loc_{self.core.location_id}", "et_other"],
            "log-level": "error" if kind == "bounce" else "info",
            "message": {"headers": {"message-id": f"<{email['_emailMessageId']}@emulator.leadflow>", "to": recipient}},
            "lc_operations": {
                "email_message_id": email["_emailMessageId"],
                "message_id": email["id"],
                "contact_id": contact["id"],
            },
        }
        if kind == "bounce" and spec.get("severity", "permanent") == "temporary":
            payload["severity"] = "temporary"
            payload["reason"] = "generic"
            payload["delivery-status"] = {"code": 452, "message": "4.2.2 mailbox full", "attempt-no": 1}
        elif kind == "bounce":
            payload["severity"] = "permanent"
            payload["reason"] = "bounce"
            payload["delivery-status"] = {"code": 550, "message": "5.1.1 mailbox does not exist", "attempt-no": 1}
        if kind == "click":
            payload["url"] = str(spec.get("url") or "https://example.com/")
        self.core.emit("LCEmailStats", {"companyId": self.core.location()["companyId"], "webhookPayload": payload})
        if kind == "unsubscribe":
            self.contacts.set_dnd(contact["id"], "Email", "active", "unsubscribed from email")
        return {"event": event, "emailMessageId": email["_emailMessageId"]}
