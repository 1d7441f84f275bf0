"""The tags layer of the Zoho backend: a module's tags (create, rename, delete) and tags on records.

Example:
    >>> from leadflow_emulators.zoho.models.backend import ZohoBackend
    >>> backend = ZohoBackend(seed=1)
    >>> [lead] = backend.insert("Leads", [{"Last_Name": "Ng"}])
    >>> [result.code for result in backend.tag_records("Leads", [lead.id], ["vip"])]
    ['SUCCESS']
    >>> [tag["name"] for tag in backend.tags("Leads")]
    ['vip']
"""

from __future__ import annotations

from typing import Any

from leadflow_emulators.common.clock import iso
from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.records import MAX_WRITE_RECORDS, RecordsLayer
from leadflow_emulators.zoho.models.results import RecordError, RecordResult


class TagsLayer(RecordsLayer):
    """Tags of modules and records (see the module docstring)."""

    # ------------------------------------------------------------------ tags
    def tags(self, module: str) -> list[dict[str, Any]]:
        meta = self.module(module)
        with self.lock:
            return [dict(tag) for tag in self._tags[meta.api_name].values()]

    def _new_tag(self, module: str, name: str) -> dict[str, Any]:
        now = iso(self.clock.now())
        user = self.directory.minified(self.directory.current_user_id)
        tag = {
            "name": name,
            "id": self.ids.next_id(),
            "created_time": now,
            "modified_time": now,
            "created_by": user,
            "modified_by": user,
            "color_code": "#B88562",
        }
        self._tags[module][name.lower()] = tag
        self._mark_setting("tags")
        return tag

    def create_tag(self, module: str, name: Any, index: int = 0) -> dict[str, Any]:
        """Create one tag; ``RecordError`` DUPLICATE_DATA when the name exists, INVALID_DATA when empty."""
        meta = self.module(module)
        with self.transaction():
            if not isinstance(name, str) or not name.strip():
                raise RecordError(
                    "MANDATORY_NOT_FOUND",
                    "required field not found",
                    {"api_name": "name", "json_path": f"$.tags[{index}].name"},
                )
            if len(name) > 25:
                raise RecordError(
                    "INVALID_DATA",
                    "invalid data",
                    {"api_name": "name", "json_path": f"$.tags[{index}].name", "maximum_length": 25},
                )
            existing = self._tags[meta.api_name].get(name.strip().lower())
            if existing is not None:
                raise RecordError(
                    "DUPLICATE_DATA",
                    "duplicate data",
                    {"api_name": "name", "json_path": f"$.tags[{index}].name", "id": existing["id"]},
                )
            return self._new_tag(meta.api_name, name.strip())

    def _tag_by_id(self, module: str, tag_id: str) -> dict[str, Any]:
        for tag in self._tags[module].values():
            if tag["id"] == str(tag_id):
                return tag
        raise ZohoError(400, "INVALID_DATA", "the id given seems to be invalid", {"api_name": "id", "id": str(tag_id)})

    def rename_tag(self, module: str, tag_id: str, new_name: Any) -> dict[str, Any]:
        meta = self.module(module)
        with self.transaction():
            tag = self._tag_by_id(meta.api_name, tag_id)
            if not isinstance(new_name, str) or not new_name.strip():
                raise ZohoError.mandatory_missing("name")
            clash = self._tags[meta.api_name].get(new_name.strip().lower())
            if clash is not None and clash["id"] != tag["id"]:
                raise ZohoError(400, "DUPLICATE_DATA", "duplicate data", {"api_name": "name", "id": clash["id"]})
            del self._tags[meta.api_name][tag["name"].lower()]
            tag["name"] = new_name.strip()
            tag["modified_time"] = iso(self.clock.now())
            self._tags[meta.api_name][tag["name"].lower()] = tag
            self._mark_setting("tags")
            for record in self._records[meta.api_name].live.values():
                for entry in record.get("Tag") or []:
                    if entry["id"] == tag["id"]:
                        entry["name"] = tag["name"]
                        self._dirty(meta.api_name, record["id"])
            return dict(tag)

    def delete_tag(self, module: str, tag_id: str) -> dict[str, Any]:
        meta = self.module(module)
        with self.transaction():
            tag = self._tag_by_id(meta.api_name, tag_id)
            del self._tags[meta.api_name][tag["name"].lower()]
            self._mark_setting("tags")
            for record in self._records[meta.api_name].live.values():
                kept = [entry for entry in record.get("Tag") or [] if entry["id"] != tag["id"]]
                if len(kept) != len(record.get("Tag") or []):
                    record["Tag"] = kept
                    self._dirty(meta.api_name, record["id"])
            return dict(tag)

    def tag_records(
        self, module: str, ids: list[Any], names: list[str], *, remove: bool = False, over_write: bool = False
    ) -> list[RecordResult]:
        """Add (or remove) tags on many records; unknown tags are created when adding."""
        meta = self.module(module)
        if len(ids) > MAX_WRITE_RECORDS:
            raise ZohoError(
                400, "LIMIT_EXCEEDED", "Record count exceeded", {"limit": MAX_WRITE_RECORDS, "param": "ids"}
            )
        store = self._records[meta.api_name]
        results: list[RecordResult] = []
        with self.transaction():
            wanted: list[dict[str, Any]] = []
            for name in names:
                tag = self._tags[meta.api_name].get(name.strip().lower())
                if tag is None and not remove:
                    tag = self._new_tag(meta.api_name, name.strip())
                if tag is not None:
                    wanted.append({"name": tag["name"], "id": tag["id"], "color_code": tag.get("color_code")})
            for raw_id in ids:
                record_id = str(raw_id)
                record = store.live.get(record_id)
                if record is None:
                    results.append(
                        RecordResult.error("INVALID_DATA", "the id given seems to be invalid", {"id": record_id})
                    )
                    continue
                current = list(record.get("Tag") or [])
                if remove:
                    drop = {tag["id"] for tag in wanted}
                    current = [tag for tag in current if tag["id"] not in drop]
                elif over_write:
                    current = [dict(tag) for tag in wanted]
                else:
                    have = {tag["id"] for tag in current}
                    current.extend(dict(tag) for tag in wanted if tag["id"] not in have)
                record["Tag"] = current
                record["Modified_Time"] = iso(self.clock.now())
                self._dirty(meta.api_name, record_id)
                self.count(meta.api_name, "tags_removed" if remove else "tags_added")
                results.append(
                    RecordResult(
                        True,
                        "SUCCESS",
                        "tags removed successfully" if remove else "tags updated successfully",
                        {"id": record_id, "tags": [dict(tag) for tag in current]},
                        id=record_id,
                    )
                )
        return results
