"""Pipelines (seeded: GHL's API cannot create them) and opportunities with GHL's duplicate rule.

With ``settings.allowDuplicateOpportunity`` false (the default) a contact may have one opportunity per
pipeline: a second create answers 400 ``OPPORTUNITY_NO_DUPLICATE`` with ``meta.existingId``. Status is one
of open, won, lost, abandoned; stage moves stamp ``lastStageChangeAt`` and fire ``OpportunityStageUpdate``.
"""

from __future__ import annotations

from typing import Any

from leadflow_emulators.ghl.exceptions import GhlError
from leadflow_emulators.ghl.models.contacts import Contacts
from leadflow_emulators.ghl.models.core import Core, epoch_ms, public
from leadflow_emulators.ghl.models.customfields import CustomFields
from leadflow_emulators.ghl.models.documents import Doc

STATUSES = ("open", "won", "lost", "abandoned")


class Opportunities:
    def __init__(self, core: Core, contacts: Contacts, custom_fields: CustomFields) -> None:
        self.core = core
        self.contacts = contacts
        self.custom_fields = custom_fields

    # ------------------------------------------------------------ pipelines
    def pipelines(self) -> list[Doc]:
        return [public(doc) for doc in self.core.docs.all("pipeline")]

    def add_pipeline(self, record: dict[str, Any]) -> Doc:
        stages = [
            {
                "id": stage.get("id") or self.core.ids.uuid(),
                "name": stage["name"],
                "position": stage.get("position", index),
            }
            for index, stage in enumerate(record.get("stages") or [])
        ]
        if not record.get("name") or not stages:
            raise ValueError("a pipeline needs a name and at least one stage")
        doc = {
            "id": record.get("id") or self.core.ids.next_id(),
            "name": record["name"],
            "stages": stages,
            "showInFunnel": record.get("showInFunnel", True),
            "showInPieChart": record.get("showInPieChart", True),
            "locationId": self.core.location_id,
        }
        return self.core.docs.put("pipeline", doc)

    def _pipeline(self, pipeline_id: str) -> Doc:
        doc = self.core.docs.get("pipeline", pipeline_id)
        if doc is None:
            raise GhlError.bad_request("Pipeline not found")
        return doc

    def _check_stage(self, pipeline: Doc, stage_id: str | None) -> str:
        stages = pipeline["stages"]
        if stage_id is None:
            return str(stages[0]["id"])
        if stage_id not in {stage["id"] for stage in stages}:
            raise GhlError.bad_request("Pipeline stage not found in this pipeline")
        return stage_id

    # ------------------------------------------------------------ opportunities
    def get(self, opportunity_id: str) -> Doc:
        doc = self.core.docs.get("opportunity", opportunity_id)
        if doc is None:
            raise GhlError.not_found("Opportunity")
        return doc

    def render(self, doc: Doc) -> Doc:
        out = public(doc)
        out["customFields"] = [
            {"id": field_id, "fieldValue": value} for field_id, value in doc.get("_cf", {}).items() if value is not None
        ]
        contact = self.core.docs.get("contact", doc["contactId"])
        if contact is not None:
            out["contact"] = {
                key: contact.get(key)
                for key in ("id", "name", "companyName", "email", "phone", "tags")
                if contact.get(key) is not None
            }
        return out

    def create(self, body: dict[str, Any]) -> Doc:
        missing = [
            f"{k} should not be empty"
            for k in ("pipelineId", "locationId", "name", "status", "contactId")
            if not body.get(k)
        ]
        if missing:
            raise GhlError.unprocessable(missing)
        if body["locationId"] != self.core.location_id:
            raise GhlError.location_forbidden()
        pipeline = self._pipeline(body["pipelineId"])
        stage_id = self._check_stage(pipeline, body.get("pipelineStageId"))
        self.contacts.get(body["contactId"])
        if not self.core.settings().get("allowDuplicateOpportunity", False):
            for existing in self.core.docs.all("opportunity"):
                if existing["contactId"] == body["contactId"] and existing["pipelineId"] == pipeline["id"]:
                    raise GhlError.duplicate_opportunity(existing["id"])
        now = self.core.now()
        doc: Doc = {
            "id": self.core.ids.next_id(),
            "name": body["name"],
            "monetaryValue": body.get("monetaryValue", 0),
            "pipelineId": pipeline["id"],
            "pipelineStageId": stage_id,
            "assignedTo": body.get("assignedTo"),
            "status": self._status(body["status"]),
            "source": "",
            "lastStatusChangeAt": now,
            "lastStageChangeAt": now,
            "lastActionDate": now,
            "createdAt": now,
            "updatedAt": now,
            "contactId": body["contactId"],
            "locationId": self.core.location_id,
            "_cf": self.custom_fields.resolve_values(body.get("customFields") or [], "opportunity"),
        }
        doc = {k: v for k, v in doc.items() if v is not None}
        self.core.docs.put("opportunity", doc)
        self.core.emit("OpportunityCreate", self.webhook_shape(doc))
        return doc

    def update(self, opportunity_id: str, body: dict[str, Any]) -> Doc:
        before = self.get(opportunity_id)
        after = dict(before)
        pipeline = self._pipeline(str(body.get("pipelineId") or before["pipelineId"]))
        after["pipelineId"] = pipeline["id"]
        if "pipelineStageId" in body or pipeline["id"] != before["pipelineId"]:
            after["pipelineStageId"] = self._check_stage(pipeline, body.get("pipelineStageId"))
        for key in ("name", "monetaryValue", "assignedTo"):
            if key in body:
                after[key] = body[key]
        if "status" in body:
            after["status"] = self._status(body["status"])
        if "customFields" in body:
            after["_cf"] = {
                **before.get("_cf", {}),
                **self.custom_fields.resolve_values(body["customFields"], "opportunity"),
            }
        return self._save(before, after)

    def set_status(self, opportunity_id: str, status: str) -> Doc:
        before = self.get(opportunity_id)
        return self._save(before, {**before, "status": self._status(status)})

    def move_stage(self, opportunity_id: str, stage_id: str) -> Doc:
        before = self.get(opportunity_id)
        stage = self._check_stage(self._pipeline(before["pipelineId"]), stage_id)
        return self._save(before, {**before, "pipelineStageId": stage})

    def delete(self, opportunity_id: str) -> None:
        self.get(opportunity_id)
        self.core.docs.delete("opportunity", opportunity_id)

    def search(self, params: dict[str, str]) -> tuple[list[Doc], dict[str, Any]]:
        """``GET /opportunities/search``: filters by contact, status, pipeline, stage, text; newest first."""
        try:
            limit = int(params.get("limit", "20"))
            page = int(params.get("page", "1"))
        except ValueError:
            raise GhlError.unprocessable(["limit must be a number conforming to the specified constraints"]) from None
        if not 1 <= limit <= 100:
            raise GhlError.unprocessable(["limit must not be greater than 100"])
        status = params.get("status", "all")
        wanted = {
            "contactId": params.get("contact_id") or params.get("contactId"),
            "pipelineId": params.get("pipeline_id") or params.get("pipelineId"),
            "pipelineStageId": params.get("pipeline_stage_id") or params.get("pipelineStageId"),
            "assignedTo": params.get("assigned_to") or params.get("assignedTo"),
        }
        text = (params.get("q") or "").lower()
        hits = [
            doc
            for doc in self.core.docs.all("opportunity")
            if all(v is None or doc.get(k) == v for k, v in wanted.items())
            and (status == "all" or doc["status"] == status)
            and (not text or text in doc["name"].lower())
        ]
        hits.sort(key=lambda d: (-epoch_ms(d["createdAt"]), d["id"]))
        after_id = params.get("startAfterId")
        start = (page - 1) * limit
        if after_id:
            start = next((i + 1 for i, d in enumerate(hits) if d["id"] == after_id), 0)
        chunk = hits[start : start + limit]
        meta: dict[str, Any] = {
            "total": len(hits),
            "currentPage": start // limit + 1,
            "prevPage": None,
            "nextPage": None,
        }
        if chunk and start + limit < len(hits):
            meta.update(
                startAfterId=chunk[-1]["id"],
                startAfter=epoch_ms(chunk[-1]["createdAt"]),
                nextPage=meta["currentPage"] + 1,
            )
        if meta["currentPage"] > 1:
            meta["prevPage"] = meta["currentPage"] - 1
        return chunk, meta

    # ------------------------------------------------------------ internals
    @staticmethod
    def _status(status: str) -> str:
        if status not in STATUSES:
            raise GhlError.unprocessable([f"status must be one of the following values: {', '.join(STATUSES)}"])
        return status

    def _save(self, before: Doc, after: Doc) -> Doc:
        now = self.core.now()
        after["updatedAt"] = after["lastActionDate"] = now
        if after["pipelineStageId"] != before["pipelineStageId"]:
            after["lastStageChangeAt"] = now
        if after["status"] != before["status"]:
            after["lastStatusChangeAt"] = now
        self.core.docs.put("opportunity", after)
        if after["pipelineStageId"] != before["pipelineStageId"]:
            self.core.emit("OpportunityStageUpdate", self.webhook_shape(after))
        if after["status"] != before["status"]:
            self.core.emit("OpportunityStatusUpdate", self.webhook_shape(after))
        return after

    @staticmethod
    def webhook_shape(doc: Doc) -> dict[str, Any]:
        keys = (
            "id",
            "assignedTo",
            "contactId",
            "monetaryValue",
            "name",
            "pipelineId",
            "pipelineStageId",
            "source",
            "status",
        )
        shape = {key: doc[key] for key in keys if doc.get(key) is not None}
        shape["dateAdded"] = doc["createdAt"]
        return shape
