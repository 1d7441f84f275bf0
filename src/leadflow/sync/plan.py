"""The plan: desired state (golden records, scores, owned tags) against what was last pushed, as operations.

An operation is one record's change at one target: create or update a company record, upsert or update
a person (score fields travel in the same payload), or add and remove owned tags. Its key is
deterministic (target, record, the id map's version, the content hash), so planning twice gives the same
keys and the outbox never holds a change twice. An unchanged record yields no operation at all.

Everything about the target (modules, lookups, limits) comes from its :class:`TargetSchema`. The plan
streams: :meth:`Planner.chunks` reads the store a chunk of records at a time and yields each chunk's
operations, keeping only counters (:class:`PlanTally`); :meth:`Planner.build` collects them for a small plan.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection

from leadflow.errors import ConfigError
from leadflow.store import golden_merges, merge_sources, sync_ledger, sync_source
from leadflow.store.sync_ledger import SyncedRecord
from leadflow.sync.mapping import ACCOUNT_LOOKUP, clean_value, comparable, content_hash, is_empty, resolve_source
from leadflow.sync.schema import Kind, TargetSchema

Action = Literal["create", "update", "noop", "tags"]
Method = Literal["upsert", "update", "none", "tags"]

DEFAULT_TAG_PREFIX = "lf-"  # [segments] tag_prefix: leadflow touches only tags that start with it
TAGS_SUFFIX = "#tags"
DEFAULT_CHUNK = 2_000  # golden records planned at a time ([sync] chunk_records)
EXAMPLES_PER_KIND = 3


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

    @property
    def is_write(self) -> bool:
        """Whether it needs a call (not invalid, not a no-op)."""
        return not self.invalid and self.action != "noop"

    @property
    def tag_changes(self) -> tuple[int, int]:
        """Tags it adds and removes (0, 0 for other kinds)."""
        if self.kind != "tags":
            return 0, 0
        return len(self.payload.get("add", [])), len(self.payload.get("remove", []))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Operation:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})


def operation_key(target: str, record_id: str, version: int, payload_hash: str) -> str:
    return f"{target}:{record_id}:v{version + 1}:{payload_hash[:20]}"


@dataclass
class PlanTally:
    """Counters of a plan, kept while its operations stream past (no operation is held).

    ``<module> tags added`` counts tags added to records (a record given two tags counts two), the same
    unit the sync reports when it confirms them.
    """

    target: str
    external_id_field: str = ""
    unchanged: int = 0
    orphaned: int = 0  # pushed earlier, no golden record any more (merged away)
    to_merge: int = 0  # of those, records whose golden person went into another: the sync merges them first
    writes: int = 0  # record writes that need a call (tag operations not included)
    tag_changes: int = 0  # tags added plus tags removed
    by_kind: Counter[str] = field(default_factory=Counter)
    write_groups: Counter[tuple[str, str]] = field(default_factory=Counter)  # (module, method) -> record writes
    tag_groups: Counter[tuple[str, bool, str]] = field(default_factory=Counter)  # (module, add?, tag) -> records
    examples: list[Operation] = field(default_factory=list)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    _counts: Counter[str] = field(default_factory=Counter)
    _seen: Counter[tuple[str, str, bool]] = field(default_factory=Counter)
    _digest: Any = field(default_factory=hashlib.sha256)

    def add(self, op: Operation) -> None:
        self._digest.update(op.key.encode() + b"\n")
        self.by_kind[op.kind] += 1
        if op.invalid:
            self._counts[f"{op.module} invalid"] += 1
        elif op.kind == "tags":
            added, removed = op.tag_changes
            self._counts[f"{op.module} tags added"] += added
            self._counts[f"{op.module} tags removed"] += removed
            self.tag_changes += added + removed
            for add, tags in ((True, op.payload.get("add", [])), (False, op.payload.get("remove", []))):
                for tag in tags:
                    self.tag_groups[(op.module, add, tag)] += 1
        else:
            self._counts[f"{op.module} {op.action}"] += 1
            if op.is_write:
                self.writes += 1
                self.write_groups[(op.module, op.method)] += 1
        group = (op.module, op.action, bool(op.invalid))
        if self._seen[group] < EXAMPLES_PER_KIND:
            self._seen[group] += 1
            self.examples.append(op)

    @property
    def plan_id(self) -> str:
        """A digest of the operation keys in plan order (the same store state gives the same id)."""
        return str(self._digest.copy().hexdigest())[:16]

    def counts(self) -> dict[str, int]:
        """``<module> <action>`` -> operations, tags added/removed, invalid and unchanged records."""
        counts = Counter({name: n for name, n in self._counts.items() if n})
        counts["unchanged records"] = self.unchanged
        if self.to_merge:
            counts["records of golden people merged since (merged into the survivor's record first)"] = self.to_merge
        if self.orphaned - self.to_merge > 0:
            counts["orphaned (at the target, golden record merged away; left as is)"] = self.orphaned - self.to_merge
        return dict(sorted(counts.items()))


@dataclass
class Plan:
    """Operations for one target with their tally. A streamed sync keeps only the tally (``operations`` empty)."""

    target: str
    operations: list[Operation]
    tally: PlanTally

    @classmethod
    def of(cls, target: str, operations: Iterable[Operation], *, unchanged: int = 0) -> Plan:
        tally = PlanTally(target, unchanged=unchanged)
        ops = list(operations)
        for op in ops:
            tally.add(op)
        return cls(target, ops, tally)

    @property
    def plan_id(self) -> str:
        return self.tally.plan_id

    @property
    def created_at(self) -> str:
        return self.tally.created_at

    @property
    def unchanged(self) -> int:
        return self.tally.unchanged

    def counts(self) -> dict[str, int]:
        return self.tally.counts()

    @property
    def writes(self) -> list[Operation]:
        """Operations that need a call (not invalid, not a no-op)."""
        return [op for op in self.operations if op.is_write]


class Planner:
    """Builds the plan for one target from the store.

    Example:
        >>> from leadflow.config import ZohoSyncSettings
        >>> from leadflow.store import open_store
        >>> from leadflow.sync.zoho_schema import zoho_schema
        >>> engine = open_store("sqlite://")
        >>> with engine.connect() as connection:
        ...     Planner(zoho_schema(ZohoSyncSettings())).build(connection).operations
        []
    """

    def __init__(
        self,
        schema: TargetSchema,
        *,
        tag_prefix: str = DEFAULT_TAG_PREFIX,
        chunk: int = DEFAULT_CHUNK,
        golden_ids: Collection[str] | None = None,
    ) -> None:
        self.schema = schema
        # a targeted plan (the tracking service's, after a re-score) covers these people and their companies only
        self.golden_ids = frozenset(golden_ids) if golden_ids is not None else None
        self.target = schema.name
        self.tag_prefix = tag_prefix
        self.chunk = chunk
        self.maps = schema.field_maps
        self.ext = schema.external_id_field
        self._account_remote_ids: dict[str, str] = {}
        self._email_owners: dict[str, set[str]] = {}

    def build(self, connection: Connection) -> Plan:
        """The whole plan in memory (for previews, tests and small stores)."""
        tally = self.new_tally()
        operations = [op for ops in self.chunks(connection, tally) for op in ops]
        return Plan(self.target, operations, tally)

    def new_tally(self) -> PlanTally:
        return PlanTally(self.target, external_id_field=self.ext)

    def chunks(self, connection: Connection, tally: PlanTally) -> Iterator[list[Operation]]:
        """The plan's operations, one chunk of records at a time, each counted in ``tally``."""
        self._check_sources(connection)
        companies = sync_source.load_companies(connection, columns=self._company_columns(), employing=self.golden_ids)
        pushed_accounts = sync_ledger.remote_ids_of_kind(connection, target=self.target, kind="account")
        self._account_remote_ids = {
            cid: str((c.get("crm_account_id") if self.schema.crm_mirror else None) or pushed_accounts.get(cid) or "")
            for cid, c in companies.items()
        }
        del pushed_accounts
        syncable_accounts: set[str] = set()
        if self.schema.account_module is not None and self.schema.sync_accounts:
            for block in _chunks(iter(companies.values()), self.chunk):
                synced = sync_ledger.synced_for(connection, target=self.target, golden_ids=[c["id"] for c in block])
                ops: list[Operation] = []
                for company in block:
                    op = self._account(company, synced.get(company["id"]))
                    if op is None:
                        tally.unchanged += 1
                        syncable_accounts.add(company["id"])
                        continue
                    ops.append(op)
                    if not op.invalid:
                        syncable_accounts.add(company["id"])
                yield self._counted(ops, tally)
        person_columns, score_columns, links = self._person_sources()
        # GHL has its own answer for an address another person owns (OWNED_BY_ANOTHER); Zoho's upsert would merge
        self._email_owners = sync_source.shared_email_owners(connection) if self.schema.crm_mirror else {}
        rows = sync_source.iter_people(
            connection,
            target=self.target,
            chunk=self.chunk,
            person_columns=person_columns,
            score_columns=score_columns,
            links=links,
            golden_ids=self.golden_ids,
        )
        for people in _chunks(rows, self.chunk):
            ids = [str(p["id"]) for p in people]
            synced = sync_ledger.synced_for(
                connection, target=self.target, golden_ids=[*ids, *(f"{i}{TAGS_SUFFIX}" for i in ids)]
            )
            mirror = self._mirror(connection, people, synced)
            ops = []
            for person in people:
                employer = companies.get(person.get("company_id") or "")
                op = self._person(person, employer, synced.get(person["id"]), mirror, syncable_accounts)
                if op is None:
                    tally.unchanged += 1
                else:
                    ops.append(op)
                never_sent = op is not None and bool(op.invalid) and person["id"] not in synced
                if self.schema.supports_tags and not never_sent:  # no record at the target to tag
                    module = op.module if op else synced[person["id"]].module
                    tags = self._tags(person, module, synced)
                    if tags is not None:
                        ops.append(tags)
            yield self._counted(ops, tally)
        if self.golden_ids is None:
            tally.orphaned = sync_source.count_orphaned(connection, target=self.target)
            if tally.orphaned:
                orphans = merge_sources.orphaned_records(connection, target=self.target)
                tally.to_merge = len(golden_merges.survivors(connection, orphans))

    @staticmethod
    def _counted(ops: list[Operation], tally: PlanTally) -> list[Operation]:
        for op in ops:
            tally.add(op)
        return ops

    # --- company records ------------------------------------------------------------------------------------

    def _account(self, company: Mapping[str, Any], previous: SyncedRecord | None) -> Operation | None:
        module = str(self.schema.account_module)
        desired = self._values(self.maps[module], lambda source: resolve_source(source, company, None, {}))
        desired[self.ext] = company["id"]
        linked = company.get("crm_account_id") if self.schema.crm_mirror else None
        remote_id = linked or (previous.remote_id if previous else None)
        base = previous.payload if previous and previous.module == module else {}
        return self._operation("account", module, company["id"], desired, remote_id, previous, base, None, None)

    # --- people ---------------------------------------------------------------------------------------------

    def _person(
        self,
        person: Mapping[str, Any],
        company: Mapping[str, Any] | None,
        previous: SyncedRecord | None,
        mirror: Mapping[tuple[str, str], dict[str, Any]],
        accounts: set[str],
    ) -> Operation | None:
        linked_module = person.get("crm_module") if self.schema.crm_mirror else None
        module = self.schema.module_for_person(linked_module, previous.module if previous else None)
        score = person.get("score") or {}
        desired = self._values(self.maps[module], lambda source: resolve_source(source, person, company, score))
        desired[self.ext] = person["id"]
        if not self._keeps_email(person):
            for target_field, source in self.maps[module].items():
                if "email" in (part.strip() for part in source.split("|")):
                    desired.pop(target_field, None)
        depends_on = None
        lookup_field = self.schema.account_lookup.get(module)
        if lookup_field and company is not None and company["id"] in accounts:
            desired[lookup_field] = {ACCOUNT_LOOKUP: company["id"]}
            depends_on = company["id"]
        remote_id: str | None = None
        if person.get("crm_id") and linked_module == module:
            remote_id = str(person["crm_id"])
        elif previous is not None and previous.module == module:
            remote_id = previous.remote_id
        if previous is not None and previous.module == module:
            base = previous.payload
        elif remote_id is not None:
            base = mirror.get((module, remote_id), {})
        else:
            base = {}
        return self._operation(
            "person", module, person["id"], desired, remote_id, previous, base, depends_on, lookup_field
        )

    def _keeps_email(self, person: Mapping[str, Any]) -> bool:
        """False when another person holds this person's address and keeps it (see
        :func:`sync_source.shared_email_owners`): the address stays on the golden record but is not written, so
        the target's duplicate check by e-mail cannot put this person into the other's record."""
        email = person.get("email")
        owners = self._email_owners.get(str(email).lower()) if email else None
        return owners is None or str(person["id"]) in owners

    def _mirror(
        self, connection: Connection, people: list[dict[str, Any]], synced: Mapping[str, SyncedRecord]
    ) -> dict[tuple[str, str], dict[str, Any]]:
        """The target's current values of records leadflow never pushed (for "only fill if empty")."""
        if not self.schema.crm_mirror:
            return {}
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
            diff={"tags": [applied, desired]},
        )

    # --- shared ---------------------------------------------------------------------------------------------

    def _values(self, mapping: Mapping[str, str], read: Callable[[str], Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for target_field, source in mapping.items():
            value = clean_value(read(source))
            if value is None and not self.schema.sync_nulls:
                continue
            values[target_field] = value
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
        lookup_field: str | None,
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
            depends_on=depends_on if lookup_field is not None and lookup_field in payload else None,
            payload=payload,
            desired=desired,
            payload_hash=payload_hash,
            base_version=version,
            diff=diff,
            invalid=self.schema.problems(module, desired) if action != "noop" else [],
        )

    def _changes(
        self, desired: Mapping[str, Any], base: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, list[Any]]]:
        """Fields whose desired value differs from what the target holds, minus guarded ones."""
        fill_if_empty = self.schema.fill_if_empty
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

    def _person_sources(self) -> tuple[set[str], set[str], set[str]]:
        """The golden_people and scores columns the person modules' mappings read, and the targets they link to."""
        person: set[str] = set()
        score: set[str] = set()
        links: set[str] = set()
        for module in self.schema.person_modules:
            for sources in self.maps[module].values():
                for source in (part.strip() for part in sources.split("|")):
                    scope, dot, column = source.partition(".")
                    if dot and scope == "score":
                        score.add(column)
                    elif dot and scope == "link":
                        links.add(column)
                    elif not dot:
                        person.add(source)
        return person, score, links

    def _company_columns(self) -> set[str]:
        """The golden_companies columns the mappings read (a person's ``company.<column>`` included)."""
        columns = {"id", "crm_account_id"}
        for module, mapping in self.maps.items():
            for sources in mapping.values():
                for source in (part.strip() for part in sources.split("|")):
                    scope, dot, column = source.partition(".")
                    if module == self.schema.account_module:
                        columns.add(source)
                    elif dot and scope == "company":
                        columns.add(column)
        return columns

    def _same_account(self, old: Any, company_id: str) -> bool:
        """Whether the lookup value the target holds already points at ``company_id``'s record."""
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
            for target_field, sources in mapping.items():
                for source in (part.strip() for part in sources.split("|")):
                    scope, dot, column = source.partition(".")
                    if module == self.schema.account_module:
                        known, column = companies, source
                    elif dot and scope == "company":
                        known = companies
                    elif dot and scope == "score":
                        known = scores
                    elif dot and scope == "link":
                        if column == self.target:
                            unknown.append(f"{module}.{target_field} = {source} (link.<another target>)")
                        continue
                    else:
                        known, column = people, source
                    if known and column not in known:
                        unknown.append(f"{module}.{target_field} = {source}")
        if unknown:
            raise ConfigError(f"[sync.{self.target}] mapping names columns that do not exist: " + ", ".join(unknown))


def _chunks(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def examples(operations: Iterable[Operation], *, per_kind: int = EXAMPLES_PER_KIND) -> list[Operation]:
    """A few operations of each (module, action) to show a person."""
    seen: Counter[tuple[str, str, bool]] = Counter()
    picked: list[Operation] = []
    for op in operations:
        group = (op.module, op.action, bool(op.invalid))
        if seen[group] < per_kind:
            seen[group] += 1
            picked.append(op)
    return picked
