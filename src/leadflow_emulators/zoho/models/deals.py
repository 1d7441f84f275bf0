"""Deals: the pipeline and its stages (probability, forecast category), derived values and stage history.

Zoho's standard pipeline ``Standard (Standard)`` holds the default stages; a Deal's ``Probability``
follows its stage unless the write gives one, ``Expected_Revenue`` is ``Amount * Probability / 100``,
and every move to another stage (on create, update, upsert, bulk write or lead conversion) adds a
``Stage_History`` entry with the time of the move and the days spent in the previous stage.

Example:
    >>> stage_named("Closed Won").forecast_type, stage_named("Negotiation/Review").probability
    ('Closed Won', 90)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from leadflow_emulators.zoho.models.hooks import Change
from leadflow_emulators.zoho.models.metadata import FieldMeta, ModuleMeta

if TYPE_CHECKING:
    from leadflow_emulators.zoho.models.backend import ZohoBackend

PIPELINE = "Standard (Standard)"
STAGE_HISTORY = "Stage_History"
STAGE_HISTORY_MODULE_ID = "5725767000000002203"
PIPELINE_ID = "5725767000000091023"
FORECAST_CATEGORIES = {
    "Pipeline": "5725767000000091001",
    "Best Case": "5725767000000091003",
    "Commit": "5725767000000091005",
    "Closed": "5725767000000091007",
    "Omitted": "5725767000000091009",
}


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline as Zoho's layout metadata describes it."""

    name: str
    probability: int
    forecast_category: str
    forecast_type: str  # "Open", "Closed Won" or "Closed Lost"

    @property
    def closed(self) -> bool:
        return self.forecast_type != "Open"

    def forecast_category_json(self) -> dict[str, str]:
        return {"name": self.forecast_category, "id": FORECAST_CATEGORIES[self.forecast_category]}


STAGES = (
    Stage("Qualification", 10, "Pipeline", "Open"),
    Stage("Needs Analysis", 20, "Pipeline", "Open"),
    Stage("Value Proposition", 40, "Pipeline", "Open"),
    Stage("Identify Decision Makers", 60, "Pipeline", "Open"),
    Stage("Proposal/Price Quote", 75, "Best Case", "Open"),
    Stage("Negotiation/Review", 90, "Commit", "Open"),
    Stage("Closed Won", 100, "Closed", "Closed Won"),
    Stage("Closed Lost", 0, "Omitted", "Closed Lost"),
    Stage("Closed Lost to Competition", 0, "Omitted", "Closed Lost"),
)
_BY_NAME = {stage.name.lower(): stage for stage in STAGES}


def stage_named(name: Any) -> Stage | None:
    return _BY_NAME.get(str(name).lower()) if name is not None else None


def stage_picklist_extras() -> dict[str, dict[str, Any]]:
    """Per stage value, the keys Zoho adds to the ``Stage`` picklist of Deals' field metadata."""
    return {
        stage.name: {
            "probability": stage.probability,
            "forecast_category": stage.forecast_category_json(),
            "forecast_type": stage.forecast_type,
        }
        for stage in STAGES
    }


def pipelines_json(stage_ids: dict[str, str]) -> list[dict[str, Any]]:
    """``GET /settings/pipeline``: the standard pipeline with its stages (``maps``)."""
    return [
        {
            "display_value": PIPELINE,
            "default": True,
            "actual_value": PIPELINE,
            "id": PIPELINE_ID,
            "child_available": False,
            "maps": [
                {
                    "display_value": stage.name,
                    "sequence_number": min(number, 10),
                    "forecast_category": stage.forecast_category_json(),
                    "actual_value": stage.name,
                    "id": stage_ids.get(stage.name, PIPELINE_ID),
                    "colour_code": "#E2F0D9" if stage.forecast_type == "Closed Won" else "#FFFFFF",
                    "forecast_type": stage.forecast_type,
                }
                for number, stage in enumerate(STAGES, start=1)
            ],
        }
    ]


def stage_history_module() -> ModuleMeta:
    """The ``Stage_History`` related list of Deals as a read-only module (its own field metadata)."""
    meta = ModuleMeta(STAGE_HISTORY, "Stage History", STAGE_HISTORY_MODULE_ID, "Stage", api_writable=False)
    fields = [
        FieldMeta("Stage", "picklist", read_only=True, pick_list_values=tuple(stage.name for stage in STAGES)),
        FieldMeta("Pipeline", "picklist", read_only=True, pick_list_values=(PIPELINE,)),
        FieldMeta("Amount", "currency", read_only=True),
        FieldMeta("Probability", "integer", read_only=True, length=3),
        FieldMeta("Expected_Revenue", "currency", read_only=True),
        FieldMeta("Closing_Date", "date", read_only=True),
        FieldMeta("Stage_Duration", "integer", label="Stage Duration (Calendar Days)", read_only=True),
        FieldMeta("Deal_Name", "lookup", lookup_module="Deals", read_only=True),
        FieldMeta("Modified_By", "ownerlookup", read_only=True),
        FieldMeta("Modified_Time", "datetime", label="Last Modified Time", read_only=True),
        FieldMeta("Created_Time", "datetime", read_only=True),
        FieldMeta("Created_By", "ownerlookup", read_only=True),
        FieldMeta("Owner", "ownerlookup", read_only=True),
    ]
    for number, field_meta in enumerate(fields):
        field_meta.id = str(int(STAGE_HISTORY_MODULE_ID) + 1000 + number * 1000)
        meta.fields[field_meta.api_name] = field_meta
    return meta


def prepare_deal(module: str, changes: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    """Derived Deal values: pipeline, probability from the stage, expected revenue."""
    if module != "Deals":
        return changes
    current = existing or {}
    if existing is None and not changes.get("Pipeline"):
        changes["Pipeline"] = PIPELINE
    stage = stage_named(changes.get("Stage"))
    if stage is not None and "Probability" not in changes and changes.get("Stage") != current.get("Stage"):
        changes["Probability"] = stage.probability
    amount = changes.get("Amount", current.get("Amount"))
    probability = changes.get("Probability", current.get("Probability"))
    if "Amount" in changes or "Probability" in changes:
        revenue = None if amount is None or probability is None else round(amount * probability / 100, 2)
        changes["Expected_Revenue"] = revenue
    return changes


class StageHistory:
    """Adds a ``Stage_History`` entry whenever a Deal arrives at a stage other than its last one."""

    def __init__(self, backend: ZohoBackend) -> None:
        self.backend = backend

    def entries(self, deal_id: str) -> list[dict[str, Any]]:
        store = self.backend._records[STAGE_HISTORY]
        return [store.live[entry_id] for entry_id in store.find("Deal_Name", deal_id) if entry_id in store.live]

    def __call__(self, change: Change) -> None:
        if change.module != "Deals" or change.operation == "delete":
            return
        deal = change.record
        if not deal.get("Stage"):
            return
        previous = self.entries(deal["id"])
        last = previous[-1] if previous else None
        if last is not None and last.get("Stage") == deal["Stage"]:
            return
        now = self.backend.clock.now()
        days = None
        if last is not None:
            days = max(0, (now - datetime.fromisoformat(last["Created_Time"])).days)
            self.backend._records[STAGE_HISTORY].change(last["id"], {"Stage_Duration": days})
            self.backend._dirty(STAGE_HISTORY, last["id"])
        entry = {
            "Stage": deal["Stage"],
            "Pipeline": deal.get("Pipeline"),
            "Amount": deal.get("Amount"),
            "Probability": deal.get("Probability"),
            "Expected_Revenue": deal.get("Expected_Revenue"),
            "Closing_Date": deal.get("Closing_Date"),
            "Stage_Duration": None,
            "Deal_Name": {"id": deal["id"]},
        }
        user = (deal.get("Modified_By") or deal.get("Owner") or {}).get("id") or self.backend.directory.current_user_id
        self.backend._create(self.backend._modules[STAGE_HISTORY], entry, user)
