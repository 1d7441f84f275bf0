"""Notes and tasks on contacts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadflow.ghl.api import GhlApi


class NotesApi:
    """Notes of a contact.

    Example:
        >>> ghl.notes.create("c1", "Replied: interested in a demo")["id"]  # doctest: +SKIP
        'n1'
    """

    def __init__(self, api: GhlApi) -> None:
        self.api = api

    def create(self, contact_id: str, body: str, *, user_id: str | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {"body": body}
        if user_id:
            payload["userId"] = user_id
        reply = self.api.call("POST", f"/contacts/{contact_id}/notes", json=payload)
        return dict((reply or {}).get("note") or {})

    def list(self, contact_id: str) -> list[dict[str, Any]]:
        reply = self.api.call("GET", f"/contacts/{contact_id}/notes")
        return [dict(n) for n in (reply or {}).get("notes") or []]

    def get(self, contact_id: str, note_id: str) -> dict[str, Any]:
        reply = self.api.call("GET", f"/contacts/{contact_id}/notes/{note_id}")
        return dict((reply or {}).get("note") or {})

    def update(self, contact_id: str, note_id: str, body: str) -> dict[str, Any]:
        reply = self.api.call("PUT", f"/contacts/{contact_id}/notes/{note_id}", json={"body": body}, idempotent=True)
        return dict((reply or {}).get("note") or {})

    def delete(self, contact_id: str, note_id: str) -> None:
        self.api.call("DELETE", f"/contacts/{contact_id}/notes/{note_id}")


class TasksApi:
    """Tasks of a contact (``dueDate`` ISO 8601, ``completed``).

    Example:
        >>> ghl.tasks.create("c1", title="Call back", due_date="2026-12-07T09:00:00Z")["completed"]  # doctest: +SKIP
        False
    """

    def __init__(self, api: GhlApi) -> None:
        self.api = api

    def create(
        self,
        contact_id: str,
        *,
        title: str,
        due_date: str,
        body: str | None = None,
        assigned_to: str | None = None,
        completed: bool = False,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"title": title, "dueDate": due_date, "completed": completed}
        if body:
            payload["body"] = body
        if assigned_to:
            payload["assignedTo"] = assigned_to
        reply = self.api.call("POST", f"/contacts/{contact_id}/tasks", json=payload)
        return dict((reply or {}).get("task") or {})

    def list(self, contact_id: str) -> list[dict[str, Any]]:
        reply = self.api.call("GET", f"/contacts/{contact_id}/tasks")
        return [dict(t) for t in (reply or {}).get("tasks") or []]

    def get(self, contact_id: str, task_id: str) -> dict[str, Any]:
        reply = self.api.call("GET", f"/contacts/{contact_id}/tasks/{task_id}")
        return dict((reply or {}).get("task") or {})

    def update(self, contact_id: str, task_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        reply = self.api.call("PUT", f"/contacts/{contact_id}/tasks/{task_id}", json=dict(changes), idempotent=True)
        return dict((reply or {}).get("task") or {})

    def complete(self, contact_id: str, task_id: str, completed: bool = True) -> dict[str, Any]:
        reply = self.api.call(
            "PUT", f"/contacts/{contact_id}/tasks/{task_id}/completed", json={"completed": completed}, idempotent=True
        )
        return dict((reply or {}).get("task") or {})

    def delete(self, contact_id: str, task_id: str) -> None:
        self.api.call("DELETE", f"/contacts/{contact_id}/tasks/{task_id}")
