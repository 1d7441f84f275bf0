"""The sync engine's port implemented with the Zoho client: batch upserts keyed by ``Leadflow_ID`` (then the
module's duplicate-check fields, e.g. ``Email``), bulk write, COQL look-ups for reconciliation, the
many-record tag calls and the credit meter."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from leadflow.config import ZohoSyncSettings
from leadflow.errors import ConfigError
from leadflow.sync.schema import FieldSpec, TargetSchema
from leadflow.sync.target import CallCost, WriteMethod, WriteOutcome, reachable
from leadflow.sync.zoho_schema import BULK_FILE_ROWS, zoho_schema
from leadflow.zoho.client import ZohoClient
from leadflow.zoho.credits import BULK_WRITE_COST, write_cost
from leadflow.zoho.metadata import FieldSpec as ZohoFieldSpec
from leadflow.zoho.results import RecordResult

BULK_CALLS_PER_JOB = 6  # upload, create, about three status polls, result download
COQL_IN_VALUES = 50  # Zoho's limit on the values of one ``in``
COQL_MAX_FIELDS = 50
ENSURE_ATTEMPTS = 3


class ZohoTarget:
    """Zoho CRM as a sync target.

    Example:
        >>> target = ZohoTarget(ZohoClient.from_settings(settings, engine), settings.sync.zoho)  # doctest: +SKIP
        >>> target.write("Leads", "upsert", [{"Last_Name": "Hopper", "Leadflow_ID": "gp_1"}])[0].ok  # doctest: +SKIP
        True
    """

    def __init__(self, zoho: ZohoClient, settings: ZohoSyncSettings | None = None) -> None:
        self.zoho = zoho
        self._schema = zoho_schema(settings or ZohoSyncSettings())

    @property
    def schema(self) -> TargetSchema:
        return self._schema

    @property
    def name(self) -> str:
        return self._schema.name

    def ensure_fields(self, module: str, specs: Sequence[FieldSpec]) -> None:
        wanted = [
            ZohoFieldSpec(
                spec.label,
                data_type=spec.data_type,
                length=spec.length,
                unique=spec.unique,
                api_name=spec.api_name,
                decimal_place=2 if spec.data_type == "double" else None,
            )
            for spec in specs
        ]
        # Creating a field is checked against the module's fields first, so asking again after a lost
        # answer or a 5xx creates nothing twice; a refusal that persists is for a person to act on.
        for _ in range(ENSURE_ATTEMPTS):
            with reachable():
                report = self.zoho.metadata.ensure_fields(module, wanted)
            if report.complete:
                return
        raise ConfigError(report.instructions())

    def write(self, module: str, method: WriteMethod, rows: Sequence[Mapping[str, Any]]) -> list[WriteOutcome]:
        resource = self.zoho.module(module)
        with reachable():
            if method == "upsert":
                check = [self._schema.external_id_field, *self._schema.duplicate_check_fields.get(module, ())]
                results = resource.upsert(rows, duplicate_check_fields=list(dict.fromkeys(check)))
            else:
                results = resource.update(rows)
        return [_outcome(result) for result in results]

    def bulk_upsert(self, module: str, rows: Sequence[Mapping[str, Any]]) -> list[WriteOutcome]:
        columns = list(dict.fromkeys(name for row in rows for name in row))
        with reachable():
            result = self.zoho.bulk.write(
                module, rows, operation="upsert", find_by=self._schema.external_id_field, fields=columns
            )
        return [_outcome(item) for item in result.results]

    def lookup(
        self, module: str, *, by: str, values: Sequence[str], fields: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        selected = list(dict.fromkeys(["id", by, *fields]))[:COQL_MAX_FIELDS]
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(values), COQL_IN_VALUES):
            chunk = list(values[start : start + COQL_IN_VALUES])
            marks = ", ".join("?" for _ in chunk)
            query = f"select {', '.join(selected)} from {module} where {by} in ({marks}) limit 200"
            with reachable():
                rows = list(self.zoho.coql(query, *chunk))
            for row in rows:
                key = row.get(by)
                if key is not None:
                    found[str(key)] = row
        return found

    def change_tags(self, module: str, *, add: bool, tag: str, remote_ids: Sequence[str]) -> dict[str, WriteOutcome]:
        call: Callable[..., list[RecordResult]] = self.zoho.tags.add if add else self.zoho.tags.remove
        with reachable():
            results = call(module, list(remote_ids), [tag])
        return {remote_id: _outcome(result) for remote_id, result in zip(remote_ids, results, strict=True)}

    def credits_left(self) -> int | None:
        return self.zoho.credits.remaining

    def write_cost(self, rows: int, *, bulk: bool) -> CallCost:
        if rows <= 0:
            return CallCost(0, 0)
        if bulk:
            jobs = math.ceil(rows / BULK_FILE_ROWS)
            return CallCost(jobs * BULK_CALLS_PER_JOB, jobs * (BULK_WRITE_COST + BULK_CALLS_PER_JOB - 1))
        size = self._schema.batch_size
        full, rest = divmod(rows, size)
        return CallCost(full + (1 if rest else 0), full * write_cost(size) + (write_cost(rest) if rest else 0))

    def usage(self) -> CallCost:
        figures = self.zoho.credits
        return CallCost(figures.calls, figures.spent)


def _outcome(result: RecordResult) -> WriteOutcome:
    return WriteOutcome(
        ok=result.ok,
        remote_id=result.id,
        action=result.action,
        code=None if result.ok else result.code,
        message=None if result.ok else result.message,
        details=dict(result.details),
    )
