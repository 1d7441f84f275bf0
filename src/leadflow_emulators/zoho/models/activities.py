"""Related lists: which records of another module belong to a record (notes, activities, deals...).

A related list names the module it shows and the field that links its records to the parent:
``Parent_Id`` for Notes (with the parent's module), ``What_Id`` for Tasks, Calls and Events of Leads,
Accounts and Deals (with ``$se_module``), ``Who_Id`` for those of Contacts, and a plain lookup
(``Account_Name``, ``Contact_Name``, ``Deal_Name``) for Contacts, Deals and Stage_History.

Example:
    >>> [item.api_name for item in related_lists("Deals")]
    ['Notes', 'Tasks', 'Calls', 'Events', 'Stage_History']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.metadata import module_ids

if TYPE_CHECKING:
    from leadflow_emulators.zoho.models.backend import ZohoBackend

ACTIVITY_MODULES = ("Tasks", "Calls", "Events")


@dataclass(frozen=True)
class RelatedList:
    """One related list of a parent module."""

    api_name: str
    module: str
    link_field: str
    display_label: str
    id: str

    def matches(self, parent_module: str, parent_id: str, record: dict[str, Any]) -> bool:
        value = record.get(self.link_field)
        if not isinstance(value, dict) or str(value.get("id")) != parent_id:
            return False
        if self.link_field == "Parent_Id":
            return bool((value.get("module") or {}).get("api_name") == parent_module)
        if self.link_field == "What_Id":
            return bool(record.get("$se_module") == parent_module)
        return True

    def to_json(self, parent_module: str, sequence: int, module_id: str | None, version: str = "v8") -> dict[str, Any]:
        """The list as ``GET /settings/related_lists`` renders it (v2 and v2.1 name the module with a string)."""
        legacy = version in ("v2", "v2.1")
        return {
            "id": self.id,
            "sequence_number": str(sequence),
            "display_label": self.display_label,
            "api_name": self.api_name,
            "module": self.module if legacy else {"api_name": self.module, "id": module_id},
            "name": self.display_label,
            "action": None,
            "href": f"{parent_module}/{{ENTITYID}}/{self.api_name}",
            "type": "default",
            "visible": True,
            "customize_sort": False,
            "customize_fields": False,
            "customize_display_label": False,
            "sort_by": {"api_name": "Modified_Time", "id": None},
            "sort_order": "desc",
            "fields": [],
            "status": "visible",
        }


def _lists(parent: str, person_link: str) -> tuple[RelatedList, ...]:
    base = int(module_ids().get(parent, "5725767000000002200")) + 500
    lists = [RelatedList("Notes", "Notes", "Parent_Id", "Notes", str(base))]
    if parent in ("Leads", "Contacts", "Accounts", "Deals"):
        lists += [
            RelatedList(module, module, person_link, module.replace("_", " "), str(base + 2 * (number + 1)))
            for number, module in enumerate(ACTIVITY_MODULES)
        ]
    return tuple(lists)


_RELATED: dict[str, tuple[RelatedList, ...]] = {
    "Leads": _lists("Leads", "What_Id"),
    "Contacts": (
        *_lists("Contacts", "Who_Id"),
        RelatedList("Deals", "Deals", "Contact_Name", "Deals", "5725767000000002710"),
    ),
    "Accounts": (
        *_lists("Accounts", "What_Id"),
        RelatedList("Contacts", "Contacts", "Account_Name", "Contacts", "5725767000000002720"),
        RelatedList("Deals", "Deals", "Account_Name", "Deals", "5725767000000002722"),
    ),
    "Deals": (
        *_lists("Deals", "What_Id"),
        RelatedList("Stage_History", "Stage_History", "Deal_Name", "Stage History", "5725767000000002730"),
    ),
    "Tasks": _lists("Tasks", "What_Id"),
    "Calls": _lists("Calls", "What_Id"),
    "Events": _lists("Events", "What_Id"),
}


def _duration_seconds(value: Any) -> int | None:
    """Zoho's ``Call_Duration`` ("mm:ss", or "hh:mm:ss") in seconds; None when it is not that shape."""
    parts = str(value).split(":") if value is not None else []
    if len(parts) not in (2, 3) or not all(part.isdigit() for part in parts):
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return seconds


def prepare_activity(
    backend: ZohoBackend, module: str, changes: dict[str, Any], existing: dict[str, Any] | None
) -> dict[str, Any]:
    """Derived activity values: a call's duration in seconds, the names and addresses of event participants."""
    if module == "Calls" and "Call_Duration" in changes:
        changes["Call_Duration_in_seconds"] = _duration_seconds(changes["Call_Duration"])
    if module == "Events" and isinstance(changes.get("Participants"), list):
        changes["Participants"] = [_participant(backend, dict(item)) for item in changes["Participants"]]
    return changes


_PARTICIPANT_MODULES = {"contact": "Contacts", "lead": "Leads"}


def _participant(backend: ZohoBackend, item: dict[str, Any]) -> dict[str, Any]:
    kind, who = item.get("type"), str(item.get("participant"))
    name: str | None = None
    email: str | None = who if kind == "email" else None
    if kind in _PARTICIPANT_MODULES:
        record = backend.get_stored(_PARTICIPANT_MODULES[str(kind)], who)
        if record is not None:
            name, email = record.get("Full_Name"), record.get("Email")
    elif kind == "user":
        user = backend.directory.minified(who)
        if user is not None:
            name, email = user.get("name"), user.get("email")
    return {**item, "name": name, "Email": email, "status": item.get("status") or "not_known"}


def note_system_keys(record: dict[str, Any]) -> dict[str, Any]:
    """The ``$`` keys Zoho adds to every note it returns (size of the text, no voice note or attachments)."""
    return {
        "$attachments": [],
        "$editable": True,
        "$is_shared_to_client": False,
        "$size": str(len(str(record.get("Note_Content") or "").encode())),
        "$state": "save",
        "$voice_note": False,
        "$sharing_permission": "full_access",
    }


def related_lists(module: str) -> tuple[RelatedList, ...]:
    """The related lists of a module (custom modules have Notes)."""
    return _RELATED.get(module, _lists(module, "What_Id"))


def related_list(module: str, api_name: str) -> RelatedList:
    """The related list ``api_name`` of ``module`` (case-insensitive) or Zoho's INVALID_URL_PATTERN."""
    for item in related_lists(module):
        if item.api_name.lower() == api_name.lower():
            return item
    raise ZohoError.invalid_url()


def related_records(backend: ZohoBackend, module: str, record_id: str, api_name: str) -> list[dict[str, Any]]:
    """Stored records of the related list, oldest first; INVALID_DATA when the parent does not exist."""
    meta = backend.module(module, index=1)
    listing = related_list(meta.api_name, api_name)
    with backend.lock:
        if backend.get_stored(meta.api_name, record_id) is None:
            raise ZohoError(400, "INVALID_DATA", "the related id given seems to be invalid", {"resource_path_index": 2})
        ids = backend.find(listing.module, listing.link_field, record_id)
        out = []
        for found in ids:
            record = backend.get_stored(listing.module, found)
            if record is not None and listing.matches(meta.api_name, record_id, record):
                out.append(record)
        return out
