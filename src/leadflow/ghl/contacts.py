"""Contacts: get, create, update, upsert, delete, search (``searchAfter`` paging), duplicates, tags, workflows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from leadflow.ghl.api import GhlApi
from leadflow.http.paging import After, Page, SearchAfter, StartAfterCursor, StartAfterId, paginate

SEARCH_PAGE_LIMIT = 500  # GHL's largest pageLimit for POST /contacts/search
LEGACY_PAGE_LIMIT = 100  # GET /contacts/ allows at most 100 a page
# The properties PUT /contacts/{id} accepts (GHL's UpdateContactDto); anything else is refused with 422
# ("property companyName should not exist"): companyName, for one, can only be given at creation.
UPDATABLE_FIELDS = frozenset(
    {
        "firstName",
        "lastName",
        "name",
        "email",
        "phone",
        "address1",
        "city",
        "state",
        "postalCode",
        "website",
        "timezone",
        "dnd",
        "dndSettings",
        "inboundDndSettings",
        "tags",
        "customFields",
        "source",
        "dateOfBirth",
        "country",
        "assignedTo",
    }
)
BULK_TAG_CONTACTS = 100  # contacts per bulk tag call, leadflow's choice (GHL documents no maximum)


@dataclass(frozen=True)
class UpsertResult:
    """What ``POST /contacts/upsert`` answered: the contact and whether it was created.

    Example:
        >>> UpsertResult({"id": "c1"}, new=True).id
        'c1'
    """

    contact: dict[str, Any]
    new: bool
    trace_id: str | None = None

    @property
    def id(self) -> str:
        return str(self.contact.get("id") or "")


@dataclass(frozen=True)
class BulkTagResult:
    """Per-contact answers of a bulk tag call: contact id -> ``(ok, message)``."""

    succeeded: bool
    error_count: int
    by_contact: dict[str, tuple[bool, str]]


class ContactsApi:
    """Contacts of the location.

    Example:
        >>> ghl.contacts.upsert({"email": "ada@example.com", "firstName": "Ada"}).new  # doctest: +SKIP
        True
    """

    def __init__(self, api: GhlApi) -> None:
        self.api = api

    def get(self, contact_id: str) -> dict[str, Any]:
        """One contact by id (a missing one raises the 400/404 error GHL answers)."""
        body = self.api.call("GET", f"/contacts/{contact_id}")
        return dict(body.get("contact") or {})

    def create(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /contacts/``: refused with :class:`~leadflow.ghl.errors.GhlDuplicate` when the location
        does not allow duplicates and the email or phone is taken (``existing_id`` names the holder)."""
        body = self.api.call("POST", "/contacts/", json={**fields, "locationId": self.api.location_id})
        return dict(body.get("contact") or {})

    def update(self, contact_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """``PUT /contacts/{id}``. Careful: ``tags`` here replaces every tag of the contact."""
        body = self.api.call("PUT", f"/contacts/{contact_id}", json=dict(fields), idempotent=True)
        return dict(body.get("contact") or {})

    def upsert(self, fields: Mapping[str, Any]) -> UpsertResult:
        """``POST /contacts/upsert``: matched by the location's duplicate setting (email, then phone, by its
        priority); when email and phone match two different contacts, GHL updates the first and ignores the
        second identifier (the caller checks what came back)."""
        body = self.api.call("POST", "/contacts/upsert", json={**fields, "locationId": self.api.location_id})
        return UpsertResult(dict(body.get("contact") or {}), bool(body.get("new")), body.get("traceId"))

    def delete(self, contact_id: str) -> None:
        self.api.call("DELETE", f"/contacts/{contact_id}")

    def find_duplicate(self, *, email: str | None = None, phone: str | None = None) -> dict[str, Any] | None:
        """The contact GHL's duplicate rule would match for ``email`` / ``phone`` (None when there is none)."""
        body = self.api.call(
            "GET",
            "/contacts/search/duplicate",
            params={"locationId": self.api.location_id, "email": email, "number": phone},
        )
        contact = (body or {}).get("contact")
        return dict(contact) if isinstance(contact, dict) and contact else None

    def search(
        self,
        *,
        filters: Sequence[Mapping[str, Any]] = (),
        sort: Sequence[Mapping[str, str]] = (),
        query: str | None = None,
        page_limit: int = SEARCH_PAGE_LIMIT,
    ) -> Iterator[dict[str, Any]]:
        """Every contact matching ``filters`` (GHL's ``{"field", "operator", "value"}``), page after page by
        ``searchAfter`` — lazily, one call per ``page_limit`` contacts.

        Example:
            >>> leads = ghl.contacts.search(filters=[{"field": "tags", "operator": "eq",
            ...                                       "value": ["lf-hot"]}])  # doctest: +SKIP
        """

        def fetch(cursor: After) -> Page[dict[str, Any]]:
            payload: dict[str, Any] = {"locationId": self.api.location_id, "pageLimit": page_limit}
            if filters:
                payload["filters"] = [dict(item) for item in filters]
            if sort:
                payload["sort"] = [dict(item) for item in sort]
            if query:
                payload["query"] = query
            if cursor.values is not None:
                payload["searchAfter"] = list(cursor.values)
            body = self.api.call("POST", "/contacts/search", json=payload, idempotent=True) or {}
            return Page([dict(c) for c in body.get("contacts") or []], {"total": body.get("total")})

        return paginate(fetch, SearchAfter(page_size=page_limit))

    def list_all(self, *, query: str | None = None, limit: int = LEGACY_PAGE_LIMIT) -> Iterator[dict[str, Any]]:
        """The deprecated ``GET /contacts/`` walked by ``startAfterId``/``startAfter`` (for older accounts)."""

        def fetch(cursor: StartAfterCursor) -> Page[dict[str, Any]]:
            params: dict[str, Any] = {"locationId": self.api.location_id, "limit": limit, "query": query}
            params.update(cursor.params())
            body = self.api.call("GET", "/contacts/", params=params) or {}
            return Page([dict(c) for c in body.get("contacts") or []], dict(body.get("meta") or {}))

        return paginate(fetch, StartAfterId(next_key="nextPage"))  # GHL's meta: nextPage (and nextPageUrl)

    # --- tags ----------------------------------------------------------------------------------------------

    def add_tags(self, contact_id: str, tags: Sequence[str]) -> list[str]:
        """Add ``tags`` (GHL stores them lowercase); the contact's other tags stay. Returns its tags after."""
        body = self.api.call("POST", f"/contacts/{contact_id}/tags", json={"tags": list(tags)}, idempotent=True)
        return [str(t) for t in (body or {}).get("tags") or []]

    def remove_tags(self, contact_id: str, tags: Sequence[str]) -> list[str]:
        body = self.api.call("DELETE", f"/contacts/{contact_id}/tags", json={"tags": list(tags)}, idempotent=True)
        return [str(t) for t in (body or {}).get("tags") or []]

    def bulk_tags(self, contact_ids: Sequence[str], tags: Sequence[str], *, add: bool) -> BulkTagResult:
        """Add (or remove) ``tags`` on many contacts in one call: ``POST /contacts/bulk/tags/update/{add|remove}``."""
        kind: Literal["add", "remove"] = "add" if add else "remove"
        body = self.api.call(
            "POST",
            f"/contacts/bulk/tags/update/{kind}",
            json={"contacts": list(contact_ids), "tags": list(tags), "locationId": self.api.location_id},
            idempotent=True,  # adding or removing a tag twice changes nothing
        )
        body = body or {}
        answers: dict[str, tuple[bool, str]] = {}
        for item in body.get("responses") or []:
            if isinstance(item, dict) and item.get("contactId"):
                answers[str(item["contactId"])] = (item.get("type") == "success", str(item.get("message") or ""))
        return BulkTagResult(
            bool(body.get("succeded", body.get("succeeded"))), int(body.get("errorCount") or 0), answers
        )

    # --- workflows -----------------------------------------------------------------------------------------

    def add_to_workflow(self, contact_id: str, workflow_id: str, *, event_start_time: str | None = None) -> None:
        """Enrol a contact in a workflow (GHL starts its steps; enrolling twice is refused or ignored by GHL)."""
        payload = {"eventStartTime": event_start_time} if event_start_time else {}
        self.api.call("POST", f"/contacts/{contact_id}/workflow/{workflow_id}", json=payload)

    def remove_from_workflow(self, contact_id: str, workflow_id: str) -> None:
        self.api.call("DELETE", f"/contacts/{contact_id}/workflow/{workflow_id}", json={}, idempotent=True)
