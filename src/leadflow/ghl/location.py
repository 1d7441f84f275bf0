"""The location (sub-account): its settings, tags, custom values, workflows, users, calendars and appointments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadflow.ghl.api import GhlApi


class LocationApi:
    """The sub-account leadflow works in.

    Example:
        >>> ghl.location.get()["settings"]["allowDuplicateContact"]  # doctest: +SKIP
        False
    """

    def __init__(self, api: GhlApi) -> None:
        self.api = api

    def get(self) -> dict[str, Any]:
        body = self.api.call("GET", f"/locations/{self.api.location_id}")
        return dict((body or {}).get("location") or {})

    def tags(self) -> list[dict[str, Any]]:
        body = self.api.call("GET", f"/locations/{self.api.location_id}/tags")
        return [dict(t) for t in (body or {}).get("tags") or []]

    def create_tag(self, name: str) -> dict[str, Any]:
        body = self.api.call("POST", f"/locations/{self.api.location_id}/tags", json={"name": name})
        return dict((body or {}).get("tag") or {})

    def custom_values(self) -> list[dict[str, Any]]:
        body = self.api.call("GET", f"/locations/{self.api.location_id}/customValues")
        return [dict(v) for v in (body or {}).get("customValues") or []]

    def workflows(self) -> list[dict[str, Any]]:
        """Workflows (``id``, ``name``, ``status``, ``version``); they are built in GHL's UI, not by the API."""
        body = self.api.call("GET", "/workflows/", params={"locationId": self.api.location_id})
        return [dict(w) for w in (body or {}).get("workflows") or []]

    def users(self) -> list[dict[str, Any]]:
        body = self.api.call("GET", "/users/", params={"locationId": self.api.location_id})
        return [dict(u) for u in (body or {}).get("users") or []]


class CalendarsApi:
    """Calendars and appointments (bookings).

    Example:
        >>> ghl.calendars.book(calendar_id="cal1", contact_id="c1", start="2026-12-08T10:00:00Z",
        ...                    end="2026-12-08T10:30:00Z")["id"]  # doctest: +SKIP
        'ev1'
    """

    def __init__(self, api: GhlApi) -> None:
        self.api = api

    def calendars(self) -> list[dict[str, Any]]:
        body = self.api.call("GET", "/calendars/", params={"locationId": self.api.location_id})
        return [dict(c) for c in (body or {}).get("calendars") or []]

    def book(
        self, *, calendar_id: str, contact_id: str, start: str, end: str, extra: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "calendarId": calendar_id,
            "locationId": self.api.location_id,
            "contactId": contact_id,
            "startTime": start,
            "endTime": end,
            **dict(extra or {}),
        }
        body = self.api.call("POST", "/calendars/events/appointments", json=payload) or {}
        return dict(body.get("appointment") or body)

    def appointment(self, event_id: str) -> dict[str, Any]:
        body = self.api.call("GET", f"/calendars/events/appointments/{event_id}") or {}
        return dict(body.get("appointment") or body.get("event") or {})

    def appointments_of(self, contact_id: str) -> list[dict[str, Any]]:
        body = self.api.call("GET", f"/contacts/{contact_id}/appointments") or {}
        return [dict(e) for e in body.get("events") or []]
