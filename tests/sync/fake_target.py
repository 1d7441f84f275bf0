"""A second sync target for the tests, in the spirit of the real ones: its own schema (one module,
``contacts``, 50 records per call, its own field names and limits), its own error codes, and an in-memory
store that can refuse a whole call, lose an answer after applying it, or not be reachable at all.

It exists to show the engine (plan, outbox, runner) needs nothing of Zoho: only a schema and the calls of
:class:`leadflow.sync.target.SyncTarget`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadflow.errors import ApiError, ResponseLost
from leadflow.sync.schema import FieldSpec, TargetSchema
from leadflow.sync.target import CallCost, TargetUnreachable, WriteMethod, WriteOutcome

NAME = "fakecrm"
MODULE = "contacts"
BATCH = 50
EXTERNAL_ID = "ext_ref"
REJECTED = "the batch holds a field this account cannot write"
LIMITS = {"given_name": 30, "family_name": 60, "email": 120, EXTERNAL_ID: 40}

SCHEMA = TargetSchema(
    name=NAME,
    person_modules=(MODULE,),
    new_people_module=MODULE,
    field_maps={
        MODULE: {
            "given_name": "first_name",
            "family_name": "last_name",
            "email": "email",
            "employer": "company.name | company_name",
            "fit_score": "score.fit",
        }
    },
    external_id_field=EXTERNAL_ID,
    fill_if_empty=frozenset({"given_name"}),
    text_limits=LIMITS,
    mandatory={MODULE: ("family_name",)},
    owned_fields={EXTERNAL_ID: FieldSpec(EXTERNAL_ID, "External reference", "text", 40, True)},
    duplicate_check_fields={MODULE: ("email",)},
    write_phases=("person", "tags"),
    batch_size=BATCH,
    retryable_codes=frozenset({"SLOW_DOWN"}),
)


@dataclass
class FakeCrm:
    """The target's server side: records by id, and what the next calls should go through."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: dict[str, set[str]] = field(default_factory=dict)
    created: int = 0
    calls: int = 0
    refuse_next: int = 0  # whole calls refused for good (422 BATCH_REJECTED)
    lose_next: int = 0  # calls applied whose answer is lost
    drop_next: int = 0  # calls lost before they are applied (never land)
    unreachable: bool = False
    _next_id: int = 1

    def find(self, name: str, value: Any) -> str | None:
        for record_id, record in self.records.items():
            if value is not None and record.get(name) == value:
                return record_id
        return None

    def upsert(self, row: Mapping[str, Any]) -> WriteOutcome:
        if len(str(row.get("family_name") or "")) > LIMITS["family_name"]:
            return WriteOutcome(False, code="VALUE_TOO_LONG", message="family_name too long", details={"field": "x"})
        match = self.find(EXTERNAL_ID, row.get(EXTERNAL_ID)) or self.find("email", row.get("email"))
        if match is None:
            match = f"c{self._next_id}"
            self._next_id += 1
            self.records[match] = {"id": match}
            self.created += 1
            action = "insert"
        else:
            action = "update"
        self.records[match].update({k: v for k, v in row.items() if k != "id"})
        return WriteOutcome(True, remote_id=match, action=action)

    def update(self, row: Mapping[str, Any]) -> WriteOutcome:
        record = self.records.get(str(row.get("id")))
        if record is None:
            return WriteOutcome(False, code="NO_SUCH_CONTACT", message="no contact with this id")
        record.update({k: v for k, v in row.items() if k != "id"})
        return WriteOutcome(True, remote_id=record["id"], action="update")

    def call(self) -> str | None:
        """Book a call; what should happen to it: None (normal), refuse, lose or drop."""
        if self.unreachable:
            raise TargetUnreachable("cannot reach fakecrm.example:443: connection refused; nothing was sent")
        self.calls += 1
        for name in ("refuse", "drop", "lose"):
            if getattr(self, f"{name}_next"):
                setattr(self, f"{name}_next", getattr(self, f"{name}_next") - 1)
                return name
        return None


class FakeTarget:
    """The sync port over :class:`FakeCrm`."""

    def __init__(self, crm: FakeCrm) -> None:
        self.crm = crm
        self.fields: dict[str, list[str]] = {}

    @property
    def schema(self) -> TargetSchema:
        return SCHEMA

    def ensure_fields(self, module: str, specs: Sequence[FieldSpec]) -> None:
        self.fields[module] = [spec.api_name for spec in specs]

    def write(self, module: str, method: WriteMethod, rows: Sequence[Mapping[str, Any]]) -> list[WriteOutcome]:
        assert module == MODULE
        assert len(rows) <= BATCH
        fate = self.crm.call()
        if fate == "refuse":
            raise ApiError(
                "the batch holds a field this account cannot write", status=422, vendor_code="BATCH_REJECTED"
            )
        if fate == "drop":
            raise ResponseLost("fakecrm: connection reset before the answer")
        outcomes = [self.crm.upsert(row) if method == "upsert" else self.crm.update(row) for row in rows]
        if fate == "lose":
            raise ResponseLost("fakecrm: connection reset after the write")
        return outcomes

    def bulk_upsert(self, module: str, rows: Sequence[Mapping[str, Any]]) -> list[WriteOutcome]:
        raise AssertionError("fakecrm has no bulk writes (schema.bulk_rows is None)")

    def lookup(
        self, module: str, *, by: str, values: Sequence[str], fields: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        self.crm.call()
        wanted = set(values)
        return {
            str(record.get(by) if by != "id" else record["id"]): dict(record)
            for record in self.crm.records.values()
            if str(record.get(by) if by != "id" else record["id"]) in wanted
        }

    def change_tags(self, module: str, *, add: bool, tag: str, remote_ids: Sequence[str]) -> dict[str, WriteOutcome]:
        assert len(remote_ids) <= BATCH
        self.crm.call()
        answers: dict[str, WriteOutcome] = {}
        for remote_id in remote_ids:
            held = self.crm.tags.setdefault(remote_id, set())
            (held.add if add else held.discard)(tag)
            answers[remote_id] = WriteOutcome(True, remote_id=remote_id)
        return answers

    def credits_left(self) -> int | None:
        return None

    def write_cost(self, rows: int, *, bulk: bool) -> CallCost:
        calls = -(-rows // BATCH)
        return CallCost(calls, calls)

    def usage(self) -> CallCost:
        return CallCost(self.crm.calls, self.crm.calls)
