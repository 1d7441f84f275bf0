"""Conversations and messages: outbound Email/SMS sends, inbound replies and calls, per-channel DND.

One conversation per contact. An Email send gets an ``emailMessageId`` and starts (or continues, with
``threadId``) an email thread; a reply simulated on the control plane lands in the same thread. A send to a
channel on which the contact has DND (``dnd`` or ``dndSettings.<channel>.status`` active/permanent) is
refused with 400, as GHL refuses it.
"""

from __future__ import annotations

from typing import Any

from leadflow_emulators.ghl.exceptions import GhlError
from leadflow_emulators.ghl.models.contacts import Contacts
from leadflow_emulators.ghl.models.core import Core, epoch_ms, public
from leadflow_emulators.ghl.models.documents import Doc

# message ``type`` numbers and ``messageType`` names GHL uses.
_KINDS = {
    "SMS": (2, "TYPE_SMS"),
    "Email": (3, "TYPE_EMAIL"),
    "Call": (1, "TYPE_CALL"),
    "WhatsApp": (19, "TYPE_WHATSAPP"),
}
_DND_CHANNEL = {"SMS": "SMS", "Email": "Email", "WhatsApp": "WhatsApp", "Call": "Call", "FB": "FB", "GMB": "GMB"}


class Conversations:
    def __init__(self, core: Core, contacts: Contacts) -> None:
        self.core = core
        self.contacts = contacts
        self._conversation_of: dict[str, str] = {}  # contact id -> conversation id
        self._messages_of: dict[str, list[str]] = {}  # conversation id -> message ids, oldest first
        self._by_email_id: dict[str, str] = {}  # emailMessageId -> message id

    def reindex(self) -> None:
        self._conversation_of = {c["contactId"]: c["id"] for c in self.core.docs.all("conversation")}
        self._messages_of, self._by_email_id = {}, {}
        for message in self.core.docs.all("message"):
            self._index(message)

    def _index(self, message: Doc) -> None:
        self._messages_of.setdefault(message["conversationId"], []).append(message["id"])
        if message.get("_emailMessageId"):
            self._by_email_id[message["_emailMessageId"]] = message["id"]

    def for_contact(self, contact_id: str) -> Doc:
        existing = self.core.docs.get("conversation", self._conversation_of.get(contact_id, ""))
        if existing is not None:
            return existing
        now = self.core.now()
        conversation_id = self.core.ids.next_id()
        doc: Doc = {
            "id": conversation_id,
            "contactId": contact_id,
            "locationId": self.core.location_id,
            "deleted": False,
            "inbox": True,
            "type": 1,
            "unreadCount": 0,
            "dateAdded": now,
            "dateUpdated": now,
            "_lastMessage": None,
        }
        self._conversation_of[contact_id] = conversation_id
        return self.core.docs.put("conversation", doc)

    def get(self, conversation_id: str) -> Doc:
        doc = self.core.docs.get("conversation", conversation_id)
        if doc is None:
            raise GhlError.not_found("Conversation")
        return doc

    def send(self, body: dict[str, Any]) -> Doc:
        """An outbound message (the stored message document)."""
        kind = body.get("type")
        if kind not in _KINDS:
            raise GhlError.bad_request(f"Message type {kind} cannot be sent by this emulator (Email, SMS, WhatsApp)")
        contact = self.contacts.get(str(body.get("contactId") or ""))
        if Contacts.dnd_blocks(contact, _DND_CHANNEL[kind]):
            raise GhlError.dnd_active(_DND_CHANNEL[kind])
        if kind == "Email" and not (body.get("emailTo") or contact.get("email")):
            raise GhlError.bad_request("Contact does not have an email address")
        if kind in ("SMS", "WhatsApp") and not (body.get("toNumber") or contact.get("phone")):
            raise GhlError.bad_request("Contact does not have a phone number")
        if kind == "Email" and not (body.get("html") or body.get("message")):
            raise GhlError.unprocessable(["html or message should not be empty"])
        thread = body.get("threadId") or body.get("replyMessageId")
        return self.record(
            contact,
            kind,
            "outbound",
            text=str(body.get("html") or body.get("message") or ""),
            subject=body.get("subject"),
            thread_id=thread,
            email_from=body.get("emailFrom"),
            email_to=body.get("emailTo") or contact.get("email"),
            source="api",
        )

    def record(
        self,
        contact: Doc,
        kind: str,
        direction: str,
        *,
        text: str = "",
        subject: str | None = None,
        thread_id: str | None = None,
        email_from: str | None = None,
        email_to: str | None = None,
        source: str = "api",
        call_duration: int | None = None,
        call_status: str | None = None,
    ) -> Doc:
        """Store a message in the contact's conversation and fire Inbound/OutboundMessage."""
        conversation = self.for_contact(contact["id"])
        number, message_type = _KINDS[kind]
        now = self.core.now()
        message: Doc = {
            "id": self.core.ids.next_id(),
            "type": number,
            "messageType": message_type,
            "locationId": self.core.location_id,
            "contactId": contact["id"],
            "conversationId": conversation["id"],
            "dateAdded": now,
            "body": text,
            "direction": direction,
            "status": "delivered" if kind != "Call" else "completed",
            "contentType": "text/html" if kind == "Email" else "text/plain",
            "attachments": [],
            "source": source,
        }
        if kind == "Email":
            email_id = self.core.ids.next_id()
            thread = thread_id or email_id
            thread_ids = [
                m["_emailMessageId"] for m in self._messages(conversation["id"]) if m.get("_threadId") == thread
            ]
            message.update(
                _emailMessageId=email_id,
                _threadId=thread,
                _subject=subject or "",
                _from=email_from or "",
                _to=email_to or "",
                meta={"email": {"messageIds": [*thread_ids, email_id]}},
            )
        if kind == "Call":
            message["meta"] = {"callDuration": str(call_duration or 0), "callStatus": call_status or "completed"}
            message["status"] = "connected" if (call_status or "completed") == "completed" else "failed"
        self.core.docs.put("message", message)
        self._index(message)
        self.core.docs.put(
            "conversation",
            {
                **conversation,
                "dateUpdated": now,
                "_lastMessage": message["id"],
                "unreadCount": conversation["unreadCount"] + (1 if direction == "inbound" else 0),
            },
        )
        self.core.emit(
            "InboundMessage" if direction == "inbound" else "OutboundMessage", self.webhook_shape(message, call_status)
        )
        return message

    def _messages(self, conversation_id: str) -> list[Doc]:
        found = (self.core.docs.get("message", message_id) for message_id in self._messages_of.get(conversation_id, []))
        return [message for message in found if message is not None]

    def emails_sent_to(self, contact_id: str) -> list[Doc]:
        """Outbound emails to the contact, oldest first."""
        conversation_id = self._conversation_of.get(contact_id, "")
        return [m for m in self._messages(conversation_id) if m.get("_emailMessageId") and m["direction"] == "outbound"]

    def by_email_message_id(self, email_message_id: str) -> Doc:
        """A message by its ``emailMessageId`` (or its message id)."""
        message_id = self._by_email_id.get(email_message_id, email_message_id)
        message = self.core.docs.get("message", message_id)
        if message is None:
            raise GhlError.not_found("Message")
        return message

    def set_status(self, message: Doc, status: str) -> None:
        self.core.docs.put("message", {**message, "status": status})

    def messages(self, conversation_id: str, params: dict[str, str]) -> dict[str, Any]:
        self.get(conversation_id)
        ordered = sorted(self._messages(conversation_id), key=lambda m: (-epoch_ms(m["dateAdded"]), m["id"]))
        types = {t for t in params.get("type", "").split(",") if t}
        if types:
            ordered = [m for m in ordered if m["messageType"] in types]
        limit = int(params.get("limit", "20") or 20)
        start = 0
        if params.get("lastMessageId"):
            start = next((i + 1 for i, m in enumerate(ordered) if m["id"] == params["lastMessageId"]), len(ordered))
        page = ordered[start : start + limit]
        return {
            "lastMessageId": page[-1]["id"] if page else "",
            "nextPage": start + limit < len(ordered),
            "messages": [public(m) for m in page],
        }

    def search(self, params: dict[str, str]) -> tuple[list[Doc], int]:
        contact_id = params.get("contactId")
        hits = [c for c in self.core.docs.all("conversation") if not contact_id or c["contactId"] == contact_id]
        descending = params.get("sort", "desc") == "desc"
        hits.sort(key=lambda c: (epoch_ms(c["dateUpdated"]), c["id"]), reverse=descending)
        total = len(hits)
        after = params.get("startAfterDate")
        if after:  # the sort value of the last conversation of the previous page
            boundary = int(after)
            if descending:
                hits = [c for c in hits if epoch_ms(c["dateUpdated"]) < boundary]
            else:
                hits = [c for c in hits if epoch_ms(c["dateUpdated"]) > boundary]
        limit = int(params.get("limit", "20") or 20)
        return [self.render_summary(c) for c in hits[:limit]], total

    def render_summary(self, conversation: Doc) -> Doc:
        contact = self.core.docs.get("contact", conversation["contactId"]) or {}
        last = self.core.docs.get("message", conversation.get("_lastMessage") or "") or {}
        return {
            "id": conversation["id"],
            "contactId": conversation["contactId"],
            "locationId": conversation["locationId"],
            "lastMessageBody": last.get("body", ""),
            "lastMessageType": last.get("messageType", "TYPE_SMS"),
            "type": "TYPE_EMAIL" if last.get("messageType") == "TYPE_EMAIL" else "TYPE_PHONE",
            "unreadCount": conversation["unreadCount"],
            "fullName": contact.get("name") or "",
            "contactName": contact.get("name") or "",
            "email": contact.get("email") or "",
            "phone": contact.get("phone") or "",
            "dateAdded": epoch_ms(conversation["dateAdded"]),
            "dateUpdated": epoch_ms(conversation["dateUpdated"]),
            "sort": [epoch_ms(conversation["dateUpdated"])],
        }

    def webhook_shape(self, message: Doc, call_status: str | None = None) -> dict[str, Any]:
        shape: dict[str, Any] = {
            "attachments": message["attachments"],
            "body": message["body"],
            "contactId": message["contactId"],
            "contentType": message["contentType"],
            "conversationId": message["conversationId"],
            "dateAdded": message["dateAdded"],
            "direction": message["direction"],
            "messageType": message["messageType"].removeprefix("TYPE_")
            if message["messageType"] != "TYPE_EMAIL"
            else "Email",
            "messageId": message["id"],
            "status": message["status"],
            "source": message["source"],
        }
        if message.get("_emailMessageId"):
            shape.update(
                emailMessageId=message["_emailMessageId"],
                threadId=message["_threadId"],
                subject=message["_subject"],
                to=[message["_to"]] if message["_to"] else [],
            )
            if message["_from"]:
                shape["from"] = message["_from"]
        if message["messageType"] == "TYPE_CALL":
            shape.update(callDuration=int(message["meta"]["callDuration"]), callStatus=call_status or "completed")
            shape["status"] = call_status or "completed"
        return shape
