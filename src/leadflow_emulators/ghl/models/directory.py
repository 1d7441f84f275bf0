"""The location and its smaller catalogues: settings, custom values, location tags, workflows and
enrolments, calendars and appointments, users.
"""

from __future__ import annotations

from typing import Any

from leadflow_emulators.ghl.exceptions import GhlError
from leadflow_emulators.ghl.models.contacts import Contacts, normalize_tags
from leadflow_emulators.ghl.models.core import Core, public
from leadflow_emulators.ghl.models.documents import Doc

DEFAULT_SETTINGS: dict[str, Any] = {
    "allowDuplicateContact": False,
    "allowDuplicateOpportunity": False,
    "allowFacebookNameMerge": False,
    "disableContactTimezone": False,
    "contactUniqueIdentifiers": ["email", "phone"],
}


def new_location(location_id: str, company_id: str) -> Doc:
    return {
        "id": location_id,
        "companyId": company_id,
        "name": "Leadflow Emulated Sub-Account",
        "address": "1 Emulator Way",
        "city": "Springfield",
        "state": "IL",
        "country": "US",
        "postalCode": "62701",
        "website": "https://example.com",
        "timezone": "UTC",
        "email": "owner@example.com",
        "settings": dict(DEFAULT_SETTINGS),
    }


class Directory:
    def __init__(self, core: Core, contacts: Contacts) -> None:
        self.core = core
        self.contacts = contacts

    # ------------------------------------------------------------ location
    def location(self, location_id: str) -> Doc:
        if location_id != self.core.location_id:
            raise GhlError.location_forbidden()
        return self.core.location()

    def update_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(changes) - set(DEFAULT_SETTINGS))
        if unknown:
            raise ValueError(f"unknown location settings: {unknown} (known: {sorted(DEFAULT_SETTINGS)})")
        order = changes.get("contactUniqueIdentifiers")
        if order is not None and (not isinstance(order, list) or not set(order) <= {"email", "phone"} or not order):
            raise ValueError('contactUniqueIdentifiers must be a non-empty list of "email" and "phone"')
        location = self.core.location()
        settings = {**location["settings"], **changes}
        self.core.docs.put("location", {**location, "settings": settings})
        return settings

    # ------------------------------------------------------------ custom values
    def custom_values(self) -> list[Doc]:
        return self.core.docs.all("custom_value")

    def custom_value(self, value_id: str) -> Doc:
        doc = self.core.docs.get("custom_value", value_id)
        if doc is None:
            raise GhlError.not_found("Custom value")
        return doc

    def put_custom_value(self, body: dict[str, Any], value_id: str | None = None) -> Doc:
        current = self.custom_value(value_id) if value_id else {}
        name = body.get("name", current.get("name"))
        if not name:
            raise GhlError.unprocessable(["name should not be empty"])
        key = "_".join(str(name).lower().split())
        doc = {
            "id": value_id or self.core.ids.next_id(),
            "name": name,
            "fieldKey": f"{{{{ custom_values.{key} }}}}",
            "value": body.get("value", current.get("value", "")),
            "locationId": self.core.location_id,
        }
        return self.core.docs.put("custom_value", doc)

    def delete_custom_value(self, value_id: str) -> None:
        self.custom_value(value_id)
        self.core.docs.delete("custom_value", value_id)

    # ------------------------------------------------------------ location tags
    def tags(self) -> list[Doc]:
        return self.core.docs.all("tag")

    def create_tag(self, name: str) -> Doc:
        cleaned = normalize_tags([name])
        if not cleaned:
            raise GhlError.unprocessable(["name should not be empty"])
        if any(tag["name"] == cleaned[0] for tag in self.tags()):
            raise GhlError.bad_request("Tag with the same name already exists")
        return self.core.docs.put(
            "tag", {"id": self.core.ids.next_id(), "name": cleaned[0], "locationId": self.core.location_id}
        )

    def tag(self, tag_id: str) -> Doc:
        doc = self.core.docs.get("tag", tag_id)
        if doc is None:
            raise GhlError.not_found("Tag")
        return doc

    def rename_tag(self, tag_id: str, name: str) -> Doc:
        """Renames the location tag and the tag on every contact that carries it, as GHL does."""
        old = self.tag(tag_id)["name"]
        new = normalize_tags([name])
        if not new:
            raise GhlError.unprocessable(["name should not be empty"])
        if any(tag["name"] == new[0] and tag["id"] != tag_id for tag in self.tags()):
            raise GhlError.bad_request("Tag with the same name already exists")
        for contact in self.core.docs.all("contact"):
            if old in contact["tags"]:
                self.contacts.replace_tags(contact["id"], [new[0] if t == old else t for t in contact["tags"]])
        return self.core.docs.put("tag", {**self.tag(tag_id), "name": new[0]})

    def delete_tag(self, tag_id: str) -> None:
        """Deletes the location tag and takes it off every contact."""
        name = self.tag(tag_id)["name"]
        for contact in self.core.docs.all("contact"):
            if name in contact["tags"]:
                self.contacts.remove_tags(contact["id"], [name])
        self.core.docs.delete("tag", tag_id)

    def bulk_tags(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /contacts/bulk/tags/update/{add|remove}``: every contact or none (unknown ids are errors)."""
        if action not in ("add", "remove"):
            raise GhlError.unprocessable(["type must be one of the following values: add, remove"])
        ids = body.get("contacts") or []
        missing = [cid for cid in ids if self.core.docs.get("contact", cid) is None]
        if missing:
            raise GhlError.bad_request(f"Contacts not found: {', '.join(missing)}")
        for contact_id in ids:
            if action == "add":
                self.contacts.add_tags(contact_id, body.get("tags") or [])
            elif body.get("removeAllTags"):
                self.contacts.replace_tags(contact_id, [])
            else:
                self.contacts.remove_tags(contact_id, body.get("tags") or [])
        return {"succeded": True, "errorCount": 0, "responses": [{"contactId": cid, "type": "success"} for cid in ids]}

    # ------------------------------------------------------------ workflows
    def workflows(self) -> list[Doc]:
        return [public(doc) for doc in self.core.docs.all("workflow")]

    def add_workflow(self, record: dict[str, Any]) -> Doc:
        if not record.get("name"):
            raise ValueError("a workflow needs a name")
        now = self.core.now()
        doc = {
            "id": record.get("id") or self.core.ids.next_id(),
            "name": record["name"],
            "status": record.get("status", "published"),
            "version": record.get("version", 1),
            "createdAt": record.get("createdAt", now),
            "updatedAt": record.get("updatedAt", now),
            "locationId": self.core.location_id,
        }
        return self.core.docs.put("workflow", doc)

    def enrol(self, contact_id: str, workflow_id: str, event_start_time: str | None) -> Doc:
        self.contacts.get(contact_id)
        if self.core.docs.get("workflow", workflow_id) is None:
            raise GhlError.bad_request("Workflow not found")
        doc = {
            "id": f"{workflow_id}:{contact_id}",
            "workflowId": workflow_id,
            "contactId": contact_id,
            "eventStartTime": event_start_time,
            "enrolledAt": self.core.now(),
            "status": "active",
        }
        return self.core.docs.put("enrolment", doc)

    def unenrol(self, contact_id: str, workflow_id: str) -> None:
        self.contacts.get(contact_id)
        if self.core.docs.get("workflow", workflow_id) is None:
            raise GhlError.bad_request("Workflow not found")
        existing = self.core.docs.get("enrolment", f"{workflow_id}:{contact_id}")
        if existing is not None:
            self.core.docs.put("enrolment", {**existing, "status": "removed", "removedAt": self.core.now()})

    # ------------------------------------------------------------ users, calendars, appointments
    def users(self) -> list[Doc]:
        return self.core.docs.all("user")

    def user(self, user_id: str) -> Doc:
        doc = self.core.docs.get("user", user_id)
        if doc is None:
            raise GhlError.not_found("User")
        return doc

    def add_user(self, record: dict[str, Any]) -> Doc:
        doc = {"id": record.get("id") or self.core.ids.next_id(), **record}
        doc.setdefault("roles", {"type": "account", "role": "user", "locationIds": [self.core.location_id]})
        return self.core.docs.put("user", doc)

    def calendars(self) -> list[Doc]:
        return self.core.docs.all("calendar")

    def add_calendar(self, record: dict[str, Any]) -> Doc:
        if not record.get("name"):
            raise ValueError("a calendar needs a name")
        doc = {
            "id": record.get("id") or self.core.ids.next_id(),
            "locationId": self.core.location_id,
            "isActive": True,
            **record,
        }
        return self.core.docs.put("calendar", doc)

    def book(self, body: dict[str, Any]) -> Doc:
        missing = [
            f"{k} should not be empty"
            for k in ("calendarId", "locationId", "contactId", "startTime")
            if not body.get(k)
        ]
        if missing:
            raise GhlError.unprocessable(missing)
        if body["locationId"] != self.core.location_id:
            raise GhlError.location_forbidden()
        if self.core.docs.get("calendar", body["calendarId"]) is None:
            raise GhlError.bad_request("Calendar not found")
        self.contacts.get(body["contactId"])
        now = self.core.now()
        doc = {
            "id": self.core.ids.next_id(),
            "calendarId": body["calendarId"],
            "locationId": self.core.location_id,
            "contactId": body["contactId"],
            "title": body.get("title", "Appointment"),
            "status": "booked",
            "appointmentStatus": body.get("appointmentStatus", "confirmed"),
            "assignedUserId": body.get("assignedUserId"),
            "address": body.get("address", ""),
            "notes": body.get("notes", ""),
            "startTime": body["startTime"],
            "endTime": body.get("endTime") or body["startTime"],
            "dateAdded": now,
            "dateUpdated": now,
            "isRecurring": False,
        }
        doc = {k: v for k, v in doc.items() if v is not None}
        self.core.docs.put("appointment", doc)
        event = {k: doc[k] for k in doc if k not in ("status", "locationId", "isRecurring")}
        self.core.emit(
            "AppointmentCreate",
            {
                "appointment": {
                    **event,
                    "source": "api",
                    "users": [doc.get("assignedUserId")] if doc.get("assignedUserId") else [],
                }
            },
        )
        return doc

    def appointment(self, appointment_id: str) -> Doc:
        doc = self.core.docs.get("appointment", appointment_id)
        if doc is None:
            raise GhlError.not_found("Appointment")
        return doc

    def appointments_of(self, contact_id: str) -> list[Doc]:
        self.contacts.get(contact_id)
        return [doc for doc in self.core.docs.all("appointment") if doc["contactId"] == contact_id]
