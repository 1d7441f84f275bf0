"""The Zoho CRM emulator's state and rules (no HTTP here): records, validation, metadata, tags, conversion.

Public surface (also used by COQL and bulk, so that they behave exactly like the REST routes):

- ``ZohoBackend(db_path=None, clock=None, seed=0, daily_credits=100_000, concurrency=10, sub_concurrency=10)``
- time: ``backend.clock.now()`` (aware UTC datetime), ``backend.clock.advance(seconds)``; ``iso(datetime)``
- metadata: ``module(name) -> ModuleMeta`` (raises ``ZohoError`` INVALID_MODULE), ``modules()``,
  ``fields(module) -> dict[api_name, FieldMeta]`` (``data_type``, ``length``, ``lookup_module``,
  ``multi_module``, ``pick_list_values``, ``unique``, ``system_mandatory``, ``read_only``, ``custom_field``),
  ``add_field(module, spec)``, ``create_module(api_name)``
- reading: ``iter_records(module, converted="both")`` yields records in Zoho's API shape (lookups as
  ``{"name", "id"}``, every field present), ``get_record(module, id)``, ``render(module, stored, fields)``,
  ``stored_records(module)`` (raw stored dicts, read-only, fastest)
- writing (per-record validation with Zoho's codes; the same path as the REST routes):
  ``insert(module, rows)``, ``update(module, rows)``, ``upsert(module, rows, duplicate_check_fields=None)``
  each return ``list[RecordResult]`` (``ok``, ``code``, ``message``, ``details``, ``id``, ``action``,
  ``duplicate_field``, ``to_json()``); ``delete(module, ids)``; ``convert_lead(lead_id, spec)``
- batching: ``with backend.transaction(): ...`` groups writes into one SQLite commit (writes call it
  themselves; nest freely). ``backend.lock`` is the re-entrant lock every public method takes.
- limits: ``backend.credits.charge(cost)`` (raises LIMIT_EXCEEDED), ``backend.credits.headers()``,
  ``write_cost(n)``, ``coql_cost(limit)``, ``BULK_READ_COST``, ``BULK_WRITE_COST`` in ``models.limits``;
  ``backend.gate`` (concurrency: ``enter``/``leave``, ``enter_heavy``/``leave_heavy``)
- errors: ``ZohoError`` and ``render_error`` in ``zoho.exceptions``
- accounting for tests: ``backend.count(module, op)``, ``backend.stats()``

Example:
    >>> backend = ZohoBackend(seed=1)
    >>> [result.code for result in backend.insert("Leads", [{"Last_Name": "Ng"}, {"First_Name": "x"}])]
    ['SUCCESS', 'MANDATORY_NOT_FOUND']
"""

from __future__ import annotations

import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from leadflow_emulators.common.clock import Clock, iso
from leadflow_emulators.common.faults import Faults
from leadflow_emulators.common.ids import IdGenerator
from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.limits import ConcurrencyGate, CreditLedger, ZohoLimits
from leadflow_emulators.zoho.models.metadata import (
    DATA_TYPES,
    FieldMeta,
    ModuleMeta,
    custom_module,
    standard_modules,
)
from leadflow_emulators.zoho.models.persistence import PendingRecord, SqliteStore
from leadflow_emulators.zoho.models.records import ModuleRecords
from leadflow_emulators.zoho.models.results import RecordError, RecordResult
from leadflow_emulators.zoho.models.users import Directory
from leadflow_emulators.zoho.models.validation import coercer_for, lookup_id

MAX_WRITE_RECORDS = 100
_RECORD_ID = re.compile(r"/\d{6,}(?=/|$)")
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


class ZohoBackend:
    """All state of one emulated Zoho org. Thread-safe through ``lock``."""

    def __init__(
        self,
        *,
        db_path: str | None = None,
        clock: Clock | None = None,
        seed: int = 0,
        limits: ZohoLimits | None = None,
        daily_credits: int | None = None,
        concurrency: int | None = None,
        sub_concurrency: int | None = None,
    ) -> None:
        from leadflow_emulators.zoho.bulk_jobs import BulkJobs  # bulk jobs write through this backend
        from leadflow_emulators.zoho.models.oauth import OAuthServer  # oauth imports nothing from here

        self.lock = threading.RLock()
        self.clock = clock or Clock()
        self.random_seed = seed
        self.ids = IdGenerator(seed=seed)
        self.directory = Directory()
        self.limits = limits or ZohoLimits()
        shortcuts = {"daily_credits": daily_credits, "concurrency": concurrency, "sub_concurrency": sub_concurrency}
        self.limits.update({name: value for name, value in shortcuts.items() if value is not None})
        self.credits = CreditLedger(self.clock, self.limits)
        self.gate = ConcurrencyGate(self.limits)
        self.faults = Faults(seed=seed, path_prefix="/crm")
        self.oauth = OAuthServer(self.clock, self.ids, on_change=lambda: self._mark_setting("oauth"))
        self._store = SqliteStore(db_path) if db_path else None
        self._depth = 0
        self._pending: dict[tuple[str, str], PendingRecord] = {}
        self._pending_settings: set[str] = set()
        self._stats: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._requests: Counter[str] = Counter()
        self._init_state()
        if self._store is not None:
            self._load()
        self.jobs = BulkJobs(self)

    # ----------------------------------------------------------------- state
    def _init_state(self) -> None:
        self._modules: dict[str, ModuleMeta] = standard_modules()
        self._records: dict[str, ModuleRecords] = {name: ModuleRecords(name) for name in self._modules}
        self._tags: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in self._modules}
        self._custom_fields: dict[str, list[dict[str, Any]]] = {}
        self._custom_modules: list[str] = []
        self._sorted_cache: dict[tuple[str, str, bool, str], tuple[int, list[dict[str, Any]]]] = {}

    def reset(self) -> None:
        """Forget every record, tag, custom field, bulk job, credit, counter and fault (OAuth clients stay)."""
        self.jobs.reset()  # outside the lock: running jobs write through it
        self.faults.clear()
        with self.lock:
            self._init_state()
            self._stats.clear()
            self._requests.clear()
            self.credits.clear()
            self.gate.reset_stats()
            self._pending.clear()
            self._pending_settings.clear()
            if self._store is not None:
                self._store.clear()
                self._mark_setting("oauth")
                self._flush()

    def _load(self) -> None:
        assert self._store is not None
        settings = self._store.load_settings()
        for api_name in settings.get("custom_modules", []):
            self._add_module(api_name)
        for module, specs in settings.get("custom_fields", {}).items():
            for spec in specs:
                self._add_field(module, spec)
        for module, tags in settings.get("tags", {}).items():
            self._tags.setdefault(module, {}).update({tag["name"].lower(): tag for tag in tags})
        if "oauth" in settings:
            self.oauth.load(settings["oauth"])
        for module, record_id, record, deleted in self._store.load_records():
            store = self._records.get(module)
            if store is None:
                continue
            self.ids.bump_past(record_id)
            if deleted is None:
                store.put(record)
            else:
                store.deleted[record_id] = (record, deleted)

    def close(self) -> None:
        self.jobs.close()
        with self.lock:
            self._flush()
            if self._store is not None:
                self._store.close()
                self._store = None

    # ----------------------------------------------------------- persistence
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes: the outermost block commits them to SQLite at once."""
        with self.lock:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._flush()

    def _dirty(self, module: str, record_id: str) -> None:
        if self._store is None:
            return
        store = self._records[module]
        record = store.live.get(record_id)
        if record is not None:
            self._pending[(module, record_id)] = (record, None)
        elif record_id in store.deleted:
            self._pending[(module, record_id)] = store.deleted[record_id]
        else:
            self._pending[(module, record_id)] = (None, None)

    def _mark_setting(self, key: str) -> None:
        if self._store is not None:
            self._pending_settings.add(key)
            if self._depth == 0:
                self._flush()

    def _flush(self) -> None:
        if self._store is None or (not self._pending and not self._pending_settings):
            return
        settings: dict[str, Any] = {}
        for key in self._pending_settings:
            if key == "oauth":
                settings[key] = self.oauth.dump()
            elif key == "tags":
                settings[key] = {module: list(tags.values()) for module, tags in self._tags.items()}
            elif key == "custom_fields":
                settings[key] = self._custom_fields
            elif key == "custom_modules":
                settings[key] = self._custom_modules
        self._store.flush(self._pending, settings)
        self._pending = {}
        self._pending_settings = set()

    # -------------------------------------------------------------- counters
    def count(self, module: str, op: str, amount: int = 1) -> None:
        """Add to a per-module operation counter (``created``, ``updated``, ``deleted``, ``converted``...)."""
        self._stats[module][op] += amount

    def count_request(self, method: str, path: str) -> None:
        """Count an API call by method and path, record ids replaced by ``{id}`` (for "no call was made")."""
        key = f"{method} {_RECORD_ID.sub('/{id}', path)}"
        with self.lock:
            self._requests[key] += 1

    # ------------------------------------------------- control plane (EmulatorBackend)
    def state(self) -> dict[str, Any]:
        """``/_emulator/state``: the same as ``stats()``."""
        return self.stats()

    def seed(self, items: Sequence[Any]) -> dict[str, Any]:
        """``/_emulator/seed``: the same as ``seed_records(items)``."""
        return self.seed_records(items)

    def get_limits(self) -> dict[str, Any]:
        """``ZohoLimits`` as JSON, plus the credits used in the current 24 hours."""
        return {**self.limits.snapshot(), "credits_used": self.credits.used()}

    def set_limits(self, changes: Mapping[str, Any]) -> None:
        """Change some ``ZohoLimits``; ``reset_credits: true`` also forgets the credits spent."""
        changes = dict(changes)
        reset_credits = changes.pop("reset_credits", False)
        self.limits.update(changes)
        if reset_credits:
            self.credits.clear()

    def stats(self) -> dict[str, Any]:
        """Counts for tests: records per module, operations per module, credits and concurrency."""
        with self.lock:
            return {
                "records": {name: len(store) for name, store in self._records.items()},
                "recycle_bin": {name: len(store.deleted) for name, store in self._records.items()},
                "operations": {module: dict(counter) for module, counter in self._stats.items()},
                "requests": dict(self._requests),
                "requests_total": sum(self._requests.values()),
                "credits": {
                    "used": self.credits.used(),
                    "remaining": self.credits.remaining(),
                    "daily_allowance": self.credits.daily_allowance,
                },
                "concurrency": {
                    "limit": self.gate.limit,
                    "sub_limit": self.gate.sub_limit,
                    "in_flight": self.gate.stats.in_flight,
                    "max_in_flight": self.gate.stats.max_in_flight,
                    "max_heavy_in_flight": self.gate.stats.max_heavy_in_flight,
                    "rejected": self.gate.stats.rejected,
                },
                "tokens": self.oauth.stats(),
                "now": iso(self.clock.now()),
            }

    # -------------------------------------------------------------- metadata
    def module(self, name: str, index: int = 0) -> ModuleMeta:
        """Module metadata by api name (case-insensitive, like Zoho), or INVALID_MODULE."""
        meta = self._modules.get(name)
        if meta is None:
            for api_name, candidate in self._modules.items():
                if api_name.lower() == name.lower():
                    return candidate
            raise ZohoError.invalid_module(index)
        return meta

    def modules(self) -> list[ModuleMeta]:
        return list(self._modules.values())

    def fields(self, module: str) -> dict[str, FieldMeta]:
        return self.module(module).fields

    def _add_module(self, api_name: str) -> ModuleMeta:
        meta = custom_module(api_name, self.ids.next_id())
        self._modules[api_name] = meta
        self._records[api_name] = ModuleRecords(api_name)
        self._tags[api_name] = {}
        return meta

    def create_module(self, api_name: str) -> ModuleMeta:
        """Create a custom module (``Name`` is its mandatory display field)."""
        with self.lock:
            if any(name.lower() == api_name.lower() for name in self._modules):
                raise ZohoError(
                    400, "INVALID_DATA", "duplicate data", {"api_name": "api_name"}
                )  # modules.json: INVALID_DATA
            meta = self._add_module(api_name)
            self._custom_modules.append(api_name)
            self._mark_setting("custom_modules")
            return meta

    def _add_field(self, module: str, spec: dict[str, Any]) -> FieldMeta:
        meta = self.module(module)
        lookup = (spec.get("lookup") or {}).get("module") or {}
        unique = spec.get("unique")
        field_meta = FieldMeta(
            api_name=spec["api_name"],
            data_type=spec["data_type"],
            label=spec.get("field_label") or spec["api_name"],
            length=int(spec.get("length") or 0),
            unique=bool(unique) and unique not in ({}, "false", False),
            custom_field=True,
            lookup_module=lookup.get("api_name"),
            pick_list_values=(
                "-None-",
                *(
                    value.get("display_value") or value.get("actual_value")
                    for value in spec.get("pick_list_values", [])
                ),
            )
            if spec.get("pick_list_values")
            else (),
            id=spec.get("id") or self.ids.next_id(),
        )
        meta.fields[field_meta.api_name] = field_meta
        return field_meta

    def add_field(self, module: str, spec: dict[str, Any], index: int = 0) -> FieldMeta:
        """Create a custom field from a ``POST /settings/fields`` item; raises ``RecordError`` when invalid."""
        with self.lock:
            meta = self.module(module)
            label = spec.get("field_label")
            if not isinstance(label, str) or not label.strip():
                raise RecordError(
                    "MANDATORY_NOT_FOUND",
                    "required field not found",
                    {"api_name": "field_label", "json_path": f"$.fields[{index}].field_label"},
                )
            data_type = spec.get("data_type")
            if data_type not in DATA_TYPES - {"ownerlookup", "userlookup"}:
                raise RecordError(
                    "INVALID_DATA",
                    "invalid data",
                    {
                        "api_name": "data_type",
                        "json_path": f"$.fields[{index}].data_type",
                        "supported_values": sorted(DATA_TYPES - {"ownerlookup", "userlookup"}),
                    },
                )
            api_name = spec.get("api_name") or "_".join(label.strip().split())
            if any(
                existing.lower() == api_name.lower() or other.label.lower() == label.strip().lower()
                for existing, other in meta.fields.items()
            ):
                raise RecordError(
                    "DUPLICATE_DATA",
                    "duplicate data",
                    {"api_name": "field_label", "json_path": f"$.fields[{index}].field_label"},
                )
            if data_type == "lookup":
                target = ((spec.get("lookup") or {}).get("module") or {}).get("api_name")
                if not target or target not in self._modules:
                    raise RecordError(
                        "INVALID_DATA", "invalid data", {"api_name": "lookup", "json_path": f"$.fields[{index}].lookup"}
                    )
            stored = {**spec, "api_name": api_name, "id": self.ids.next_id()}
            field_meta = self._add_field(meta.api_name, stored)
            self._custom_fields.setdefault(meta.api_name, []).append(stored)
            self._mark_setting("custom_fields")
            return field_meta

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
        target = row.get("$se_module")
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
                if key in _SYSTEM_KEYS or key.startswith("$"):
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
        return record

    def _modify(self, meta: ModuleMeta, record_id: str, changes: dict[str, Any], user_id: str) -> dict[str, Any]:
        changes = dict(changes)
        if "Owner" in changes and changes["Owner"] is None:
            del changes["Owner"]
        changes["Modified_Time"] = iso(self.clock.now())
        changes["Modified_By"] = {"id": user_id}
        record = self._records[meta.api_name].change(record_id, changes)
        self._full_name(meta, record)
        self._dirty(meta.api_name, record_id)
        self.count(meta.api_name, "updated")
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

    def insert(
        self, module: str, rows: list[Any], *, user_id: str | None = None, max_records: int | None = MAX_WRITE_RECORDS
    ) -> list[RecordResult]:
        """Create records; one ``RecordResult`` per input row, in order."""
        meta = self.module(module)
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
        meta = self.module(module)
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
        meta = self.module(module)
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
        meta = self.module(module)
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

    # --------------------------------------------------------------- convert
    def convert_lead(self, lead_id: str, spec: dict[str, Any], *, user_id: str | None = None) -> dict[str, Any]:
        """Convert a Lead into a Contact, an Account (found by name or created) and optionally a Deal.

        Returns the ``details`` of Zoho's answer: ``{"Contacts": {...}, "Accounts": {...}, "Deals": {...}}``.
        Raises ``ZohoError`` for an unknown or already converted lead, ``RecordError`` for a bad Deal.
        """
        uid = user_id or self.directory.current_user_id
        leads = self._records["Leads"]
        with self.transaction():
            lead = leads.live.get(str(lead_id))
            if lead is None:
                raise ZohoError(400, "INVALID_DATA", "the id given seems to be invalid", {"resource_path_index": 1})
            if lead.get("Converted__s"):
                raise ZohoError(400, "ID_ALREADY_CONVERTED", "id already converted", {"resource_path_index": 1})
            account_id = self._convert_account(lead, spec.get("Accounts"), uid)
            contact_id = self._convert_contact(lead, spec.get("Contacts"), account_id, bool(spec.get("overwrite")), uid)
            deal_id = None
            if isinstance(spec.get("Deals"), dict):
                deal_row = dict(spec["Deals"])
                deal_row.pop("Contact_Role", None)
                if account_id:
                    deal_row.setdefault("Account_Name", {"id": account_id})
                deal_row.setdefault("Contact_Name", {"id": contact_id})
                deal_meta = self._modules["Deals"]
                changes = self._clean(deal_meta, deal_row, 0, creating=True)
                deal_id = self._create(deal_meta, changes, uid)["id"]
            carry = spec.get("carry_over_tags") or {}
            for module, new_id in (("Contacts", contact_id), ("Accounts", account_id), ("Deals", deal_id)):
                names = carry.get(module) if isinstance(carry, dict) else None
                if new_id and names:
                    self.tag_records(module, [new_id], [str(name) for name in names])
            self._modify(
                self._modules["Leads"],
                lead["id"],
                {"Converted__s": True, "Converted_Date_Time": iso(self.clock.now())},
                uid,
            )
            self.count("Leads", "converted")

            def ref(module: str, record_id: str | None) -> dict[str, Any] | None:
                return None if record_id is None else {"name": self.display_name(module, record_id), "id": record_id}

            return {
                "Contacts": ref("Contacts", contact_id),
                "Accounts": ref("Accounts", account_id),
                "Deals": ref("Deals", deal_id),
            }

    def _ref_id(self, value: Any) -> str | None:
        if isinstance(value, dict):
            value = value.get("id")
        return None if value in (None, "") else str(value)

    def _convert_account(self, lead: dict[str, Any], given: Any, uid: str) -> str | None:
        accounts = self._records["Accounts"]
        account_id = self._ref_id(given)
        if account_id is not None:
            if account_id not in accounts.live:
                raise ZohoError(400, "INVALID_DATA", "invalid data", {"api_name": "Accounts", "id": account_id})
            return account_id
        company = lead.get("Company")
        if not company:
            return None
        found = accounts.find("Account_Name", company)
        if found:
            return found[0]
        mapping = {
            "Account_Name": company,
            "Phone": lead.get("Phone"),
            "Website": lead.get("Website"),
            "Industry": lead.get("Industry"),
            "Annual_Revenue": lead.get("Annual_Revenue"),
            "Employees": lead.get("No_of_Employees"),
            "Billing_Street": lead.get("Street"),
            "Billing_City": lead.get("City"),
            "Billing_State": lead.get("State"),
            "Billing_Code": lead.get("Zip_Code"),
            "Billing_Country": lead.get("Country"),
            "Owner": lead.get("Owner"),
        }
        changes = {key: value for key, value in mapping.items() if value is not None}
        return str(self._create(self._modules["Accounts"], changes, uid)["id"])

    def _convert_contact(
        self, lead: dict[str, Any], given: Any, account_id: str | None, overwrite: bool, uid: str
    ) -> str:
        contacts = self._records["Contacts"]
        mapping = {
            "Salutation": lead.get("Salutation"),
            "First_Name": lead.get("First_Name"),
            "Last_Name": lead.get("Last_Name"),
            "Email": lead.get("Email"),
            "Secondary_Email": lead.get("Secondary_Email"),
            "Phone": lead.get("Phone"),
            "Mobile": lead.get("Mobile"),
            "Title": lead.get("Designation"),
            "Lead_Source": lead.get("Lead_Source"),
            "Description": lead.get("Description"),
            "Email_Opt_Out": lead.get("Email_Opt_Out"),
            "Mailing_Street": lead.get("Street"),
            "Mailing_City": lead.get("City"),
            "Mailing_State": lead.get("State"),
            "Mailing_Zip": lead.get("Zip_Code"),
            "Mailing_Country": lead.get("Country"),
            "Owner": lead.get("Owner"),
            "Account_Name": {"id": account_id} if account_id else None,
        }
        changes = {key: value for key, value in mapping.items() if value is not None}
        contact_id = self._ref_id(given)
        if contact_id is not None:
            if contact_id not in contacts.live:
                raise ZohoError(400, "INVALID_DATA", "invalid data", {"api_name": "Contacts", "id": contact_id})
            if overwrite:
                self._modify(self._modules["Contacts"], contact_id, changes, uid)
            elif account_id and not contacts.live[contact_id].get("Account_Name"):
                self._modify(self._modules["Contacts"], contact_id, {"Account_Name": {"id": account_id}}, uid)
            return contact_id
        return str(self._create(self._modules["Contacts"], changes, uid)["id"])

    # ------------------------------------------------------------------ seed
    def seed_records(self, lines: Iterable[Any]) -> dict[str, Any]:
        """Load ``{"module": ..., "record": {...}}`` items through the insert path (no credits, no limit).

        A record may carry its own ``id`` (kept when free) and ``Created_Time``/``Modified_Time``; a record
        whose ``id`` already exists is skipped, so seeding the same file again after a restart adds nothing.
        Returns ``{"inserted": n, "skipped": n, "errors": [...]}``.
        """
        inserted = skipped = 0
        errors: list[dict[str, Any]] = []
        with self.transaction():
            for number, item in enumerate(lines, start=1):
                module = item.get("module") if isinstance(item, dict) else None
                row = item.get("record") if isinstance(item, dict) else None
                if not isinstance(module, str) or not isinstance(row, dict):
                    errors.append({"line": number, "code": "INVALID_DATA", "message": "expected module and record"})
                    continue
                try:
                    meta = self.module(module)
                except ZohoError as error:
                    errors.append({"line": number, "code": error.code, "message": error.message})
                    continue
                wanted = str(row.get("id") or "")
                store = self._records[meta.api_name]
                if wanted and (wanted in store.live or wanted in store.deleted):
                    skipped += 1
                    continue
                result = self.insert(meta.api_name, [row], max_records=None)[0]
                if not result.ok:
                    errors.append(
                        {"line": number, "code": result.code, "message": result.message, "details": result.details}
                    )
                    continue
                self._adopt_seed_values(meta, str(result.id), row)
                inserted += 1
        return {"inserted": inserted, "skipped": skipped, "errors": errors}

    def _adopt_seed_values(self, meta: ModuleMeta, new_id: str, row: dict[str, Any]) -> None:
        store = self._records[meta.api_name]
        record = store.live[new_id]
        wanted = row.get("id")
        for key in ("Created_Time", "Modified_Time"):
            if isinstance(row.get(key), str):
                record[key] = row[key]
        if wanted not in (None, "") and str(wanted).isdigit() and str(wanted) not in store.live:
            store.rekey(new_id, str(wanted))
            self.ids.bump_past(str(wanted))
            if self._store is not None:
                self._pending[(meta.api_name, new_id)] = (None, None)
            new_id = str(wanted)
        self._dirty(meta.api_name, new_id)
