"""Records of one module in memory, with indexes on the fields used for duplicate checks and uniqueness.

Stored form: field api names to values; lookups as ``{"id": ...}`` (names are resolved when rendering);
``Tag`` as a list of ``{"name", "id"}``; multi-module lookups keep their module in ``$se_module``.

Example:
    >>> store = ModuleRecords("Leads")
    >>> store.put({"id": "1", "Email": "A@x.io"})
    >>> store.find("Email", "a@x.io")
    ['1']
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from leadflow_emulators.zoho.models.validation import normalize_key


class ModuleRecords:
    """Live records (insertion-ordered), the recycle bin, and lazily built per-field indexes."""

    def __init__(self, module: str) -> None:
        self.module = module
        self.live: dict[str, dict[str, Any]] = {}
        self.deleted: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self._indexes: dict[str, dict[str, list[str]]] = {}
        self.version = 0  # bumped on every change, so sorted views can be cached

    def __len__(self) -> int:
        return len(self.live)

    def get(self, record_id: str) -> dict[str, Any] | None:
        return self.live.get(record_id)

    def iter(self) -> Iterator[dict[str, Any]]:
        return iter(list(self.live.values()))

    def _index(self, field: str) -> dict[str, list[str]]:
        index = self._indexes.get(field)
        if index is None:
            index = {}
            for record_id, record in self.live.items():
                value = record.get(field)
                if value not in (None, ""):
                    index.setdefault(normalize_key(value), []).append(record_id)
            self._indexes[field] = index
        return index

    def find(self, field: str, value: Any) -> list[str]:
        """Ids of live records whose ``field`` equals ``value`` (case-insensitive), oldest first."""
        if value in (None, ""):
            return []
        return list(self._index(field).get(normalize_key(value), ()))

    def _unindex(self, record: dict[str, Any]) -> None:
        record_id = record["id"]
        for field, index in self._indexes.items():
            value = record.get(field)
            if value in (None, ""):
                continue
            ids = index.get(normalize_key(value))
            if ids and record_id in ids:
                ids.remove(record_id)
                if not ids:
                    del index[normalize_key(value)]

    def _reindex(self, record: dict[str, Any]) -> None:
        record_id = record["id"]
        for field, index in self._indexes.items():
            value = record.get(field)
            if value not in (None, ""):
                ids = index.setdefault(normalize_key(value), [])
                if record_id not in ids:
                    ids.append(record_id)

    def put(self, record: dict[str, Any]) -> None:
        """Insert or replace a live record, keeping the indexes right."""
        self.version += 1
        old = self.live.get(record["id"])
        if old is not None:
            self._unindex(old)
        self.live[record["id"]] = record
        self._reindex(record)

    def change(self, record_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply field changes to a live record in place; returns it."""
        self.version += 1
        record = self.live[record_id]
        touched = [field for field in changes if field in self._indexes]
        if touched:
            self._unindex(record)
        record.update(changes)
        if touched:
            self._reindex(record)
        return record

    def rekey(self, old_id: str, new_id: str) -> dict[str, Any]:
        """Give a live record another id (seeding with fixed ids)."""
        self.version += 1
        record = self.live.pop(old_id)
        self._unindex(record)
        record["id"] = new_id
        self.live[new_id] = record
        self._reindex(record)
        return record

    def to_recycle_bin(self, record_id: str, info: dict[str, Any]) -> dict[str, Any]:
        self.version += 1
        record = self.live.pop(record_id)
        self._unindex(record)
        self.deleted[record_id] = (record, info)
        return record

    def clear(self) -> None:
        self.version += 1
        self.live.clear()
        self.deleted.clear()
        self._indexes.clear()
