"""Zoho's side of record merges: ``POST /{module}/{id}/actions/merge`` (related Notes, Tasks, Calls, Deals and
tags move to the master, the others go to the recycle bin) and, for a Lead whose person has a Contact, lead
conversion into that existing Contact (Zoho never merges across modules)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadflow.config import ZohoSyncSettings
from leadflow.errors import ApiError
from leadflow.store.record_merges import MergeRow
from leadflow.sync.merge_plan import ZOHO_MERGE_MAX, RemoteRecord, person_field_sources
from leadflow.sync.target import CallCost
from leadflow.zoho.client import ZohoClient

PERSON_MODULES = ("Leads", "Contacts")


class ZohoMerger:
    """Merges Zoho Leads and Contacts.

    Example:
        >>> merger = ZohoMerger(zoho, settings.sync.zoho)  # doctest: +SKIP
        >>> merger.read("Contacts", "5725767000000415001").created  # doctest: +SKIP
        '2026-11-02T09:14:00+00:00'
    """

    name = "zoho"
    per_call = ZOHO_MERGE_MAX

    def __init__(self, zoho: ZohoClient, settings: ZohoSyncSettings | None = None) -> None:
        self.zoho = zoho
        settings = settings or ZohoSyncSettings()
        self._sources = {module: person_field_sources(settings.field_map(module)) for module in PERSON_MODULES}

    @property
    def field_sources(self) -> Mapping[str, Mapping[str, str]]:
        return self._sources

    def read(self, module: str, record_id: str) -> RemoteRecord | None:
        record = self.zoho.module(module).get(record_id)
        if record is None or record.get("Converted__s") or record.get("$converted"):
            return None
        return RemoteRecord(module, str(record["id"]), str(record.get("Created_Time") or ""), dict(record))

    def apply(self, merge: MergeRow) -> dict[str, Any]:
        if merge.action == "convert_into_contact":
            contact = self.zoho.contacts.get(merge.master_id)
            account = (contact or {}).get("Account_Name")
            account_id = str(account["id"]) if isinstance(account, dict) and account.get("id") else None
            try:
                result = self.zoho.leads.convert(merge.loser_ids[0], contact_id=merge.master_id, account_id=account_id)
            except ApiError as exc:
                if exc.vendor_code != "ID_ALREADY_CONVERTED":
                    raise
                # converted by the other path that folds Leads into Contacts (the sync's lead_matched_to_contact)
                return {"master_module": "Contacts", "found": "already converted"}
            return {"master_module": "Contacts", "contact_id": result.contact_id, "account_id": result.account_id}
        master = self.zoho.merge.records(merge.module, merge.master_id, merge.loser_ids, keep=merge.keep or None)
        return {"master_module": merge.module, "master_id": master, "merged": merge.loser_ids}

    def settled(self, merge: MergeRow) -> bool | None:
        master_module = "Contacts" if merge.action == "convert_into_contact" else merge.module
        if self.zoho.module(master_module).get(merge.master_id) is None:
            return None
        # merged (the losers are in the recycle bin) or converted when none is left
        return all(self.read(merge.module, loser) is None for loser in merge.loser_ids)

    def usage(self) -> CallCost:
        figures = self.zoho.credits
        return CallCost(figures.calls, figures.spent)
