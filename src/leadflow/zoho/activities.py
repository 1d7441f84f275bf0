"""Notes, tasks, calls and events on CRM records, and the related lists that show them.

Notes hang on any record through ``Parent_Id`` (v8: ``{"module": {"api_name"}, "id"}``; v2: the id with
``se_module``). Tasks, calls and events link to a Lead, Account or Deal through ``What_Id`` with
``$se_module`` and to a Contact through ``Who_Id``. Reading a record's notes or activities goes through
Zoho's related lists (``GET /{module}/{id}/{list}``, one credit per page of up to 200).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadflow.errors import InputError
from leadflow.http.paging import Page, paginate
from leadflow.zoho.api import ZohoApi
from leadflow.zoho.paging import MORE_RECORDS
from leadflow.zoho.records import ModuleResource
from leadflow.zoho.results import RecordResult

MAX_PER_PAGE = 200
ACTIVITY_MODULES = ("Tasks", "Calls", "Events")
CALL_TYPES = ("Outbound", "Inbound", "Missed")
WHO_MODULE = "Contacts"  # Who_Id only ever names a contact


@dataclass(frozen=True)
class RecordRef:
    """A CRM record an activity or note belongs to.

    Example:
        >>> RecordRef("Leads", "5725767000000412001").module
        'Leads'
    """

    module: str
    id: str


@dataclass(frozen=True)
class Participant:
    """An event participant: a contact, lead or user by id, or anyone by e-mail address.

    Example:
        >>> Participant("email", "ada@example.com").to_json()
        {'type': 'email', 'participant': 'ada@example.com'}
    """

    type: str
    participant: str

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "participant": self.participant}


def _duration(seconds: int) -> str:
    if seconds < 0:
        raise InputError(f"a call cannot last {seconds} seconds")
    minutes, rest = divmod(seconds, 60)
    return f"{minutes:02d}:{rest:02d}"


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        raise InputError(f"{value!r} has no time zone; Zoho needs an offset")
    return value.replace(microsecond=0).isoformat()


class ActivitiesApi:
    """Notes and activities of records.

    Example:
        >>> zoho.activities.add_note(RecordRef("Leads", "5725767000000412001"), "Asked for a demo")  # doctest: +SKIP
        RecordResult(index=0, id='5725767000000500001', action='insert', ...)
    """

    def __init__(self, api: ZohoApi) -> None:
        self.api = api

    def _one(self, module: str, row: Mapping[str, Any]) -> RecordResult:
        [result] = ModuleResource(self.api, module).insert([row])
        return result

    def _links(self, on: RecordRef | None, who: str | None) -> dict[str, Any]:
        row: dict[str, Any] = {}
        if on is not None:
            if on.module == WHO_MODULE and who is None:
                row["Who_Id"] = {"id": on.id}
            else:
                row["What_Id"] = {"id": on.id}
                row["$se_module"] = on.module
        if who is not None:
            row["Who_Id"] = {"id": who}
        return row

    def add_note(self, on: RecordRef, content: str, *, title: str | None = None) -> RecordResult:
        """Add a note to any record (1 credit).

        Example:
            >>> zoho.activities.add_note(RecordRef("Deals", "5725767000000430001"), "Budget approved").ok
            ... # doctest: +SKIP
            True
        """
        if not content.strip():
            raise InputError("a note needs content")
        row: dict[str, Any] = {"Note_Content": content}
        if title:
            row["Note_Title"] = title
        if self.api.version in ("v2", "v2.1"):
            row.update(Parent_Id=on.id, se_module=on.module)
        else:
            row["Parent_Id"] = {"module": {"api_name": on.module}, "id": on.id}
        return self._one("Notes", row)

    def add_task(
        self,
        subject: str,
        *,
        on: RecordRef | None = None,
        who: str | None = None,
        due: str | None = None,
        status: str = "Not Started",
        priority: str | None = None,
        owner_id: str | None = None,
        description: str | None = None,
    ) -> RecordResult:
        """Create a task on a record (``on``) and/or for a contact (``who``); ``due`` is ``YYYY-MM-DD``.

        Example:
            >>> zoho.activities.add_task("Send proposal", on=RecordRef("Deals", "5725767000000430001"),
            ...                          due="2026-12-10").ok  # doctest: +SKIP
            True
        """
        row: dict[str, Any] = {"Subject": subject, "Status": status, **self._links(on, who)}
        optional = {"Due_Date": due, "Priority": priority, "Description": description}
        row.update({key: value for key, value in optional.items() if value is not None})
        if owner_id:
            row["Owner"] = {"id": owner_id}
        return self._one("Tasks", row)

    def log_call(
        self,
        subject: str,
        *,
        start: datetime,
        duration_seconds: int,
        direction: str = "Outbound",
        result: str | None = None,
        on: RecordRef | None = None,
        who: str | None = None,
        owner_id: str | None = None,
        description: str | None = None,
    ) -> RecordResult:
        """Log a call that happened: ``direction`` is Outbound, Inbound or Missed; ``result`` free text.

        Example:
            >>> zoho.activities.log_call("Intro", start=datetime(2026, 12, 1, 9, tzinfo=UTC),
            ...                          duration_seconds=300, who="5725767000000415001").ok  # doctest: +SKIP
            True
        """
        if direction not in CALL_TYPES:
            raise InputError(f"call direction {direction!r}: expected one of {', '.join(CALL_TYPES)}")
        row: dict[str, Any] = {
            "Subject": subject,
            "Call_Type": direction,
            "Call_Start_Time": _iso(start),
            "Call_Duration": _duration(duration_seconds),
            **self._links(on, who),
        }
        if result is not None:
            row["Call_Result"] = result
        if description is not None:
            row["Description"] = description
        if owner_id:
            row["Owner"] = {"id": owner_id}
        return self._one("Calls", row)

    def add_event(
        self,
        title: str,
        *,
        start: datetime,
        end: datetime,
        participants: Sequence[Participant] = (),
        on: RecordRef | None = None,
        who: str | None = None,
        venue: str | None = None,
        owner_id: str | None = None,
        description: str | None = None,
    ) -> RecordResult:
        """Create a meeting with participants (contacts, leads, users or e-mail addresses).

        Example:
            >>> zoho.activities.add_event("Demo", start=start, end=start + timedelta(hours=1),
            ...                           participants=[Participant("contact", "5725767000000415001")])
            ... # doctest: +SKIP
        """
        if end <= start:
            raise InputError(f"event {title!r} ends before it starts")
        row: dict[str, Any] = {
            "Event_Title": title,
            "Start_DateTime": _iso(start),
            "End_DateTime": _iso(end),
            **self._links(on, who),
        }
        if participants:
            row["Participants"] = [participant.to_json() for participant in participants]
        if venue is not None:
            row["Venue"] = venue
        if description is not None:
            row["Description"] = description
        if owner_id:
            row["Owner"] = {"id": owner_id}
        return self._one("Events", row)

    def related(
        self, on: RecordRef, related_list: str, *, fields: Sequence[str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Records of one related list of a record (``Notes``, ``Tasks``, ``Calls``, ``Events``, ``Deals``,
        ``Stage_History``...), page by page as the caller reads them.

        Example:
            >>> [n["Note_Content"] for n in zoho.activities.related(RecordRef("Leads", lead_id), "Notes")]
            ... # doctest: +SKIP
        """
        path = self.api.crm_url(f"{on.module}/{on.id}/{related_list}")

        def fetch(page: int) -> Page[dict[str, Any]]:
            params = {"page": str(page), "per_page": str(MAX_PER_PAGE)}
            if fields:
                params["fields"] = ",".join(fields)
            return self.api.call("GET", path, params=params, label=f"related {related_list}").page()

        return paginate(fetch, MORE_RECORDS)

    def notes(self, on: RecordRef) -> list[dict[str, Any]]:
        """Every note of a record, newest first.

        Example:
            >>> len(zoho.activities.notes(RecordRef("Leads", "5725767000000412001")))  # doctest: +SKIP
            2
        """
        return list(self.related(on, "Notes"))

    def activities(self, on: RecordRef) -> list[dict[str, Any]]:
        """Tasks, calls and events of a record (each with ``"$module"`` added), newest change first.

        Example:
            >>> {a["$module"] for a in zoho.activities.activities(RecordRef("Deals", deal_id))}  # doctest: +SKIP
            {'Tasks', 'Calls'}
        """
        out = [{**record, "$module": module} for module in ACTIVITY_MODULES for record in self.related(on, module)]
        out.sort(key=lambda record: str(record.get("Modified_Time") or ""), reverse=True)
        return out

    def related_lists(self, module: str) -> list[dict[str, Any]]:
        """The related lists of a module (``api_name``, ``module``, ``href``...), from ``settings/related_lists``.

        Example:
            >>> [r["api_name"] for r in zoho.activities.related_lists("Deals")][:2]  # doctest: +SKIP
            ['Notes', 'Tasks']
        """
        reply = self.api.call("GET", self.api.crm_url("settings/related_lists"), params={"module": module})
        body = reply.body
        items = body.get("related_lists") if isinstance(body, dict) else None
        return [item for item in items or [] if isinstance(item, dict)]
