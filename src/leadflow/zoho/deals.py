"""Deals: stages with their probability and forecast category, stage moves, won/lost, stage history.

The stages come from the layout metadata (the ``Stage`` field's picklist, which Zoho annotates with
``probability``, ``forecast_type`` and ``forecast_category``) and from ``settings/pipeline``.

Example:
    >>> Stage("Closed Won", 100, "Closed", "Closed Won").won
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadflow.errors import InputError
from leadflow.http.paging import Page, paginate
from leadflow.zoho.api import ZohoApi
from leadflow.zoho.metadata import MetadataApi
from leadflow.zoho.paging import MORE_RECORDS
from leadflow.zoho.records import ModuleResource
from leadflow.zoho.results import RecordResult


@dataclass(frozen=True)
class Stage:
    """A stage of the deal pipeline."""

    name: str
    probability: int | None
    forecast_category: str | None
    forecast_type: str | None  # "Open", "Closed Won" or "Closed Lost"

    @property
    def won(self) -> bool:
        return self.forecast_type == "Closed Won"

    @property
    def lost(self) -> bool:
        return self.forecast_type == "Closed Lost"


class DealsResource(ModuleResource):
    """Deals records plus the pipeline: stages, moves, closing, history.

    Example:
        >>> zoho.deals.move("5725767000000430001", "Negotiation/Review").ok  # doctest: +SKIP
        True
    """

    def __init__(self, api: ZohoApi, api_name: str = "Deals") -> None:
        super().__init__(api, api_name)
        self._metadata = MetadataApi(api)
        self._stages: dict[str, Stage] | None = None

    def stages(self, *, refresh: bool = False) -> list[Stage]:
        """The stages of the ``Stage`` field, in pipeline order (read once, cached).

        Example:
            >>> [s.name for s in zoho.deals.stages() if s.won]  # doctest: +SKIP
            ['Closed Won']
        """
        if self._stages is None or refresh:
            field = self._metadata.field("Deals", "Stage") or {}
            stages: dict[str, Stage] = {}
            for value in field.get("pick_list_values") or []:
                name = str(value.get("display_value") or value.get("actual_value") or "")
                if not name or name == "-None-":
                    continue
                category = value.get("forecast_category")
                stages[name] = Stage(
                    name,
                    value.get("probability"),
                    category.get("name") if isinstance(category, dict) else None,
                    value.get("forecast_type"),
                )
            self._stages = stages
        return list(self._stages.values())

    def stage(self, name: str) -> Stage:
        """The stage called ``name``; InputError naming the known stages otherwise.

        Example:
            >>> zoho.deals.stage("Closed Lost").lost  # doctest: +SKIP
            True
        """
        for candidate in self.stages():
            if candidate.name.lower() == name.lower():
                return candidate
        known = ", ".join(stage.name for stage in self.stages())
        raise InputError(f"no deal stage {name!r} in Zoho (stages: {known})")

    def pipelines(self) -> list[dict[str, Any]]:
        """The pipelines of the Deals layout with their stages (``maps``), from ``settings/pipeline``.

        Example:
            >>> zoho.deals.pipelines()[0]["display_value"]  # doctest: +SKIP
            'Standard (Standard)'
        """
        layouts = self._metadata.layouts("Deals")
        if not layouts:
            return []
        reply = self.api.call("GET", self.api.crm_url("settings/pipeline"), params={"layout_id": str(layouts[0]["id"])})
        items = reply.body.get("pipeline") if isinstance(reply.body, dict) else None
        return [item for item in items or [] if isinstance(item, dict)]

    def move(self, deal_id: str, stage: str, *, probability: int | None = None) -> RecordResult:
        """Move a deal to ``stage`` (checked against the pipeline first); Zoho records the move in Stage_History.

        Example:
            >>> zoho.deals.move("5725767000000430001", "Proposal/Price Quote").ok  # doctest: +SKIP
            True
        """
        row: dict[str, Any] = {"id": deal_id, "Stage": self.stage(stage).name}
        if probability is not None:
            row["Probability"] = probability
        [result] = self.update([row])
        return result

    def close(self, deal_id: str, *, won: bool) -> RecordResult:
        """Close a deal as won or lost, with the pipeline's first closed-won (or closed-lost) stage.

        Example:
            >>> zoho.deals.close("5725767000000430001", won=True).ok  # doctest: +SKIP
            True
        """
        wanted = "Closed Won" if won else "Closed Lost"
        closing = next((stage for stage in self.stages() if stage.forecast_type == wanted), None)
        if closing is None:
            raise InputError(f"the deal pipeline has no stage of type {wanted!r}")
        return self.move(deal_id, closing.name)

    def stage_history(self, deal_id: str) -> list[dict[str, Any]]:
        """Every stage the deal was moved to, oldest first, with the time of the move (``Created_Time``).

        Example:
            >>> [h["Stage"] for h in zoho.deals.stage_history("5725767000000430001")]  # doctest: +SKIP
            ['Qualification', 'Closed Won']
        """
        url = self.api.crm_url(f"Deals/{deal_id}/Stage_History")

        def fetch(page: int) -> Page[dict[str, Any]]:
            params = {"page": str(page), "per_page": "200"}
            return self.api.call("GET", url, params=params, label="stage history").page()

        entries = list(paginate(fetch, MORE_RECORDS))
        entries.sort(key=lambda entry: (str(entry.get("Created_Time") or ""), str(entry.get("id"))))
        return entries
