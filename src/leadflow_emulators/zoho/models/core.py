"""The core of the Zoho backend: one org's state, its SQLite persistence, counters, limits and metadata.

``BackendCore`` holds every piece of state (modules and their fields, per-module record stores, tags,
custom fields and modules, OAuth, credits, the concurrency gate, faults, the clock and the id source)
and knows how to load it from and write it to SQLite (``transaction``, ``_dirty``, ``_mark_setting``).
The layers above it add one job each: ``records`` (read, validate, write), ``tags``, ``convert`` and
``seed``; ``backend.ZohoBackend`` is the finished class.

Example:
    >>> core = BackendCore(seed=1)
    >>> core.module("leads").api_name, core.get_limits()["daily_credits"]
    ('Leads', 100000)
"""

from __future__ import annotations

import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from leadflow_emulators.common.clock import Clock, iso
from leadflow_emulators.common.faults import Faults
from leadflow_emulators.common.ids import IdGenerator
from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.hooks import WriteHooks
from leadflow_emulators.zoho.models.limits import ConcurrencyGate, CreditLedger, ZohoLimits
from leadflow_emulators.zoho.models.metadata import (
    DATA_TYPES,
    FieldMeta,
    ModuleMeta,
    custom_module,
    standard_modules,
)
from leadflow_emulators.zoho.models.oauth import OAuthServer
from leadflow_emulators.zoho.models.persistence import PendingRecord, SqliteStore
from leadflow_emulators.zoho.models.record_store import ModuleRecords
from leadflow_emulators.zoho.models.results import RecordError
from leadflow_emulators.zoho.models.surface import with_features
from leadflow_emulators.zoho.models.users import Directory

_RECORD_ID = re.compile(r"/\d{6,}(?=/|$)")


class BackendCore:
    """All state of one emulated Zoho org, its persistence and its counters. Thread-safe through ``lock``."""

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
        self.hooks = WriteHooks()  # features that react to writes (models.surface installs them)
        self._init_state()
        if self._store is not None:
            self._load()

    # ----------------------------------------------------------------- state
    def _init_state(self) -> None:
        self._modules: dict[str, ModuleMeta] = with_features(standard_modules())
        self._records: dict[str, ModuleRecords] = {name: ModuleRecords(name) for name in self._modules}
        self._tags: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in self._modules}
        self._custom_fields: dict[str, list[dict[str, Any]]] = {}
        self._custom_modules: list[str] = []
        self._sorted_cache: dict[tuple[str, str, bool, str], tuple[int, list[dict[str, Any]]]] = {}

    def reset(self) -> None:
        """Forget every record, tag, custom field, credit, counter and fault (OAuth clients stay)."""
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
        """Write what is pending and close the SQLite file (if any)."""
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
                    self.hooks.committed()

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
