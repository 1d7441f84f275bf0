"""Tags: create and list per module, add to and remove from many records at once."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence, Sized
from typing import Any

from leadflow.errors import BatchInterrupted, InputError, LeadflowError, PartialBatch
from leadflow.http import chunked
from leadflow.zoho.api import ZohoApi
from leadflow.zoho.results import RecordResult

IDS_PER_CALL = 100
TAGS_PER_CALL = 10


class TagsApi:
    """Zoho tags.

    Example:
        >>> results = zoho.tags.add("Leads", ["5725767000000412001"], ["lf:segment-a"])  # doctest: +SKIP
        >>> all(r.ok for r in results)  # doctest: +SKIP
        True
    """

    def __init__(self, api: ZohoApi) -> None:
        self.api = api

    def list(self, module: str) -> list[dict[str, Any]]:
        """The tags defined for ``module`` (``id``, ``name``, ...)."""
        body = self.api.call("GET", self.api.crm_url("settings/tags"), params={"module": module}).body
        return list(body.get("tags", [])) if isinstance(body, dict) else []

    def create(self, module: str, names: Sequence[str]) -> builtins.list[RecordResult]:
        """Create tags in ``module``; one result per name (an existing name fails with ``DUPLICATE_DATA``)."""
        results: builtins.list[RecordResult] = []
        offset = 0
        for chunk in chunked(names, 50):
            try:
                reply = self.api.call(
                    "POST",
                    self.api.crm_url("settings/tags"),
                    params={"module": module},
                    json={"tags": [{"name": name} for name in chunk]},
                    idempotent=False,
                    batch=True,
                    label="create tags",
                )
            except LeadflowError as exc:
                if not results:
                    raise
                raise BatchInterrupted(exc, PartialBatch(results, offset), total=len(names)) from exc
            items = reply.body.get("tags", []) if isinstance(reply.body, dict) else []
            results += [
                RecordResult.from_item(offset + i, item, default_action="insert") for i, item in enumerate(items)
            ]
            offset += len(chunk)
        return results

    def rename(self, module: str, tag_id: str, new_name: str) -> RecordResult:
        """Rename a tag."""
        reply = self.api.call(
            "PUT",
            self.api.crm_url(f"settings/tags/{tag_id}"),
            params={"module": module},
            json={"tags": [{"name": new_name}]},
            idempotent=False,
            batch=True,
            label="rename tag",
        )
        items = reply.body.get("tags", []) if isinstance(reply.body, dict) else []
        return RecordResult.from_item(0, items[0] if items else {}, default_action="update")

    def delete(self, tag_id: str) -> None:
        """Delete a tag everywhere."""
        self.api.call("DELETE", self.api.crm_url(f"settings/tags/{tag_id}"), idempotent=False, label="delete tag")

    def add(
        self, module: str, ids: Iterable[str], tags: Sequence[str], *, over_write: bool = False
    ) -> builtins.list[RecordResult]:
        """Add ``tags`` to every record of ``ids`` (100 records and 10 tags per call); one result per record.

        With ``over_write`` the records end with exactly ``tags``. A record's result is an error if any
        of its calls failed.
        """
        return self._apply("add_tags", module, ids, tags, over_write=over_write)

    def remove(self, module: str, ids: Iterable[str], tags: Sequence[str]) -> builtins.list[RecordResult]:
        """Remove ``tags`` from every record of ``ids``; one result per record."""
        return self._apply("remove_tags", module, ids, tags, over_write=None)

    def _apply(
        self, action: str, module: str, ids: Iterable[str], tags: Sequence[str], *, over_write: bool | None
    ) -> builtins.list[RecordResult]:
        if not tags:
            raise InputError(f"{action} needs at least one tag")
        if over_write and len(tags) > TAGS_PER_CALL:
            raise InputError(f"over_write takes at most {TAGS_PER_CALL} tags in one call")
        results: builtins.list[RecordResult] = []
        offset = 0
        for id_chunk in chunked(ids, IDS_PER_CALL):
            merged: dict[int, RecordResult] = {}
            for tag_chunk in chunked(tags, TAGS_PER_CALL):
                body: dict[str, Any] = {"tags": [{"name": t} for t in tag_chunk], "ids": [str(i) for i in id_chunk]}
                if over_write is not None:
                    body["over_write"] = over_write
                try:
                    reply = self.api.call(
                        "POST",
                        self.api.crm_url(f"{module}/actions/{action}"),
                        json=body,
                        idempotent=False,
                        batch=True,
                        complex_call=len(id_chunk) > 10,
                        label=action,
                    )
                except LeadflowError as exc:
                    if not results:
                        raise
                    total = len(ids) if isinstance(ids, Sized) else None
                    raise BatchInterrupted(exc, PartialBatch(results, offset), total=total) from exc
                items = reply.data()
                by_id = {str((it.get("details") or {}).get("id")): it for it in items}
                for position, record_id in enumerate(id_chunk):
                    item = by_id.get(str(record_id)) or (items[position] if position < len(items) else None)
                    if item is None:
                        result = RecordResult.failed(
                            offset + position, code="NO_RESULT", message=f"{action}: no answer for this record"
                        )
                    else:
                        result = RecordResult.from_item(offset + position, item, default_action=action)
                    if position not in merged or not result.ok:
                        merged[position] = result
            results += [merged[p] for p in sorted(merged)]
            offset += len(id_chunk)
        return results
