"""The plan: desired state (golden records, scores, owned tags) against what was last pushed, as operations.

An operation is one record's change at one target: create or update an Account, upsert or update a Lead
or Contact (score fields travel in the same payload), or add and remove owned tags. Its key is
deterministic (target, record, the id map's version, the content hash), so planning twice gives the same
keys and the outbox never holds a change twice. An unchanged record yields no operation at all.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection

from leadflow.config import SyncSettings
from leadflow.errors import ConfigError
from leadflow.store import sync_ledger, sync_source
from leadflow.store.sync_ledger import SyncedRecord
from leadflow.sync.mapping import (
    ACCOUNT_LOOKUP,
    clean_value,
    comparable,
    content_hash,
    is_empty,
    problems,
    resolve_source,
)

Kind = Literal["account", "person", "tags"]
Action = Literal["create", "update", "noop", "tags"]
Method = Literal["upsert", "update", "none", "tags"]

TARGET = "zoho"
DEFAULT_TAG_PREFIX = "lf-"  # [segments] tag_prefix: leadflow touches only tags that start with it
TAGS_SUFFIX = "#tags"
PEOPLE_CHUNK = 2_000  # golden people planned at a time (the CRM mirror is read per chunk)


@dataclass(frozen=True)
class Operation:
    """One record's change at one target."""

    key: str
    kind: Kind
    action: Action
    method: Method
    golden_id: str
    module: str
    remote_id: str | None
    depends_on: str | None
    payload: dict[str, Any]
    desired: dict[str, Any]
    payload_hash: str
    base_version: int
    diff: dict[str, list[Any]] = field(default_factory=dict)
    invalid: list[str] = field(default_factory=list)

    @property
    def record_id(self) -> str:
        """The id-map key: the golden id, or ``<golden id>#tags`` for a person's tags."""
        return f"{self.golden_id}{TAGS_SUFFIX}" if self.kind == "tags" else self.golden_id

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Operation:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})


@dataclass
class Plan:
    """Operations for one target, with counts a person can read before anything is sent."""

    target: str
    operations: list[Operation]
    unchanged: int = 0
    orphaned: list[str] = field(default_factory=list)  # pushed earlier, no golden record any more (merged away)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def plan_id(self) -> str:
        digest = hashlib.sha256("\n".join(sorted(op.key for op in self.operations)).encode()).hexdigest()
        return digest[:16]

    def counts(self) -> dict[str, int]:
        """``<module> <action>`` -> operations, plus tag adds/removes, invalid and unchanged records."""
        counts: Counter[str] = Counter()
        for op in self.operations:
            if op.invalid:
                counts[f"{op.module} invalid"] += 1
            elif op.kind == "tags":
                counts[f"{op.module} tags added"] += len(op.payload.get("add", []))
                counts[f"{op.module} tags removed"] += len(op.payload.get("remove", []))
            else:
                counts[f"{op.module} {op.action}"] += 1
        counts["unchanged records"] = self.unchanged
        if self.orphaned:
            counts["orphaned (in Zoho, golden record merged away; left as is)"] = len(self.orphaned)
        return dict(sorted(counts.items()))

    @property
    def writes(self) -> list[Operation]:
        """Operations that need a call (not invalid, not a no-op)."""
        return [op for op in self.operations if not op.invalid and op.action != "noop"]


def operation_key(target: str, record_id: str, version: int, payload_hash: str) -> str:
    return f"{target}:{record_id}:v{version + 1}:{payload_hash[:20]}"


class Planner:
    """Builds the plan for Zoho from the store.

    Example:
        >>> from leadflow.store import open_store
        >>> engine = open_store("sqlite://")
        >>> with engine.connect() as connection:
        ...     Planner(SyncSettings()).build(connection).operations
        []
    """

    def __init__(self, settings: SyncSettings, *, target: str = TARGET, tag_prefix: str = DEFAULT_TAG_PREFIX) -> None:
        self.settings = settings
        self.target = target
        self.tag_prefix = tag_prefix
        self.maps = {module: settings.zoho.field_map(module) for module in ("Leads", "Contacts", "Accounts")}
        self.ext = settings.zoho.external_id_field
        self._account_remote_ids: dict[str, str] = {}

    def build(self, connection: Connection) -> Plan:
        synced = sync_ledger.load_synced(connection, target=self.target)
        companies = sync_source.load_companies(connection)
        self._check_sources(connection)
        plan = Plan(self.target, [])
        self._account_remote_ids = {
            cid: str(c.get("crm_account_id") or (synced[cid].remote_id if cid in synced else "") or "")
            for cid, c in companies.items()
        }
        syncable_accounts: set[str] = set()
        if self.settings.zoho.sync_accounts:
            for company in companies.values():
                op = self._account(company, synced.get(company["id"]))
                if op is None:
                    plan.unchanged += 1
                    syncable_accounts.add(company["id"])
                    continue
                plan.operations.append(op)
                if not op.invalid:
                    syncable_accounts.add(company["id"])
        seen: set[str] = set()
        person_columns, score_columns = self._person_sources()
        rows = sync_source.iter_people(
            connection, target=self.target, person_columns=person_columns, score_columns=score_columns
        )
        for people in _chunks(rows, PEOPLE_CHUNK):
            mirror = self._mirror(connection, people, synced)
            for person in people:
                employer = companies.get(person.get("company_id") or "")
                op = self._person(person, employer, synced.get(person["id"]), mirror, syncable_accounts)
                if op is None:
                    plan.unchanged += 1
                else:
                    plan.operations.append(op)
                tags = self._tags(person, op.module if op else synced[person["id"]].module, synced)
                if tags is not None:
                    plan.operations.append(tags)
                seen.add(person["id"])
        seen.update(companies)
        plan.orphaned = sorted(
            golden_id
            for golden_id, record in synced.items()
            if record.kind in ("person", "account") and record.remote_id and golden_id not in seen
        )
        return plan

    # --- accounts -------------------------------------------------------------------------------------------

    def _account(self, company: Mapping[str, Any], previous: SyncedRecord | None) -> Operation | None:
        module = "Accounts"
        desired = self._values(self.maps[module], lambda source: resolve_source(source, company, None, {}))
        desired[self.ext] = company["id"]
        remote_id = company.get("crm_account_id") or (previous.remote_id if previous else None)
        base = previous.payload if previous and previous.module == module else {}
        return self._operation("account", module, company["id"], desired, remote_id, previous, base, None)

    # --- people ---------------------------------------------------------------------------------------------

    def _person(
        self,
        person: Mapping[str, Any],
        company: Mapping[str, Any] | None,
        previous: SyncedRecord | None,
        mirror: Mapping[tuple[str, str], dict[str, Any]],
        accounts: set[str],
    ) -> Operation | None:
        module = self._module_of(person, previous)
        score = person.get("score") or {}
        desired = self._values(self.maps[module], lambda source: resolve_source(source, person, company, score))
        desired[self.ext] = person["id"]
        depends_on = None
        if module == "Contacts" and company is not None and company["id"] in accounts:
            desired["Account_Name"] = {ACCOUNT_LOOKUP: company["id"]}
            depends_on = company["id"]
        remote_id: str | None = None
        if person.get("crm_id") and person.get("crm_module") == module:
            remote_id = str(person["crm_id"])
        elif previous is not None and previous.module == module:
            remote_id = previous.remote_id
        if previous is not None and previous.module == module:
            base = previous.payload
        elif remote_id is not None:
            base = mirror.get((module, remote_id), {})
        else:
            base = {}
        return self._operation("person", module, person["id"], desired, remote_id, previous, base, depends_on)

    def _module_of(self, person: Mapping[str, Any], previous: SyncedRecord | None) -> str:
        crm_module = person.get("crm_module")
        if crm_module in ("Leads", "Contacts"):
            return str(crm_module)
        if previous is not None and previous.module in ("Leads", "Contacts"):
            return previous.module
        return self.settings.zoho.new_people_module

    def _mirror(
        self, connection: Connection, people: list[dict[str, Any]], synced: Mapping[str, SyncedRecord]
    ) -> dict[tuple[str, str], dict[str, Any]]:
        """Zoho's current values of CRM records leadflow never pushed (for "only fill if empty")."""
        keys = [
            (str(p["crm_module"]), str(p["crm_id"]))
            for p in people
            if p.get("crm_id") and p.get("crm_module") and p["id"] not in synced
        ]
        return sync_source.crm_fields(connection, keys=keys)

    # --- tags -----------------------------------------------------------------------------------------------

    def _tags(self, person: Mapping[str, Any], module: str, synced: Mapping[str, SyncedRecord]) -> Operation | None:
        state = person.get("tags") or {}
        prefix = self.tag_prefix
        desired = sorted({t for t in state.get("desired") or [] if isinstance(t, str) and t.startswith(prefix)})
        applied = sorted({t for t in state.get("applied") or [] if isinstance(t, str) and t.startswith(prefix)})
        add = [t for t in desired if t not in applied]
        remove = [t for t in applied if t not in desired]
        if not add and not remove:
            return None
        record_id = f"{person['id']}{TAGS_SUFFIX}"
        previous = synced.get(record_id)
        version = previous.version if previous else 0
        payload_hash = content_hash(module, {"applied": applied, "desired": desired})
        return Operation(
            key=operation_key(self.target, record_id, version, payload_hash),
            kind="tags",
            action="tags",
            method="tags",
            golden_id=str(person["id"]),
            module=module,
            remote_id=None,
            depends_on=str(person["id"]),
            payload={"add": add, "remove": remove},
            desired={"tags": desired},
            payload_hash=payload_hash,
            base_version=version,
            diff={"Tag": [applied, desired]},
        )

    # --- shared ---------------------------------------------------------------------------------------------

    def _values(self, mapping: Mapping[str, str], read: Any) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for zoho_field, source in mapping.items():
            value = clean_value(read(source))
            if value is None and not self.settings.zoho.sync_nulls:
                continue
            values[zoho_field] = value
        return values

    def _operation(
        self,
        kind: Kind,
        module: str,
        golden_id: str,
        desired: dict[str, Any],
        remote_id: str | None,
        previous: SyncedRecord | None,
        base: Mapping[str, Any],
        depends_on: str | None,
    ) -> Operation | None:
        payload_hash = content_hash(module, desired)
        if (
            previous is not None
            and previous.payload_hash == payload_hash
            and previous.module == module
            and previous.remote_id
        ):
            return None
        version = previous.version if previous else 0
        if remote_id is None:
            action: Action = "create"
            method: Method = "upsert"
            payload = {k: v for k, v in desired.items() if v is not None}
            diff: dict[str, list[Any]] = {}  # a create fills every field it sends: describe_diff reads the payload
        else:
            payload, diff = self._changes(desired, base)
            action, method = ("update", "update") if payload else ("noop", "none")
            if payload:
                payload[self.ext] = desired[self.ext]
        return Operation(
            key=operation_key(self.target, golden_id, version, payload_hash),
            kind=kind,
            action=action,
            method=method,
            golden_id=golden_id,
            module=module,
            remote_id=remote_id,
            depends_on=depends_on if "Account_Name" in payload else None,
            payload=payload,
            desired=desired,
            payload_hash=payload_hash,
            base_version=version,
            diff=diff,
            invalid=problems(module, desired) if action != "noop" else [],
        )

    def _changes(
        self, desired: Mapping[str, Any], base: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, list[Any]]]:
        """Fields whose desired value differs from what the target holds, minus guarded ones."""
        fill_if_empty = set(self.settings.zoho.fill_if_empty)
        payload: dict[str, Any] = {}
        diff: dict[str, list[Any]] = {}
        for name, value in desired.items():
            old = base.get(name)
            if isinstance(value, Mapping) and ACCOUNT_LOOKUP in value:
                if self._same_account(old, str(value[ACCOUNT_LOOKUP])):
                    continue
            elif comparable(old) == comparable(value):
                continue
            if name in fill_if_empty and not is_empty(old):
                continue
            payload[name] = value
            diff[name] = [old, value]
        return payload, diff

    def _person_sources(self) -> tuple[set[str], set[str]]:
        """The golden_people and scores columns the Leads and Contacts mappings read."""
        person: set[str] = set()
        score: set[str] = set()
        for module in ("Leads", "Contacts"):
            for sources in self.maps[module].values():
                for source in (part.strip() for part in sources.split("|")):
                    scope, dot, column = source.partition(".")
                    if dot and scope == "score":
                        score.add(column)
                    elif not dot:
                        person.add(source)
        return person, score

    def _same_account(self, old: Any, company_id: str) -> bool:
        """Whether the lookup value the target holds already points at ``company_id``'s Account."""
        if not isinstance(old, Mapping):
            return False
        if ACCOUNT_LOOKUP in old:
            return str(old[ACCOUNT_LOOKUP]) == company_id
        known = self._account_remote_ids.get(company_id)
        return bool(known) and str(old.get("id")) == known

    def _check_sources(self, connection: Connection) -> None:
        people = sync_source.columns_of(connection, sync_source.GOLDEN_PEOPLE)
        companies = sync_source.columns_of(connection, sync_source.GOLDEN_COMPANIES)
        scores = sync_source.columns_of(connection, sync_source.SCORES)
        unknown: list[str] = []
        for module, mapping in self.maps.items():
            for zoho_field, sources in mapping.items():
                for source in (part.strip() for part in sources.split("|")):
                    scope, dot, column = source.partition(".")
                    if module == "Accounts":
                        known, column = companies, source
                    elif dot and scope == "company":
                        known = companies
                    elif dot and scope == "score":
                        known = scores
                    else:
                        known, column = people, source
                    if known and column not in known:
                        unknown.append(f"{module}.{zoho_field} = {source}")
        if unknown:
            raise ConfigError("[sync] mapping names columns that do not exist: " + ", ".join(unknown))


def _chunks(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def examples(operations: Iterable[Operation], *, per_kind: int = 3) -> list[Operation]:
    """A few operations of each (module, action) to show a person."""
    seen: Counter[tuple[str, str, bool]] = Counter()
    picked: list[Operation] = []
    for op in operations:
        group = (op.module, op.action, bool(op.invalid))
        if seen[group] < per_kind:
            seen[group] += 1
            picked.append(op)
    return picked
