"""Find and merge: fold up to two duplicates into a master record (Zoho moves their related records)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from leadflow.errors import InputError
from leadflow.zoho.api import ZohoApi
from leadflow.zoho.refusals import refusal

MAX_MERGED = 2
MERGE_COST = 1


class MergeApi:
    """``POST /{module}/{master_id}/actions/merge``.

    Example:
        >>> zoho.merge.records("Contacts", "5725767000000415001", ["5725767000000415002"],
        ...                    keep={"Email": "5725767000000415002"})  # doctest: +SKIP
        '5725767000000415001'
    """

    def __init__(self, api: ZohoApi) -> None:
        self.api = api

    def records(
        self, module: str, master_id: str, others: Sequence[str], *, keep: Mapping[str, str] | None = None
    ) -> str:
        """Merge ``others`` (at most two, same module) into ``master_id``; ``keep`` maps a field to the id of
        the record whose value the master takes. Returns the master's id; raises ApiError when Zoho refuses.

        Example:
            >>> zoho.merge.records("Leads", master, [duplicate])  # doctest: +SKIP
            '5725767000000412001'
        """
        if not others:
            raise InputError("merge needs at least one record besides the master")
        if len(others) > MAX_MERGED:
            raise InputError(f"Zoho merges at most {MAX_MERGED} records into a master at once")
        if master_id in others:
            raise InputError("a record cannot be merged into itself")
        allowed = {master_id, *others}
        item: dict[str, Any] = {"data": [{"id": other} for other in others]}
        if keep:
            unknown = {source for source in keep.values() if source not in allowed}
            if unknown:
                raise InputError(f"merge keep= names records that are not merged: {', '.join(sorted(unknown))}")
            item["master_record_fields"] = [
                {"api_name": name, "_data": [{"id": source}]} for name, source in keep.items()
            ]
        reply = self.api.call(
            "POST",
            self.api.crm_url(f"{module}/{master_id}/actions/merge"),
            json={"merge": [item]},
            cost=MERGE_COST,
            idempotent=False,
            batch=True,
            label=f"merge {module}",
        )
        items = reply.body.get("merge") if isinstance(reply.body, dict) else None
        first = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
        if first.get("status") != "success":
            raise refusal(reply.status, first, f"merge into {module} {master_id} refused")
        return master_id
