"""COQL and bulk jobs bound to the emulator's backend: its field metadata, stored records and write path.

Bulk rows go through ``ZohoBackend.insert/update/upsert`` (the REST API's own per-record validation) in
chunks without the 100-record cap. Users (``Owner.last_name`` in COQL) come from the backend's directory.

Example:
    >>> from leadflow_emulators.zoho.models.backend import ZohoBackend
    >>> source = BackendSource(ZohoBackend(seed=1))
    >>> [o.action for o in source.write("Leads", "insert", [{"Last_Name": "Ng"}], None)]
    ['insert']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from leadflow_emulators.zoho.bulk import Operation, RowOutcome
from leadflow_emulators.zoho.coql_eval import FieldInfo, FieldLike, Record
from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.results import RecordResult
from leadflow_emulators.zoho.models.validation import normalize_key

if TYPE_CHECKING:
    from leadflow_emulators.zoho.models.backend import ZohoBackend  # the backend owns its bulk jobs

USERS = "users"
INDEX_CAP = 2000  # past this many hits, COQL scans instead of fetching records one by one
_USER_FIELDS: dict[str, FieldLike] = {
    name: FieldInfo(name, data_type)
    for name, data_type in (
        ("id", "bigint"),
        ("first_name", "text"),
        ("last_name", "text"),
        ("full_name", "text"),
        ("name", "text"),
        ("email", "email"),
        ("status", "text"),
        ("country", "text"),
        ("time_zone", "text"),
    )
}


class BackendSource:
    """The record-source callables COQL and bulk jobs need, over one ``ZohoBackend``."""

    def __init__(self, backend: ZohoBackend) -> None:
        self.backend = backend

    def fields(self, module: str) -> Mapping[str, FieldLike] | None:
        """Field metadata by API name; owner and user lookups point at the ``users`` pseudo-module."""
        if module.lower() == USERS:
            return _USER_FIELDS
        try:
            meta = self.backend.fields(module)
        except ZohoError:
            return None
        result: dict[str, FieldLike] = {}
        for name, field_meta in meta.items():
            if field_meta.data_type in ("ownerlookup", "userlookup") and not field_meta.lookup_module:
                result[name] = FieldInfo(name, field_meta.data_type, USERS)
            else:
                result[name] = field_meta
        return result

    def module_fields(self, module: str) -> Mapping[str, FieldLike] | None:
        """Like :meth:`fields` but only for real modules (``users`` is reachable through lookups only)."""
        return None if module.lower() == USERS else self.fields(module)

    def module_name(self, module: str) -> str:
        return self.backend.module(module).api_name

    def module_id(self, module: str) -> str:
        return self.backend.module(module).id

    def mandatory(self, module: str) -> list[str]:
        return self.backend.module(module).mandatory_fields()

    def records(self, module: str) -> Iterable[Record]:
        """Live stored records (lookups as ``{"id"}``), a snapshot taken under the backend lock."""
        if module.lower() == USERS:
            return list(self.backend.directory.users.values())
        with self.backend.lock:
            return list(self.backend.stored_records(module))

    def visible_records(self, module: str, *, include_converted: bool = False) -> Iterable[Record]:
        """What COQL and bulk read see, in ascending id order: like the list and search APIs, converted
        Leads are left out unless asked for (a query that names ``Converted__s``). The backend caches this
        sorted view until the module next changes; it is read-only."""
        if module.lower() == USERS:
            return sorted(self.records(module), key=lambda user: int(user["id"]))
        return self.backend.sorted_records(module, "id", False, "both" if include_converted else "false")

    def indexed(self, module: str, field: str, value: str, *, include_converted: bool = False) -> list[Record] | None:
        """Records whose ``field`` equals ``value`` through the backend's field index (trimmed, any case);
        ``id`` goes straight to the record. Converted Leads are left out as in :meth:`visible_records`.
        None when more than ``INDEX_CAP`` records match: then a scan of the cached sorted view is cheaper."""
        if module.lower() == USERS:
            return None
        with self.backend.lock:
            ids = [value] if field == "id" else self.backend.find_ids(module, field, value)
            if len(ids) > INDEX_CAP:
                return None
            found = [self.backend.get_stored(module, record_id) for record_id in ids]
        hide = not include_converted and module.lower() == "leads"
        return [r for r in found if r is not None and not (hide and r.get("Converted__s"))]

    def get_record(self, module: str, record_id: str) -> Record | None:
        if module.lower() == USERS:
            return self.backend.directory.users.get(record_id)
        with self.backend.lock:
            return self.backend.get_stored(module, record_id)

    def index(self, module: str, field: str) -> dict[str, str]:
        """Normalized value of ``field`` -> id of the oldest record holding it (one pass, for a whole job)."""
        found: dict[str, str] = {}
        for record in self.records(module):
            current = record.get(field)
            if current not in (None, ""):
                found.setdefault(normalize_key(current), str(record["id"]))
        return found

    def write(
        self, module: str, operation: Operation, records: list[dict[str, Any]], find_by: str | None
    ) -> list[RowOutcome]:
        """Write rows through the backend exactly as the REST API would, without the 100-record cap."""
        if operation == "insert":
            results = self.backend.insert(module, records, max_records=None)
        elif operation == "upsert":
            check = None if find_by in (None, "id") else [find_by]
            results = self.backend.upsert(module, records, check, max_records=None)
        else:
            results = self._update(module, records, find_by)
        return [_outcome(result, operation) for result in results]

    def _update(self, module: str, records: list[dict[str, Any]], find_by: str | None) -> list[RecordResult]:
        if find_by in (None, "id"):
            return self.backend.update(module, records, max_records=None)
        assert find_by is not None
        index = self.index(module, find_by)
        rows: list[dict[str, Any]] = []
        positions: list[int] = []
        results: list[RecordResult | None] = []
        for record in records:
            value = record.get(find_by)
            record_id = index.get(normalize_key(value)) if value not in (None, "") else None
            if record_id is None:
                results.append(RecordResult.error("INVALID_DATA", "no record matches find_by", {"api_name": find_by}))
                continue
            positions.append(len(results))
            results.append(None)
            rows.append({**record, "id": record_id})
        for position, result in zip(positions, self.backend.update(module, rows, max_records=None), strict=True):
            results[position] = result
        return [r for r in results if r is not None]


def _outcome(result: RecordResult, operation: Operation) -> RowOutcome:
    if not result.ok:
        column = str(result.details.get("api_name", "")) if isinstance(result.details, Mapping) else ""
        return RowOutcome(False, errors=((result.code, column),))
    action = result.action or ("update" if operation == "update" else "insert")
    return RowOutcome(True, result.id, "update" if action == "update" else "insert")
