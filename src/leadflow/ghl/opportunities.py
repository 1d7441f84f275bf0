"""Opportunities and pipelines: create, get, update, status, stage moves, search (``startAfterId`` paging), delete."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal

from leadflow.ghl.api import GhlApi
from leadflow.http.paging import Page, StartAfterCursor, StartAfterId, paginate

Status = Literal["open", "won", "lost", "abandoned"]
SEARCH_LIMIT = 100


class OpportunitiesApi:
    """Opportunities of the location.

    Example:
        >>> stages = ghl.opportunities.pipelines()[0]["stages"]  # doctest: +SKIP
        >>> ghl.opportunities.move("o1", stage_id=stages[2]["id"])  # doctest: +SKIP
    """

    def __init__(self, api: GhlApi) -> None:
        self.api = api

    def pipelines(self) -> list[dict[str, Any]]:
        """Pipelines with their stages (created in GHL's UI; the API cannot create them)."""
        body = self.api.call("GET", "/opportunities/pipelines", params={"locationId": self.api.location_id})
        return [dict(p) for p in (body or {}).get("pipelines") or []]

    def create(
        self,
        *,
        pipeline_id: str,
        contact_id: str,
        name: str,
        stage_id: str | None = None,
        status: Status = "open",
        monetary_value: float | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A new opportunity; refused with a duplicate error (``existing_id``) when the location disallows two
        open opportunities of one contact in one pipeline."""
        payload: dict[str, Any] = {
            "pipelineId": pipeline_id,
            "locationId": self.api.location_id,
            "name": name,
            "status": status,
            "contactId": contact_id,
            **dict(extra or {}),
        }
        if stage_id:
            payload["pipelineStageId"] = stage_id
        if monetary_value is not None:
            payload["monetaryValue"] = monetary_value
        body = self.api.call("POST", "/opportunities/", json=payload)
        return dict((body or {}).get("opportunity") or {})

    def get(self, opportunity_id: str) -> dict[str, Any]:
        body = self.api.call("GET", f"/opportunities/{opportunity_id}")
        return dict((body or {}).get("opportunity") or {})

    def update(self, opportunity_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        body = self.api.call("PUT", f"/opportunities/{opportunity_id}", json=dict(changes), idempotent=True)
        return dict((body or {}).get("opportunity") or {})

    def move(self, opportunity_id: str, *, stage_id: str, pipeline_id: str | None = None) -> dict[str, Any]:
        """Move to another stage (and pipeline)."""
        changes: dict[str, Any] = {"pipelineStageId": stage_id}
        if pipeline_id:
            changes["pipelineId"] = pipeline_id
        return self.update(opportunity_id, changes)

    def set_status(self, opportunity_id: str, status: Status, *, lost_reason_id: str | None = None) -> None:
        payload: dict[str, Any] = {"status": status}
        if lost_reason_id:
            payload["lostReasonId"] = lost_reason_id
        self.api.call("PUT", f"/opportunities/{opportunity_id}/status", json=payload, idempotent=True)

    def delete(self, opportunity_id: str) -> None:
        self.api.call("DELETE", f"/opportunities/{opportunity_id}")

    def search(
        self,
        *,
        contact_id: str | None = None,
        pipeline_id: str | None = None,
        status: Literal["open", "won", "lost", "abandoned", "all"] | None = None,
        limit: int = SEARCH_LIMIT,
    ) -> Iterator[dict[str, Any]]:
        """Every matching opportunity, walked by ``startAfterId`` / ``startAfter``."""

        def fetch(cursor: StartAfterCursor) -> Page[dict[str, Any]]:
            params: dict[str, Any] = {
                "location_id": self.api.location_id,
                "contact_id": contact_id,
                "pipeline_id": pipeline_id,
                "status": status,
                "limit": limit,
                **cursor.params(),
            }
            body = self.api.call("GET", "/opportunities/search", params=params) or {}
            return Page([dict(o) for o in body.get("opportunities") or []], dict(body.get("meta") or {}))

        return paginate(fetch, StartAfterId(next_key="nextPage"))  # GHL's meta: nextPage (and nextPageUrl)
