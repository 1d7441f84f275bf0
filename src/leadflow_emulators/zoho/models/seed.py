"""The seed layer of the Zoho backend: load ``{"module", "record"}`` items (a seed file, ``/_emulator/seed``)
through the insert path, keeping given ids and times, so that seeding the same file twice adds nothing.

Example:
    >>> from leadflow_emulators.zoho.models.backend import ZohoBackend
    >>> backend = ZohoBackend(seed=1)
    >>> item = {"module": "Leads", "record": {"id": "5725767000000000042", "Last_Name": "Ng"}}
    >>> backend.seed([item])["inserted"], backend.seed([item])["skipped"]
    (1, 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.convert import ConvertLayer
from leadflow_emulators.zoho.models.metadata import ModuleMeta


class SeedLayer(ConvertLayer):
    """Seeding (see the module docstring)."""

    def seed(self, items: Sequence[Any]) -> dict[str, Any]:
        """``/_emulator/seed`` (``EmulatorBackend``): the same as ``seed_records(items)``."""
        return self.seed_records(items)

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
