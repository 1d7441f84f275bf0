"""The records layer of the Zoho backend: render and read records, validate input, insert, update, upsert
and delete with Zoho's per-record codes (the REST routes, COQL and bulk jobs all write through here).

Example:
    >>> from leadflow_emulators.zoho.models.backend import ZohoBackend
    >>> backend = ZohoBackend(seed=1)
    >>> [result.code for result in backend.insert("Leads", [{"Last_Name": "Ng"}, {"First_Name": "x"}])]
    ['SUCCESS', 'MANDATORY_NOT_FOUND']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from leadflow_emulators.common.clock import iso
from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.activities import note_system_keys
from leadflow_emulators.zoho.models.core import BackendCore
from leadflow_emulators.zoho.models.metadata import FieldMeta, ModuleMeta
from leadflow_emulators.zoho.models.results import RecordError, RecordResult
from leadflow_emulators.zoho.models.users import Directory
from leadflow_emulators.zoho.models.validation import coercer_for, lookup_id

MAX_WRITE_RECORDS = 100
_PERSON_MODULES = ("Leads", "Contacts")
_SYSTEM_KEYS = frozenset(
    {"id", "Created_Time", "Modified_Time", "Created_By", "Modified_By", "Tag", "$se_module", "Full_Name"}
)


def _LOOKUP(field: FieldMeta, value: Any, path: str) -> Any:  # marker: lookups need the other modules
    raise AssertionError("lookups are resolved by the backend")


Coercer = Callable[[FieldMeta, Any, str], Any]


def _plan(meta: ModuleMeta) -> dict[str, tuple[FieldMeta, Coercer | None]]:
    """Per field: its metadata and the function that checks a value (None for read-only fields).

    Cached on the module until a field is added: validation runs once per value on every write path.
    """
    cache: dict[str, tuple[int, dict[str, tuple[FieldMeta, Coercer | None]]]] = meta.__dict__.setdefault("_plan", {})
    hit = cache.get("plan")
    if hit is None or hit[0] != len(meta.fields):
        plan: dict[str, tuple[FieldMeta, Coercer | None]] = {}
        for name, field_meta in meta.fields.items():
            if name in _SYSTEM_KEYS:
                continue
            if field_meta.read_only:
                plan[name] = (field_meta, None)
            elif field_meta.is_lookup:
                plan[name] = (field_meta, _LOOKUP)
            else:
                plan[name] = (field_meta, coercer_for(field_meta))
        hit = (len(meta.fields), plan)
        cache["plan"] = hit
    return hit[1]


def _path(index: int, api_name: str) -> str:
    return f"$.data[{index}].{api_name}"


class RecordsLayer(BackendCore):
    """Reading and writing records (see the module docstring)."""

    # ---------------------------------------------------------------- render
    def display_name(self, module: str, record_id: str) -> str | None:
        """The name Zoho shows for a record (Full_Name, Account_Name, Deal_Name, Subject...)."""
        store = self._records.get(module)
        if store is None:
            return None
        record = store.live.get(record_id)
        if record is None:
            deleted = store.deleted.get(record_id)
            record = deleted[0] if deleted else None
        if record is None:
            return None
        value = record.get(self._modules[module].name_field)
        return None if value is None else str(value)

    def _render_value(self, meta: FieldMeta, value: Any, record: dict[str, Any]) -> Any:
        if value is None or not isinstance(value, dict):
            return value
        if meta.data_type in ("ownerlookup", "userlookup"):
            return self.directory.minified(value["id"]) or {"name": None, "id": value["id"]}
        if meta.lookup_module:
            return {"name": self.display_name(meta.lookup_module, value["id"]), "id": value["id"]}
        if meta.multi_module:
            target = (
                record.get("$se_module") if meta.api_name != "Parent_Id" else value.get("module", {}).get("api_name")
            )
            rendered: dict[str, Any] = {
                "name": self.display_name(target, value["id"]) if target else None,
                "id": value["id"],
            }
            if meta.api_name == "Parent_Id" and target:
                rendered["module"] = {"api_name": target, "id": self._modules[target].id}
            return rendered
        return value

    def render(self, module: str, record: dict[str, Any], fields: Iterable[str] | None = None) -> dict[str, Any]:
        """A stored record in Zoho's API shape: every field (or only ``fields`` plus ``id``)."""
        meta = self._modules[module]
        names = list(meta.fields) if fields is None else [name for name in fields if name != "id"]
        out: dict[str, Any] = {}
        for name in names:
            field_meta = meta.fields.get(name)
            value = record.get(name)
            if field_meta is None:
                out[name] = value
            elif name == "Tag":
                out[name] = [dict(tag) for tag in value or []]
            else:
                out[name] = self._render_value(field_meta, value, record)
        if "$se_module" in record and (fields is None or "What_Id" in names):
            out["$se_module"] = record["$se_module"]
        if module == "Notes":
            out.update(note_system_keys(record))
        out["id"] = record["id"]
        return out

    def stored_records(self, module: str) -> Iterator[dict[str, Any]]:
        """Raw stored dicts of live records (do not mutate); lookups are ``{"id"}`` only."""
        with self.lock:
            return self._records[self.module(module).api_name].iter()

    def sorted_records(
        self, module: str, sort_by: str, descending: bool, converted: str = "both"
    ) -> list[dict[str, Any]]:
        """Live records sorted by ``id``, ``Created_Time`` or ``Modified_Time`` (cached until the next change).

        ``converted`` filters Leads as ``iter_records`` does. Paging through a large module with
        ``page_token`` then costs a slice per call, not a sort.
        """
        with self.lock:
            store = self._records[self.module(module).api_name]
            if store.module != "Leads":
                converted = "both"
            key = (store.module, sort_by, descending, converted)
            cached = self._sorted_cache.get(key)
            if cached is not None and cached[0] == store.version:
                return cached[1]

            def order(record: dict[str, Any]) -> Any:
                return int(record["id"]) if sort_by == "id" else (record.get(sort_by) or "", int(record["id"]))

            live: Iterable[dict[str, Any]] = store.live.values()
            if converted != "both":
                live = [record for record in live if bool(record.get("Converted__s")) == (converted == "true")]
            records = sorted(live, key=order, reverse=descending)
            self._sorted_cache[key] = (store.version, records)
            return records

    def iter_records(self, module: str, converted: str = "both") -> Iterator[dict[str, Any]]:
        """Every live record of ``module`` in API shape, oldest first.

        ``converted``: ``"false"`` hides converted Leads, ``"true"`` keeps only them, ``"both"`` keeps all.
        """
        name = self.module(module).api_name
        for record in self._records[name].iter():
            if name == "Leads" and converted != "both" and bool(record.get("Converted__s")) != (converted == "true"):
                continue
            with self.lock:
                yield self.render(name, record)

    def get_record(self, module: str, record_id: str) -> dict[str, Any] | None:
        with self.lock:
            name = self.module(module).api_name
            record = self._records[name].get(str(record_id))
            return None if record is None else self.render(name, record)

    def find(self, module: str, field: str, value: Any) -> list[str]:
        """Ids of live records whose ``field`` equals ``value`` (case-insensitive, indexed), oldest first."""
        with self.lock:
            return self._records[self.module(module).api_name].find(field, value)

    find_ids = find  # the name the bulk jobs use

    def get_stored(self, module: str, record_id: str) -> dict[str, Any] | None:
        return self._records[self.module(module).api_name].get(str(record_id))

    # ------------------------------------------------------------ validation
    def _lookup(
        self,
        meta: ModuleMeta,
        field_meta: FieldMeta,
        value: Any,
        row: dict[str, Any],
        index: int,
        changes: dict[str, Any],
    ) -> dict[str, Any] | None:
        path = _path(index, field_meta.api_name)
        if value is None:
            return None
        target_id = lookup_id(field_meta, value, path)
        if field_meta.data_type in ("ownerlookup", "userlookup"):
            if target_id not in self.directory.users:
                raise RecordError("INVALID_DATA", "invalid data", {"api_name": field_meta.api_name, "json_path": path})
            return {"id": target_id}
        if field_meta.lookup_module:
            if target_id not in self._records[field_meta.lookup_module].live:
                raise RecordError("INVALID_DATA", "invalid data", {"api_name": field_meta.api_name, "json_path": path})
            return {"id": target_id}
        # Multi-module lookup: the target module comes from $se_module or from the value's own "module".
        target = row.get("$se_module") or row.get("se_module")  # v2 Notes send se_module
        if isinstance(value, dict) and isinstance(value.get("module"), dict):
            target = value["module"].get("api_name") or target
        if not target:
            raise RecordError(
                "MANDATORY_NOT_FOUND",
                "required field not found",
                {"api_name": "$se_module", "json_path": _path(index, "$se_module")},
            )
        if target not in field_meta.multi_module or target_id not in self._records[target].live:
            raise RecordError("INVALID_DATA", "invalid data", {"api_name": field_meta.api_name, "json_path": path})
        if field_meta.api_name == "Parent_Id":
            return {"id": target_id, "module": {"api_name": target}}
        changes["$se_module"] = target
        return {"id": target_id}

    def _clean(self, meta: ModuleMeta, row: Any, index: int, *, creating: bool) -> dict[str, Any]:
        """Validated changes for one input record, or ``RecordError`` with Zoho's code and details."""
        if not isinstance(row, dict):
            raise RecordError("INVALID_DATA", "invalid data", {"api_name": "data", "json_path": f"$.data[{index}]"})
        plan = _plan(meta)
        changes: dict[str, Any] = {}
        prefix = f"$.data[{index}]."
        for key, value in row.items():
            step = plan.get(key)
            if step is None:
                if key in _SYSTEM_KEYS or key.startswith("$") or key == "se_module":
                    continue
                raise RecordError("INVALID_DATA", "invalid data", {"api_name": key, "json_path": _path(index, key)})
            field_meta, coercer = step
            if coercer is None:  # read-only: ignored, as Zoho does
                continue
            if value is None:
                changes[key] = None
            elif coercer is _LOOKUP:
                changes[key] = self._lookup(meta, field_meta, value, row, index, changes)
            else:
                changes[key] = coercer(field_meta, value, prefix + key)
        for name in meta.mandatory_fields():
            missing = changes.get(name) in (None, "") if (creating or name in changes) else False
            if missing:
                raise RecordError(
                    "MANDATORY_NOT_FOUND",
                    "required field not found",
                    {"api_name": name, "json_path": _path(index, name)},
                )
        return changes

    def _check_unique(self, meta: ModuleMeta, changes: dict[str, Any], index: int, own_id: str | None) -> None:
        store = self._records[meta.api_name]
        for name in meta.unique_fields():
            value = changes.get(name)
            if value in (None, ""):
                continue
            others = [other for other in store.find(name, value) if other != own_id]
            if others:
                raise RecordError(
                    "DUPLICATE_DATA",
                    "duplicate data",
                    {
                        "api_name": name,
                        "json_path": _path(index, name),
                        "duplicate_record": {
                            "module": {"api_name": meta.api_name, "id": meta.id},
                            "id": others[0],
                            "Owner": self.directory.minified(store.live[others[0]]["Owner"]["id"]),
                        },
                        "more_records": len(others) > 1,
                    },
                )

    # ---------------------------------------------------------------- writes
    def _full_name(self, meta: ModuleMeta, record: dict[str, Any]) -> None:
        if meta.api_name in _PERSON_MODULES:
            parts = [record.get("First_Name"), record.get("Last_Name")]
            record["Full_Name"] = " ".join(str(part) for part in parts if part)

    def _create(self, meta: ModuleMeta, changes: dict[str, Any], user_id: str) -> dict[str, Any]:
        now = iso(self.clock.now())
        user = {"id": user_id}
        record: dict[str, Any] = {"id": self.ids.next_id(), "Owner": dict(user)}
        changes = self.hooks.prepare(meta.api_name, dict(changes), None)
        record.update(changes)
        if record.get("Owner") is None:
            record["Owner"] = dict(user)
        record.update(
            {"Created_Time": now, "Modified_Time": now, "Created_By": dict(user), "Modified_By": dict(user), "Tag": []}
        )
        if meta.api_name == "Leads":
            record.setdefault("Converted__s", False)
        self._full_name(meta, record)
        self._records[meta.api_name].put(record)
        self._dirty(meta.api_name, record["id"])
        self.count(meta.api_name, "created")
        self.hooks.written(meta.api_name, "create", record, set(changes))
        return record

    def _modify(self, meta: ModuleMeta, record_id: str, changes: dict[str, Any], user_id: str) -> dict[str, Any]:
        changes = self.hooks.prepare(meta.api_name, dict(changes), self._records[meta.api_name].live.get(record_id))
        if "Owner" in changes and changes["Owner"] is None:
            del changes["Owner"]
        changes["Modified_Time"] = iso(self.clock.now())
        changes["Modified_By"] = {"id": user_id}
        record = self._records[meta.api_name].change(record_id, changes)
        self._full_name(meta, record)
        self._dirty(meta.api_name, record_id)
        self.count(meta.api_name, "updated")
        self.hooks.written(meta.api_name, "edit", record, set(changes))
        return record

    @staticmethod
    def _created_result(record: dict[str, Any], directory: Directory) -> RecordResult:
        user = directory.minified(record["Created_By"]["id"])
        return RecordResult(
            True,
            "SUCCESS",
            "record added",
            {
                "Modified_Time": record["Modified_Time"],
                "Modified_By": user,
                "Created_Time": record["Created_Time"],
                "id": record["id"],
                "Created_By": user,
            },
            id=record["id"],
            action="insert",
        )

    def _updated_result(self, record: dict[str, Any]) -> RecordResult:
        return RecordResult(
            True,
            "SUCCESS",
            "record updated",
            {
                "Modified_Time": record["Modified_Time"],
                "Modified_By": self.directory.minified(record["Modified_By"]["id"]),
                "Created_Time": record["Created_Time"],
                "id": record["id"],
                "Created_By": self.directory.minified(record["Created_By"]["id"]),
            },
            id=record["id"],
            action="update",
        )

    def _check_count(self, rows: list[Any]) -> None:
        if len(rows) > MAX_WRITE_RECORDS:
            raise ZohoError(
                400, "LIMIT_EXCEEDED", "Record count exceeded", {"limit": MAX_WRITE_RECORDS, "api_name": "data"}
            )

    @staticmethod
    def _writable(meta: ModuleMeta) -> ModuleMeta:
        """``meta``, or NOT_SUPPORTED for a module only Zoho writes (Stage_History)."""
        if not meta.api_writable:
            raise ZohoError(
                400, "NOT_SUPPORTED", f"{meta.api_name} records are written by Zoho only", {"resource_path_index": 0}
            )
        return meta

    def insert(
        self, module: str, rows: list[Any], *, user_id: str | None = None, max_records: int | None = MAX_WRITE_RECORDS
    ) -> list[RecordResult]:
        """Create records; one ``RecordResult`` per input row, in order."""
        meta = self._writable(self.module(module))
        if max_records is not None:
            self._check_count(rows)
        uid = user_id or self.directory.current_user_id
        results: list[RecordResult] = []
        with self.transaction():
            for index, row in enumerate(rows):
                try:
                    changes = self._clean(meta, row, index, creating=True)
                    self._check_unique(meta, changes, index, None)
                except RecordError as error:
                    results.append(RecordResult.from_error(error))
                    continue
                results.append(self._created_result(self._create(meta, changes, uid), self.directory))
        return results

    def update(
        self,
        module: str,
        rows: list[Any],
        *,
        user_id: str | None = None,
        if_unmodified_since: datetime | None = None,
        max_records: int | None = MAX_WRITE_RECORDS,
    ) -> list[RecordResult]:
        """Update records by their ``id``; one ``RecordResult`` per input row."""
        meta = self._writable(self.module(module))
        if max_records is not None:
            self._check_count(rows)
        uid = user_id or self.directory.current_user_id
        store = self._records[meta.api_name]
        results: list[RecordResult] = []
        with self.transaction():
            for index, row in enumerate(rows):
                try:
                    raw_id = row.get("id") if isinstance(row, dict) else None
                    if raw_id is None or raw_id == "":
                        raise RecordError(
                            "MANDATORY_NOT_FOUND",
                            "required field not found",
                            {"api_name": "id", "json_path": _path(index, "id")},
                        )
                    record_id = str(raw_id)
                    if record_id not in store.live:
                        raise RecordError(
                            "INVALID_DATA",
                            "the id given seems to be invalid",
                            {"api_name": "id", "json_path": _path(index, "id")},
                        )
                    if if_unmodified_since is not None:
                        modified = datetime.fromisoformat(store.live[record_id]["Modified_Time"])
                        if modified > if_unmodified_since:
                            raise RecordError(
                                "ALREADY_MODIFIED",
                                "record modified after the given time",
                                {
                                    "id": record_id,
                                    "api_name": "Modified_Time",
                                    "Modified_Time": store.live[record_id]["Modified_Time"],
                                },
                            )
                    changes = self._clean(meta, row, index, creating=False)
                    self._check_unique(meta, changes, index, record_id)
                except RecordError as error:
                    results.append(RecordResult.from_error(error))
                    continue
                results.append(self._updated_result(self._modify(meta, record_id, changes, uid)))
        return results

    def resolve_duplicate_fields(self, module: str, requested: list[Any] | None) -> list[str]:
        """The duplicate-check fields an upsert uses: the requested ones (checked) or the module's defaults."""
        meta = self.module(module)
        if not requested:
            return meta.duplicate_check_fields()
        names: list[str] = []
        for index, name in enumerate(requested):
            field_meta = meta.fields.get(name) if isinstance(name, str) else None
            if (
                field_meta is None
                or field_meta.read_only
                or field_meta.data_type in ("multiselectpicklist", "boolean", "textarea")
            ):
                raise ZohoError(
                    400,
                    "INVALID_DATA",
                    "invalid data",
                    {"api_name": str(name), "json_path": f"$.duplicate_check_fields[{index}]"},
                )
            names.append(name)
        return names

    def upsert(
        self,
        module: str,
        rows: list[Any],
        duplicate_check_fields: list[Any] | None = None,
        *,
        user_id: str | None = None,
        max_records: int | None = MAX_WRITE_RECORDS,
    ) -> list[RecordResult]:
        """Insert or update each row by the first duplicate-check field that matches a live record."""
        meta = self._writable(self.module(module))
        if max_records is not None:
            self._check_count(rows)
        check_fields = self.resolve_duplicate_fields(meta.api_name, duplicate_check_fields)
        uid = user_id or self.directory.current_user_id
        store = self._records[meta.api_name]
        results: list[RecordResult] = []
        with self.transaction():
            for index, row in enumerate(rows):
                match: str | None = None
                matched_field: str | None = None
                try:
                    if not isinstance(row, dict):
                        raise RecordError(
                            "INVALID_DATA", "invalid data", {"api_name": "data", "json_path": f"$.data[{index}]"}
                        )
                    row_id = row.get("id")
                    if row_id not in (None, "") and str(row_id) in store.live:
                        match, matched_field = str(row_id), "id"
                    for name in check_fields if match is None else ():
                        value = row.get(name)
                        if isinstance(value, dict):
                            value = value.get("id")
                        found = store.find(name, value)
                        if found:
                            match, matched_field = found[0], name
                            break
                    changes = self._clean(meta, row, index, creating=match is None)
                    self._check_unique(meta, changes, index, match)
                except RecordError as error:
                    result = RecordResult.from_error(error)
                    result.upsert = True
                    results.append(result)
                    continue
                if match is None:
                    result = self._created_result(self._create(meta, changes, uid), self.directory)
                    result.action, result.duplicate_field = "insert", None
                else:
                    result = self._updated_result(self._modify(meta, match, changes, uid))
                    result.action, result.duplicate_field = "update", matched_field
                result.upsert = True
                results.append(result)
        return results

    def delete(self, module: str, ids: list[str], *, user_id: str | None = None) -> list[RecordResult]:
        """Move records to the recycle bin."""
        meta = self._writable(self.module(module))
        if len(ids) > MAX_WRITE_RECORDS:
            raise ZohoError(
                400, "LIMIT_EXCEEDED", "Record count exceeded", {"limit": MAX_WRITE_RECORDS, "param": "ids"}
            )
        uid = user_id or self.directory.current_user_id
        store = self._records[meta.api_name]
        results: list[RecordResult] = []
        with self.transaction():
            for record_id in ids:
                record_id = str(record_id).strip()
                if record_id not in store.live:
                    results.append(
                        RecordResult.error("INVALID_DATA", "the id given seems to be invalid", {"id": record_id})
                    )
                    continue
                store.to_recycle_bin(record_id, {"deleted_time": iso(self.clock.now()), "deleted_by": uid})
                self._dirty(meta.api_name, record_id)
                self.hooks.written(meta.api_name, "delete", store.deleted[record_id][0], set())
                self.count(meta.api_name, "deleted")
                results.append(RecordResult(True, "SUCCESS", "record deleted", {"id": record_id}, id=record_id))
        return results

    def deleted_records(self, module: str, kind: str = "all") -> list[dict[str, Any]]:
        """``GET /{module}/deleted`` items: recycle-bin entries (permanent deletes are never kept)."""
        meta = self.module(module)
        if kind == "permanent":
            return []
        out = []
        with self.lock:
            for record_id, (record, info) in self._records[meta.api_name].deleted.items():
                out.append(
                    {
                        "deleted_by": self.directory.minified(info["deleted_by"]),
                        "id": record_id,
                        "display_name": self.display_name(meta.api_name, record_id),
                        "type": "recycle",
                        "created_by": self.directory.minified(record["Created_By"]["id"]),
                        "deleted_time": info["deleted_time"],
                    }
                )
        out.sort(key=lambda item: item["deleted_time"], reverse=True)
        return out
