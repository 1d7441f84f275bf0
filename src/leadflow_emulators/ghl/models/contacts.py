"""Contacts of the location: create, get, update, upsert, delete, duplicate lookup, tags and DND.

GHL's rules kept here:
- ``settings.allowDuplicateContact`` false (the default): a create whose email or phone belongs to another
  contact answers 400 "This location does not allow duplicated contacts." with ``meta.contactId`` and
  ``matchingField``; identifiers are checked in the location's priority order
  (``settings.contactUniqueIdentifiers``, email then phone by default).
- Upsert finds the contact by the first identifier of that order present in the body, then the second;
  when the first matches contact A and the second belongs to another contact B, A is updated and the
  second identifier is ignored (not written), so no duplicate is created: GHL's documented trap.
- ``tags`` on create/update/upsert replaces every tag; tags are stored lowercase, trimmed, without repeats.

Example:
    >>> normalize_phone("(415) 555-0100"), normalize_phone("+44 20 7946 0958")
    ('+14155550100', '+442079460958')
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from leadflow_emulators.ghl.exceptions import GhlError
from leadflow_emulators.ghl.models.core import Core, public
from leadflow_emulators.ghl.models.customfields import CustomFields
from leadflow_emulators.ghl.models.documents import Doc

CHANNELS = ("Call", "Email", "SMS", "WhatsApp", "GMB", "FB")
_PLAIN_FIELDS = (
    "firstName",
    "lastName",
    "address1",
    "city",
    "state",
    "postalCode",
    "website",
    "timezone",
    "source",
    "country",
    "assignedTo",
    "companyName",
    "gender",
    "dateOfBirth",
    "inboundDndSettings",
)


def normalize_phone(raw: str | None) -> str | None:
    """E.164 as GHL stores it: digits with ``+``; 10 digits without a country code are taken as +1."""
    if not raw:
        return None
    digits = re.sub(r"\D", "", raw)
    if not digits:
        return None
    if raw.strip().startswith("+"):
        return f"+{digits}"
    if len(digits) == 10:
        return f"+1{digits}"
    return f"+{digits}"


def normalize_tags(tags: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for tag in tags:
        cleaned = tag.strip().lower()
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)


class Contacts:
    def __init__(self, core: Core, custom_fields: CustomFields) -> None:
        self.core = core
        self.custom_fields = custom_fields
        self._by_email: defaultdict[str, set[str]] = defaultdict(set)
        self._by_phone: defaultdict[str, set[str]] = defaultdict(set)

    # ------------------------------------------------------------ index
    def reindex(self) -> None:
        self._by_email.clear()
        self._by_phone.clear()
        for doc in self.core.docs.all("contact"):
            self._index(doc)

    def _index(self, doc: Doc) -> None:
        if doc.get("email"):
            self._by_email[doc["email"].lower()].add(doc["id"])
        if doc.get("phone"):
            self._by_phone[doc["phone"]].add(doc["id"])

    def _unindex(self, doc: Doc) -> None:
        if doc.get("email"):
            self._by_email[doc["email"].lower()].discard(doc["id"])
        if doc.get("phone"):
            self._by_phone[doc["phone"]].discard(doc["id"])

    def _store(self, before: Doc | None, after: Doc) -> Doc:
        if before is not None:
            self._unindex(before)
        self._index(after)
        return self.core.docs.put("contact", after)

    def find_by(self, field: str, value: str | None, *, exclude: str | None = None) -> Doc | None:
        if not value:
            return None
        index = self._by_email if field == "email" else self._by_phone
        key = value.lower() if field == "email" else normalize_phone(value) or ""
        ids = sorted(index.get(key, set()) - {exclude})
        return self.core.docs.get("contact", ids[0]) if ids else None

    def priority(self) -> list[str]:
        order = self.core.settings().get("contactUniqueIdentifiers") or ["email", "phone"]
        return [field for field in order if field in ("email", "phone")]

    # ------------------------------------------------------------ reading
    def get(self, contact_id: str) -> Doc:
        doc = self.core.docs.get("contact", contact_id)
        if doc is None:
            raise GhlError.not_found("Contact")
        return doc

    def render(self, doc: Doc) -> Doc:
        out = public(doc)
        out["customFields"] = CustomFields.render(doc.get("_cf", {}))
        return {key: value for key, value in out.items() if value is not None}

    def duplicate(self, email: str | None, phone: str | None) -> Doc | None:
        """The contact ``GET /contacts/search/duplicate`` answers: by priority order, first match wins."""
        for field in self.priority():
            found = self.find_by(field, email if field == "email" else phone)
            if found is not None:
                return found
        return None

    # ------------------------------------------------------------ writing
    def create(self, body: dict[str, Any], *, check_duplicates: bool = True) -> Doc:
        self._check_location(body)
        fields = self._fields(body, None)
        if check_duplicates and not self.core.settings().get("allowDuplicateContact", False):
            for field in self.priority():
                existing = self.find_by(field, fields.get(field))
                if existing is not None:
                    raise GhlError.duplicate_contact(existing, field)
        now = self.core.now()
        doc: Doc = {
            "id": self.core.ids.next_id(),
            "locationId": self.core.location_id,
            "type": "lead",
            "source": None,
            "dnd": False,
            "dndSettings": {},
            "tags": [],
            "dateAdded": now,
            "dateUpdated": now,
            "_cf": {},
        }
        self._apply(doc, fields)
        self._store(None, doc)
        if doc["tags"]:
            self._learn_tags(doc["tags"])
        self.core.emit("ContactCreate", self.webhook_shape(doc))
        return doc

    def update(self, contact_id: str, body: dict[str, Any]) -> Doc:
        before = self.get(contact_id)
        fields = self._fields(body, before)
        if not self.core.settings().get("allowDuplicateContact", False):
            for field in self.priority():
                existing = self.find_by(field, fields.get(field), exclude=contact_id)
                if existing is not None:
                    raise GhlError.duplicate_contact(existing, field)
        return self._save_update(before, fields)

    def upsert(self, body: dict[str, Any]) -> tuple[Doc, bool]:
        """(contact, created) following the location's duplicate setting and identifier priority."""
        self._check_location(body)
        fields = self._fields(body, None)
        settings = self.core.settings()
        if settings.get("allowDuplicateContact", False) and body.get("createNewIfDuplicateAllowed"):
            return self.create(body, check_duplicates=False), True
        order = self.priority()
        for position, field in enumerate(order):
            match = self.find_by(field, fields.get(field))
            if match is None:
                continue
            for other in order[
                position + 1 :
            ]:  # the documented trap: a second identifier owned by another contact is ignored
                owner = self.find_by(other, fields.get(other), exclude=match["id"])
                if owner is not None:
                    fields.pop(other, None)
            return self._save_update(match, fields), False
        return self.create(body, check_duplicates=False), True

    def delete(self, contact_id: str) -> Doc:
        doc = self.get(contact_id)
        self._unindex(doc)
        self.core.docs.delete("contact", contact_id)
        for kind in ("note", "task"):
            for child in self.core.docs.all(kind):
                if child.get("contactId") == contact_id:
                    self.core.docs.delete(kind, child["id"])
        self.core.emit("ContactDelete", self.webhook_shape(doc))
        return doc

    # ------------------------------------------------------------ tags
    def add_tags(self, contact_id: str, tags: list[str]) -> Doc:
        before = self.get(contact_id)
        return self._save_update(before, {"tags": normalize_tags([*before["tags"], *tags])})

    def remove_tags(self, contact_id: str, tags: list[str]) -> Doc:
        before = self.get(contact_id)
        drop = set(normalize_tags(tags))
        return self._save_update(before, {"tags": [tag for tag in before["tags"] if tag not in drop]})

    def replace_tags(self, contact_id: str, tags: list[str]) -> Doc:
        return self._save_update(self.get(contact_id), {"tags": normalize_tags(tags)})

    def _learn_tags(self, tags: list[str]) -> None:
        known = {tag["name"] for tag in self.core.docs.all("tag")}
        for name in tags:
            if name not in known:
                self.core.docs.put(
                    "tag", {"id": self.core.ids.next_id(), "name": name, "locationId": self.core.location_id}
                )

    # ------------------------------------------------------------ DND
    def set_dnd(self, contact_id: str, channel: str, status: str, message: str = "") -> Doc:
        before = self.get(contact_id)
        settings = {**before.get("dndSettings", {}), channel: {"status": status, "message": message, "code": ""}}
        return self._save_update(before, {"dndSettings": settings})

    @staticmethod
    def dnd_blocks(doc: Doc, channel: str) -> bool:
        if doc.get("dnd"):
            return True
        setting = (doc.get("dndSettings") or {}).get(channel) or {}
        return setting.get("status") in ("active", "permanent")

    # ------------------------------------------------------------ internals
    def _check_location(self, body: dict[str, Any]) -> None:
        location_id = body.get("locationId")
        if not location_id:
            raise GhlError.unprocessable(["locationId should not be empty", "locationId must be a string"])
        if location_id != self.core.location_id:
            raise GhlError.location_forbidden()

    def _fields(self, body: dict[str, Any], before: Doc | None) -> dict[str, Any]:
        """The stored fields a body sets (normalized: email lowercase index, E.164 phone, lowercase tags)."""
        fields: dict[str, Any] = {key: body[key] for key in _PLAIN_FIELDS if key in body}
        if "email" in body:
            fields["email"] = (body["email"] or "").strip() or None
        if "phone" in body:
            fields["phone"] = normalize_phone(body["phone"])
        if "name" in body and body["name"] and "firstName" not in body and "lastName" not in body:
            first, _, last = str(body["name"]).partition(" ")
            fields["firstName"], fields["lastName"] = first, last or None
        if "tags" in body:
            fields["tags"] = normalize_tags(body["tags"])
        if "dnd" in body:
            fields["dnd"] = bool(body["dnd"])
        if "dndSettings" in body:
            fields["dndSettings"] = self._dnd_settings(body["dndSettings"], before)
        if "customFields" in body:
            fields["_cf_set"] = self.custom_fields.resolve_values(body["customFields"], "contact")
        return fields

    @staticmethod
    def _dnd_settings(raw: dict[str, Any], before: Doc | None) -> dict[str, Any]:
        merged = dict((before or {}).get("dndSettings") or {})
        problems = []
        for channel, setting in raw.items():
            if channel not in CHANNELS:
                problems.append(f"property dndSettings.{channel} should not exist")
            elif not isinstance(setting, dict) or setting.get("status") not in ("active", "inactive", "permanent"):
                problems.append(
                    f"dndSettings.{channel}.status must be one of the following values: active, inactive, permanent"
                )
            else:
                merged[channel] = {
                    "status": setting["status"],
                    "message": setting.get("message", ""),
                    "code": setting.get("code", ""),
                }
        if problems:
            raise GhlError.unprocessable(problems)
        return merged

    @staticmethod
    def _apply(doc: Doc, fields: dict[str, Any]) -> None:
        custom = fields.pop("_cf_set", None)
        doc.update(fields)
        if custom is not None:
            doc["_cf"] = {**doc.get("_cf", {}), **custom}
        doc["emailLowerCase"] = doc["email"].lower() if doc.get("email") else None
        first, last = doc.get("firstName"), doc.get("lastName")
        full = " ".join(part for part in (first, last) if part) or None
        doc["contactName"] = full
        doc["name"] = full
        doc["firstNameLowerCase"] = first.lower() if first else None
        doc["lastNameLowerCase"] = last.lower() if last else None
        doc["fullNameLowerCase"] = full.lower() if full else None

    def _save_update(self, before: Doc, fields: dict[str, Any]) -> Doc:
        after = dict(before)
        self._apply(after, dict(fields))
        after["dateUpdated"] = self.core.now()
        self._store(before, after)
        if after["tags"] != before["tags"]:
            self._learn_tags(after["tags"])
            self.core.emit("ContactTagUpdate", self.webhook_shape(after))
        if after.get("dnd") != before.get("dnd") or after.get("dndSettings") != before.get("dndSettings"):
            self.core.emit(
                "ContactDndUpdate", {**self.webhook_shape(after), "dndSettings": after.get("dndSettings", {})}
            )
        self.core.emit("ContactUpdate", self.webhook_shape(after))
        return after

    def webhook_shape(self, doc: Doc) -> dict[str, Any]:
        """The contact as GHL's Contact* webhook events carry it."""
        keys = (
            "id", "address1", "city", "companyName", "country", "source", "dateAdded", "dateOfBirth", "dnd",
            "email", "name", "firstName", "lastName", "phone", "postalCode", "state", "tags", "website",
            "assignedTo",
        )  # fmt: skip
        shape = {key: doc.get(key) for key in keys if doc.get(key) is not None}
        shape["attachments"] = []
        shape["customFields"] = CustomFields.render(doc.get("_cf", {}))
        return shape

    def load(self, record: dict[str, Any]) -> Doc:
        """Insert a contact given in the shape GHL's API returns (seed files); no duplicate check, no events."""
        body = {key: value for key, value in record.items() if key in _PLAIN_FIELDS or key in _SEED_FIELDS}
        fields = self._fields(body, None)
        now = self.core.now()
        doc: Doc = {
            "id": record.get("id") or self.core.ids.next_id(),
            "locationId": self.core.location_id,
            "type": record.get("type", "lead"),
            "dnd": False,
            "dndSettings": {},
            "tags": [],
            "dateAdded": record.get("dateAdded", now),
            "dateUpdated": record.get("dateUpdated", now),
            "_cf": {},
        }
        if doc["id"] in {c["id"] for c in self.core.docs.all("contact")}:
            raise ValueError(f"contact {doc['id']} already exists")
        self._apply(doc, fields)
        self._store(None, doc)
        self._learn_tags(doc["tags"])
        return doc


_SEED_FIELDS = frozenset({"email", "phone", "name", "tags", "dnd", "dndSettings", "customFields"})
