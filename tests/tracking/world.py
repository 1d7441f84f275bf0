"""Test helper for the tracking actions: golden people synced to the Zoho emulator (a process of its own, over a
real socket), linked to GHL contact ids, and GHL webhook deliveries in GHL's documented shapes stored as the
intake stores them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from leadflow.config import Settings
from leadflow.pipeline.sync import zoho_sync
from leadflow.store import open_store
from leadflow.store import tracking as deliveries
from leadflow.store.schema import scores, sync_records
from leadflow.zoho.activities import RecordRef
from leadflow.zoho.client import ClientOptions, ZohoClient
from tests.sync import golden
from tests.sync.emulator import Emulator, settings_for

LOCATION = "loc-tracking-1"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass
class World:
    settings: Settings
    engine: sa.Engine
    emulator: Emulator
    people: list[str]
    ghl_id: dict[str, str]  # golden id -> GHL contact id
    lead_id: dict[str, str]  # golden id -> Zoho Lead id
    email: dict[str, str]

    def zoho(self) -> ZohoClient:
        """A client whose transport retries without sleeping (the runner's own backoff is what is tested)."""
        return ZohoClient.from_settings(self.settings, self.engine, options=ClientOptions(sleep=lambda _s: None))

    def lead(self, person: str) -> RecordRef:
        return RecordRef("Leads", self.lead_id[person])

    def set_grade(self, person: str, grade: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(sa.update(scores).where(scores.c.golden_person_id == person).values(grade=grade))

    def store(self, bodies: Iterable[Mapping[str, Any]]) -> int:
        """Store GHL deliveries as the intake does (``contact_key``: the GHL contact); how many were new."""
        new = 0
        with self.engine.begin() as connection:
            for body in bodies:
                new += deliveries.store_delivery(
                    connection,
                    source="ghl",
                    vendor_event_id=str(body["webhookId"]),
                    event_type=str(body["type"]),
                    contact_key=_contact_of(body),
                    headers={},
                    body=json.dumps(body).encode(),
                )
        return new


def build(
    database_url: str, emulator: Emulator, people: int, *, companies: int | None = None, **settings: Any
) -> World:
    """``people`` golden people synced to the emulator as Leads and linked to made-up GHL contact ids."""
    base = settings_for(emulator, database_url)
    configured = base.model_copy(update=settings) if settings else base
    engine = open_store(database_url)
    ids = golden.populate(engine, people, companies=companies)
    with zoho_sync(configured, engine) as runner:
        runner.run()
    ghl_id = {person: f"ghl-{n:05d}" for n, person in enumerate(ids)}
    with engine.begin() as connection:
        now = datetime.now(UTC)
        connection.execute(
            sa.insert(sync_records),
            [
                {
                    "target": "ghl",
                    "golden_id": person,
                    "kind": "person",
                    "module": "contacts",
                    "remote_id": contact,
                    "payload": {},
                    "version": 1,
                    "synced_at": now,
                }
                for person, contact in ghl_id.items()
            ],
        )
        leads = dict(
            connection.execute(
                sa.select(sync_records.c.golden_id, sync_records.c.remote_id).where(
                    sync_records.c.target == "zoho", sync_records.c.module == "Leads"
                )
            ).all()
        )
        emails = dict(connection.execute(sa.text("select id, email from golden_people")).all())
    return World(configured, engine, emulator, ids, ghl_id, {k: str(v) for k, v in leads.items()}, emails)


def _contact_of(body: Mapping[str, Any]) -> str | None:
    if body.get("contactId"):
        return str(body["contactId"])
    appointment = body.get("appointment")
    if isinstance(appointment, Mapping) and appointment.get("contactId"):
        return str(appointment["contactId"])
    return None


def _at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def reply(
    contact: str, n: int, *, subject: str = "Re: Intro", text: str = "Sounds good, call me Tuesday"
) -> dict[str, Any]:
    return {
        "type": "InboundMessage",
        "webhookId": f"wh-reply-{n}",
        "locationId": LOCATION,
        "contactId": contact,
        "conversationId": f"conv-{contact}",
        "messageId": f"msg-{n}",
        "messageType": "Email",
        "direction": "inbound",
        "subject": subject,
        "body": text,
        "dateAdded": _at(n),
    }


def call(contact: str, n: int, *, seconds: int = 185, status: str = "completed") -> dict[str, Any]:
    return {
        "type": "InboundMessage",
        "webhookId": f"wh-call-{n}",
        "locationId": LOCATION,
        "contactId": contact,
        "conversationId": f"conv-{contact}",
        "messageId": f"call-{n}",
        "messageType": "CALL",
        "direction": "inbound",
        "callDuration": seconds,
        "callStatus": status,
        "dateAdded": _at(n),
    }


def booking(contact: str, n: int, *, title: str = "Discovery call") -> dict[str, Any]:
    return {
        "type": "AppointmentCreate",
        "webhookId": f"wh-booking-{n}",
        "locationId": LOCATION,
        "appointment": {
            "id": f"appt-{n}",
            "calendarId": "cal-1",
            "contactId": contact,
            "title": title,
            "startTime": _at(n + 60 * 24),
            "endTime": _at(n + 60 * 24 + 45),
            "appointmentStatus": "confirmed",
        },
    }


def email_stat(contact: str, n: int, event: str, *, email: str = "someone@example.com") -> dict[str, Any]:
    """``event``: opened, clicked, unsubscribed, complained, or failed (a permanent bounce)."""
    payload: dict[str, Any] = {
        "event": event,
        "id": f"mg-{n}",
        "timestamp": int((T0 + timedelta(minutes=n)).timestamp()),
        "recipient": email,
        "lc_operations": {"contact_id": contact, "email_message_id": f"em-{n}"},
    }
    if event == "failed":
        payload["severity"] = "permanent"
    return {
        "type": "LCEmailStats",
        "webhookId": f"wh-{event}-{n}",
        "locationId": LOCATION,
        "contactId": contact,
        "webhookPayload": payload,
    }
