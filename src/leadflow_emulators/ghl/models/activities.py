"""Notes and tasks on contacts (``/contacts/{contactId}/notes`` and ``/tasks``).

Example (shapes): a note is ``{id, body, userId, dateAdded, contactId}`` (+ ``title``/``color``/``pinned``);
a task is ``{id, title, body, assignedTo, dueDate, completed, contactId}``.
"""

from __future__ import annotations

from typing import Any

from leadflow_emulators.ghl.exceptions import GhlError
from leadflow_emulators.ghl.models.contacts import Contacts
from leadflow_emulators.ghl.models.core import Core, public
from leadflow_emulators.ghl.models.documents import Doc


class Activities:
    def __init__(self, core: Core, contacts: Contacts) -> None:
        self.core = core
        self.contacts = contacts

    def _children(self, kind: str, contact_id: str) -> list[Doc]:
        self.contacts.get(contact_id)
        return [public(doc) for doc in self.core.docs.all(kind) if doc["contactId"] == contact_id]

    def _child(self, kind: str, contact_id: str, child_id: str) -> Doc:
        self.contacts.get(contact_id)
        doc = self.core.docs.get(kind, child_id)
        if doc is None or doc["contactId"] != contact_id:
            raise GhlError.not_found("Note" if kind == "note" else "Task")
        return doc

    # ------------------------------------------------------------ notes
    def notes(self, contact_id: str) -> list[Doc]:
        return self._children("note", contact_id)

    def note(self, contact_id: str, note_id: str) -> Doc:
        return public(self._child("note", contact_id, note_id))

    def create_note(self, contact_id: str, body: dict[str, Any]) -> Doc:
        self.contacts.get(contact_id)
        if not body.get("body"):
            raise GhlError.unprocessable(["body should not be empty", "body must be a string"])
        doc = {"id": self.core.ids.next_id(), **body, "contactId": contact_id, "dateAdded": self.core.now()}
        doc.setdefault("userId", "")
        self.core.docs.put("note", doc)
        self.core.emit("NoteCreate", {k: doc[k] for k in ("id", "body", "contactId", "dateAdded")})
        return public(doc)

    def update_note(self, contact_id: str, note_id: str, body: dict[str, Any]) -> Doc:
        doc = {**self._child("note", contact_id, note_id), **body}
        self.core.docs.put("note", doc)
        return public(doc)

    def delete_note(self, contact_id: str, note_id: str) -> None:
        self._child("note", contact_id, note_id)
        self.core.docs.delete("note", note_id)

    # ------------------------------------------------------------ tasks
    def tasks(self, contact_id: str) -> list[Doc]:
        return self._children("task", contact_id)

    def task(self, contact_id: str, task_id: str) -> Doc:
        return public(self._child("task", contact_id, task_id))

    def create_task(self, contact_id: str, body: dict[str, Any]) -> Doc:
        self.contacts.get(contact_id)
        missing = [
            f"{name} should not be empty" for name in ("title", "dueDate", "completed") if body.get(name) in (None, "")
        ]
        if missing:
            raise GhlError.unprocessable(missing)
        doc = {
            "id": self.core.ids.next_id(),
            "body": "",
            **body,
            "contactId": contact_id,
            "_dateAdded": self.core.now(),
        }
        self.core.docs.put("task", doc)
        event = {
            k: doc.get(k)
            for k in ("id", "assignedTo", "body", "contactId", "title", "dueDate")
            if doc.get(k) is not None
        }
        self.core.emit("TaskCreate", {**event, "dateAdded": doc["_dateAdded"]})
        return public(doc)

    def update_task(self, contact_id: str, task_id: str, body: dict[str, Any]) -> Doc:
        doc = {**self._child("task", contact_id, task_id), **body}
        self.core.docs.put("task", doc)
        return public(doc)

    def delete_task(self, contact_id: str, task_id: str) -> None:
        self._child("task", contact_id, task_id)
        self.core.docs.delete("task", task_id)
