"""GoHighLevel's side of record merges. GHL's public API has no contact merge (its specs in
``reference/ghl-openapi`` list none), so a merge is made of idempotent steps: the loser's tags, the custom
fields and standard fields the master has empty, its notes, tasks and opportunities go to the master, then the
loser is deleted. Each step checks the master first (a note with the same text, a task with the same title and
due date, an opportunity of the same name in the same pipeline is not made twice), so a merge interrupted half
way is simply made again. Opportunities cannot change contact (``UpdateOpportunityDto`` has no contactId):
the master gets a copy and the loser's is deleted; when GHL refuses the copy (one open opportunity per contact
and pipeline), the merge fails and the loser is kept, so nothing is lost."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from leadflow.config import GhlSyncSettings
from leadflow.errors import ApiError, Duplicate, NotFound
from leadflow.ghl.client import GhlClient
from leadflow.store.record_merges import MergeRow
from leadflow.sync.merge_plan import RemoteRecord, person_field_sources
from leadflow.sync.target import CallCost

# standard fields the master takes from the loser when it has none: those UpdateContactDto accepts (not
# companyName), less email and phone (GHL's duplicate rule would refuse them while the loser exists; the next sync
# writes the golden record's values)
FILLABLE = ("firstName", "lastName", "address1", "city", "state", "postalCode", "country", "website", "dateOfBirth")


class GhlMerger:
    """Merges GoHighLevel contacts by moving what hangs off the loser onto the master, then deleting it.

    Example:
        >>> merger = GhlMerger(ghl, settings.sync.ghl)  # doctest: +SKIP
        >>> merger.read("contacts", "c1").created  # doctest: +SKIP
        '2026-11-02T09:14:00.000Z'
    """

    name = "ghl"
    per_call = 1

    def __init__(self, ghl: GhlClient, settings: GhlSyncSettings | None = None) -> None:
        self.ghl = ghl
        settings = settings or GhlSyncSettings()
        self._sources = {"contacts": person_field_sources(settings.field_map())}

    @property
    def field_sources(self) -> Mapping[str, Mapping[str, str]]:
        return self._sources

    def read(self, module: str, record_id: str) -> RemoteRecord | None:
        try:
            contact = self.ghl.contacts.get(record_id)
        except NotFound:
            return None
        if not contact:
            return None
        return RemoteRecord(module, str(contact.get("id") or record_id), str(contact.get("dateAdded") or ""), contact)

    def apply(self, merge: MergeRow) -> dict[str, Any]:
        moved: dict[str, int] = {"tags": 0, "fields": 0, "notes": 0, "tasks": 0, "opportunities": 0}
        master = self.ghl.contacts.get(merge.master_id)
        for loser_id in merge.loser_ids:
            loser = self.read(merge.module, loser_id)
            if loser is None:
                continue  # moved and deleted by an earlier attempt
            self._move_fields(master, loser.values, moved)
            self._move_notes(merge.master_id, loser_id, moved)
            self._move_tasks(merge.master_id, loser_id, moved)
            self._move_opportunities(merge.master_id, loser_id, moved)
            with contextlib.suppress(NotFound):  # deleted by an earlier attempt whose answer was lost
                self.ghl.contacts.delete(loser_id)
        return {"master_module": merge.module, "master_id": merge.master_id, "moved": moved}

    def _move_fields(self, master: dict[str, Any], loser: Mapping[str, Any], moved: dict[str, int]) -> None:
        tags = [t for t in loser.get("tags") or [] if t not in set(master.get("tags") or [])]
        if tags:
            master["tags"] = self.ghl.contacts.add_tags(str(master["id"]), tags)
            moved["tags"] += len(tags)
        changes: dict[str, Any] = {
            name: loser[name]
            for name in FILLABLE
            if loser.get(name) not in (None, "") and master.get(name) in (None, "")
        }
        held = {str(c.get("id")) for c in master.get("customFields") or [] if c.get("value") not in (None, "", [])}
        custom = [
            {"id": str(c["id"]), "field_value": c.get("value")}
            for c in loser.get("customFields") or []
            if c.get("id") and str(c["id"]) not in held and c.get("value") not in (None, "", [])
        ]
        if custom:
            changes["customFields"] = custom
        if changes:
            master.update(self.ghl.contacts.update(str(master["id"]), changes))
            moved["fields"] += len(changes) - (1 if custom else 0) + len(custom)

    def _move_notes(self, master_id: str, loser_id: str, moved: dict[str, int]) -> None:
        held = {note.get("body") for note in self.ghl.notes.list(master_id)}
        for note in self.ghl.notes.list(loser_id):
            if note.get("body") not in held:
                self.ghl.notes.create(master_id, str(note.get("body") or ""))
                moved["notes"] += 1
            self.ghl.notes.delete(loser_id, str(note["id"]))

    def _move_tasks(self, master_id: str, loser_id: str, moved: dict[str, int]) -> None:
        held = {(task.get("title"), task.get("dueDate")) for task in self.ghl.tasks.list(master_id)}
        for task in self.ghl.tasks.list(loser_id):
            if (task.get("title"), task.get("dueDate")) not in held:
                self.ghl.tasks.create(
                    master_id,
                    title=str(task.get("title") or ""),
                    due_date=str(task.get("dueDate") or ""),
                    body=task.get("body") or None,
                    assigned_to=task.get("assignedTo") or None,
                    completed=bool(task.get("completed")),
                )
                moved["tasks"] += 1
            self.ghl.tasks.delete(loser_id, str(task["id"]))

    def _move_opportunities(self, master_id: str, loser_id: str, moved: dict[str, int]) -> None:
        held = {
            (o.get("pipelineId"), o.get("name"))
            for o in self.ghl.opportunities.search(contact_id=master_id, status="all")
        }
        for opportunity in list(self.ghl.opportunities.search(contact_id=loser_id, status="all")):
            if (opportunity.get("pipelineId"), opportunity.get("name")) not in held:
                extra: dict[str, Any] = {}
                if opportunity.get("assignedTo"):
                    extra["assignedTo"] = opportunity["assignedTo"]
                try:
                    self.ghl.opportunities.create(
                        pipeline_id=str(opportunity["pipelineId"]),
                        contact_id=master_id,
                        name=str(opportunity.get("name") or ""),
                        stage_id=opportunity.get("pipelineStageId") or None,
                        status=opportunity.get("status") or "open",
                        monetary_value=opportunity.get("monetaryValue"),
                        extra=extra,
                    )
                except Duplicate as exc:
                    raise ApiError(
                        f"contact {master_id} already has an open opportunity in pipeline"
                        f" {opportunity['pipelineId']}; {loser_id}'s opportunity {opportunity['id']} was not moved"
                        " and the contact is kept (close one of the two, then sync again)",
                        status=exc.status,
                        vendor_code="OPPORTUNITY_NOT_MOVED",
                        details=dict(exc.details or {}),
                    ) from exc
                moved["opportunities"] += 1
            self.ghl.opportunities.delete(str(opportunity["id"]))

    def settled(self, merge: MergeRow) -> bool | None:
        if self.read(merge.module, merge.master_id) is None:
            return None
        return all(self.read(merge.module, loser) is None for loser in merge.loser_ids)

    def usage(self) -> CallCost:
        sent = self.ghl.api.transport.stats.attempts
        return CallCost(sent, sent)
