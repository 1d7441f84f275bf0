"""Plan record merges: which remote records of one golden person fold into which master, with which values.

The master is chosen by rule: a Contact over a Lead, then the oldest (``Created_Time`` / GHL's ``dateAdded``),
then the most complete (most fields filled), then the smallest id. Records of one module merge into the
master (Zoho merges at most two others per call, so a third and fourth make a second merge); a Lead whose
person also has a Contact is never merged into it (Zoho refuses across modules, and a Contact must never
become a Lead): it is converted into the master Contact (``convert_into_contact``, Zoho's lead conversion
with the existing Contact). Field values come from the golden record: where the master's value differs
from the golden one and a loser holds the golden value, the master takes the loser's (``keep``).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from leadflow.errors import InputError
from leadflow.sync.mapping import comparable, is_empty

MergeAction = Literal["merge", "convert_into_contact", "relink"]
ZOHO_MERGE_MAX = 2  # records merged into one master per call
IGNORED_FIELDS = frozenset(
    {
        "id",
        "Created_Time",
        "Modified_Time",
        "Created_By",
        "Modified_By",
        "Owner",
        "Tag",
        "$approval",
        "Last_Activity_Time",
    }
)


@dataclass(frozen=True)
class RemoteRecord:
    """A record at the target as read now: module, id, when it was created and its field values."""

    module: str
    id: str
    created: str
    values: dict[str, Any]

    @property
    def filled(self) -> int:
        return sum(1 for name, value in self.values.items() if name not in IGNORED_FIELDS and not is_empty(value))


@dataclass(frozen=True)
class RecordMerge:
    """One merge at one target: ``loser_ids`` fold into ``master_id`` (or a Lead converts into a Contact)."""

    target: str
    action: MergeAction
    module: str
    golden_id: str
    master_id: str
    loser_ids: list[str]
    retired_ids: list[str] = field(default_factory=list)
    keep: dict[str, str] = field(default_factory=dict)
    master_module: str = ""
    why: str = ""

    @property
    def key(self) -> str:
        losers = "+".join(sorted(self.loser_ids))
        return f"{self.target}:{self.action}:{self.module}:{self.master_id}<-{losers}"

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "key": self.key}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecordMerge:
        values = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        merge = cls(**values)
        if merge.action not in ("merge", "convert_into_contact"):
            raise ValueError(f"unknown merge action {merge.action!r}")
        if not merge.loser_ids or not all(isinstance(i, str) for i in merge.loser_ids):
            raise ValueError("loser_ids must be a non-empty list of ids")
        return merge


@dataclass
class MergePlan:
    """The merges one target needs, plus what was found and left alone (and why)."""

    target: str
    merges: list[RecordMerge] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # clusters not merged, each with the reason
    # golden people merged later whose records at the target are one (or none) already: only the id map moves
    relinks: list[RecordMerge] = field(default_factory=list)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def plan_id(self) -> str:
        digest = hashlib.sha256("\n".join(m.key for m in self.merges).encode()).hexdigest()
        return digest[:16]

    def counts(self) -> dict[str, int]:
        tally: Counter[str] = Counter()
        for merge in self.merges:
            if merge.action == "merge":
                tally[f"{merge.module} merges"] += 1
                tally[f"{merge.module} records merged away"] += len(merge.loser_ids)
            else:
                tally["Leads converted into their Contact"] += 1
        tally["golden people with duplicates"] = len({m.golden_id for m in self.merges})
        if self.left:
            tally["left as they are"] = len(self.left)
        return dict(tally)


def choose_master(records: Sequence[RemoteRecord]) -> RemoteRecord:
    """Contact over Lead, then the oldest, then the most complete, then the smallest id.

    Example:
        >>> a = RemoteRecord("Leads", "2", "2026-01-01T00:00:00+00:00", {"Email": "a@x.io"})
        >>> b = RemoteRecord("Leads", "1", "2026-02-01T00:00:00+00:00", {"Email": "a@x.io", "Phone": "1"})
        >>> choose_master([a, b]).id
        '2'
    """
    return min(records, key=lambda r: (r.module != "Contacts", _instant(r.created), -r.filled, len(r.id), r.id))


def _instant(created: str) -> float:
    """Seconds since the epoch of an ISO 8601 time (Zoho writes an offset, GHL a ``Z``); unknown sorts last."""
    try:
        moment = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return float("inf")
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def plan_person(
    target: str,
    golden_id: str,
    records: Sequence[RemoteRecord],
    golden: Mapping[str, Any],
    field_sources: Mapping[str, Mapping[str, str]],
    *,
    retired_ids: Sequence[str] = (),
    per_call: int = ZOHO_MERGE_MAX,
) -> list[RecordMerge]:
    """The merges that leave one record holding ``golden_id`` (``records``: every record it holds now).

    ``field_sources`` maps, per module, a target field to the golden column it is synced from; ``golden`` is the
    golden person's row.
    """
    unique = {(r.module, r.id): r for r in records}
    records = list(unique.values())
    if len(records) < 2:
        return []
    contacts = [r for r in records if r.module == "Contacts"]
    master = choose_master(contacts or records)
    same = [r for r in records if r.module == master.module and r.id != master.id]
    others = [r for r in records if r.module != master.module]
    merges: list[RecordMerge] = []
    why = _why(master, len(records))
    for start in range(0, len(same), per_call):
        losers = same[start : start + per_call]
        merges.append(
            RecordMerge(
                target=target,
                action="merge",
                module=master.module,
                golden_id=golden_id,
                master_id=master.id,
                loser_ids=[r.id for r in losers],
                retired_ids=list(retired_ids),
                keep=_keep(master, losers, golden, field_sources.get(master.module, {})),
                master_module=master.module,
                why=why,
            )
        )
    for lead in others:  # Leads of a person who has a Contact: converted into it, never the other way
        merges.append(
            RecordMerge(
                target=target,
                action="convert_into_contact",
                module=lead.module,
                golden_id=golden_id,
                master_id=master.id,
                loser_ids=[lead.id],
                retired_ids=list(retired_ids),
                master_module=master.module,
                why=why,
            )
        )
    return merges


def _why(master: RemoteRecord, count: int) -> str:
    return f"{count} records; master {master.module} {master.id} (created {master.created or 'unknown'})"


def _keep(
    master: RemoteRecord, losers: Sequence[RemoteRecord], golden: Mapping[str, Any], sources: Mapping[str, str]
) -> dict[str, str]:
    keep: dict[str, str] = {}
    for name, column in sources.items():
        wanted = comparable(golden.get(column))
        if wanted is None or comparable(master.values.get(name)) == wanted:
            continue
        for loser in losers:
            if comparable(loser.values.get(name)) == wanted:
                keep[name] = loser.id
                break
    return keep


def person_field_sources(field_map: Mapping[str, str]) -> dict[str, str]:
    """Target field -> golden column, for the fields a mapping fills straight from a golden person's column."""
    return {name: source for name, source in field_map.items() if source.isidentifier()}


# --- plan files -------------------------------------------------------------------------------------------------


def write_merge_plan(plan: MergePlan, path: Path) -> None:
    """``path`` as JSON lines: a header (target, plan id, counts, what was left alone), then one merge a line."""
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give a file name for the plan")
    if not path.parent.is_dir():
        raise InputError(f"{path}: the folder {path.parent} does not exist (it is not created for you)")
    header = {
        "type": "merge_plan",
        "target": plan.target,
        "plan_id": plan.plan_id,
        "created_at": plan.created_at,
        "counts": plan.counts(),
        "left": plan.left,
    }
    try:
        with path.open("w", encoding="utf-8") as out:
            out.write(json.dumps(header) + "\n")
            for merge in plan.merges:
                out.write(json.dumps({"type": "merge", **merge.to_json()}) + "\n")
    except OSError as exc:
        raise InputError(f"{path}: cannot write the plan ({exc.strerror or exc})") from exc


def read_merge_plan(path: Path) -> MergePlan:
    """Read a plan :func:`write_merge_plan` wrote; a clear error naming the line when the file is not one."""
    if not path.is_file():
        raise InputError(f"{path}: no such plan file" if not path.exists() else f"{path}: not a plan file (a folder?)")
    header: dict[str, Any] | None = None
    merges: list[RecordMerge] = []
    number = 0
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                data = json.loads(line)
                if not isinstance(data, dict):
                    raise ValueError("not a JSON object")
                if number == 1:
                    if data.get("type") != "merge_plan":
                        raise ValueError(
                            "the first line is not a merge plan header (a sync plan? use `leadflow sync --plan`)"
                        )
                    header = data
                elif data.get("type") == "merge":
                    merge = RecordMerge.from_json(data)
                    if data.get("key") not in (None, merge.key):
                        raise ValueError("the merge's key does not match its records (edited by hand?)")
                    merges.append(merge)
                else:
                    raise ValueError(f"unknown line type {data.get('type')!r}")
    except (ValueError, TypeError, KeyError) as exc:
        raise InputError(f"{path}:{max(number, 1)}: not a leadflow merge plan line ({exc})") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read the plan ({exc.strerror or exc})") from exc
    if header is None:
        raise InputError(f"{path}: empty plan file")
    plan = MergePlan(str(header["target"]), merges, [str(x) for x in header.get("left") or []])
    plan.created_at = str(header.get("created_at") or plan.created_at)
    if header.get("plan_id") != plan.plan_id:
        raise InputError(f"{path}: merges do not match the plan id in the header (edited by hand?)")
    return plan


def grouped(pairs: Iterable[tuple[str, tuple[str, str]]]) -> dict[str, list[tuple[str, str]]]:
    """golden id -> its (module, record id) pairs, in first-seen order, without repeats."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for golden_id, record in pairs:
        members = groups.setdefault(golden_id, [])
        if record not in members:
            members.append(record)
    return groups
