"""Repository for the merge outbox (``record_merges``) and for pointing the store's links at a merge's master.

A merge is enqueued under its key (target, action, module, master, losers), marked ``in_flight`` in its own
transaction before the call, and confirmed in the same transaction that moves the links, so a crash leaves
either nothing sent (pending) or an uncertain call (in flight) that is checked at the target before anything
is sent again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import Connection, RowMapping, and_, delete, func, insert, select, update

from leadflow.store.runs import utcnow
from leadflow.store.schema import (
    crm_cluster_members,
    crm_records,
    golden_people,
    record_merges,
    record_tags,
    sync_records,
)

TAGS_SUFFIX = "#tags"


class MergeState(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    CONFIRMED = "confirmed"
    FAILED = "failed"


OPEN_STATES = (MergeState.PENDING, MergeState.IN_FLIGHT)


@dataclass(frozen=True)
class MergeRow:
    """One merge in the outbox."""

    id: int
    key: str
    target: str
    action: str
    module: str
    golden_id: str
    master_id: str
    loser_ids: list[str]
    retired_ids: list[str]
    keep: dict[str, str]
    state: MergeState
    attempts: int
    error_code: str | None
    error_message: str | None
    result: dict[str, Any] | None

    @classmethod
    def from_row(cls, row: RowMapping) -> MergeRow:
        return cls(
            id=int(row["id"]),
            key=str(row["key"]),
            target=str(row["target"]),
            action=str(row["action"]),
            module=str(row["module"]),
            golden_id=str(row["golden_id"]),
            master_id=str(row["master_id"]),
            loser_ids=[str(i) for i in row["loser_ids"] or []],
            retired_ids=[str(i) for i in row["retired_ids"] or []],
            keep={str(k): str(v) for k, v in (row["keep"] or {}).items()},
            state=MergeState(row["state"]),
            attempts=int(row["attempts"]),
            error_code=row["error_code"],
            error_message=row["error_message"],
            result=dict(row["result"]) if row["result"] else None,
        )


def enqueue(connection: Connection, *, merges: Sequence[Mapping[str, Any]], run_id: int | None) -> tuple[int, int]:
    """Insert the merges whose key is not in the outbox yet; (added, already there). A failed merge is
    put back to pending when planned again (its records are still there to merge)."""
    added = known = 0
    now = utcnow()
    for merge in merges:
        existing = connection.execute(
            select(record_merges.c.id, record_merges.c.state).where(record_merges.c.key == merge["key"])
        ).first()
        if existing is not None:
            known += 1
            if existing.state == MergeState.FAILED:
                connection.execute(
                    update(record_merges)
                    .where(record_merges.c.id == existing.id)
                    .values(state=MergeState.PENDING.value, attempts=0, run_id=run_id, updated_at=now)
                )
            continue
        connection.execute(
            insert(record_merges).values(
                key=merge["key"],
                target=merge["target"],
                action=merge["action"],
                module=merge["module"],
                golden_id=merge["golden_id"],
                master_id=merge["master_id"],
                loser_ids=list(merge["loser_ids"]),
                retired_ids=list(merge.get("retired_ids") or []),
                keep=dict(merge.get("keep") or {}),
                state=MergeState.PENDING.value,
                attempts=0,
                run_id=run_id,
                created_at=now,
                updated_at=now,
            )
        )
        added += 1
    return added, known


def open_merges(connection: Connection, *, target: str) -> list[MergeRow]:
    """Pending and in-flight merges of ``target``, oldest first (merges of one record come in plan order)."""
    query = (
        select(record_merges)
        .where(and_(record_merges.c.target == target, record_merges.c.state.in_([s.value for s in OPEN_STATES])))
        .order_by(record_merges.c.id)
    )
    return [MergeRow.from_row(row) for row in connection.execute(query).mappings()]


def by_key(connection: Connection, *, key: str) -> MergeRow | None:
    row = connection.execute(select(record_merges).where(record_merges.c.key == key)).mappings().first()
    return MergeRow.from_row(row) if row else None


def mark_in_flight(connection: Connection, *, merge_id: int, run_id: int | None) -> None:
    connection.execute(
        update(record_merges)
        .where(record_merges.c.id == merge_id)
        .values(
            state=MergeState.IN_FLIGHT.value,
            attempts=record_merges.c.attempts + 1,
            run_id=run_id,
            updated_at=utcnow(),
        )
    )


def back_to_pending(connection: Connection, *, merge_id: int) -> None:
    connection.execute(
        update(record_merges)
        .where(record_merges.c.id == merge_id)
        .values(state=MergeState.PENDING.value, updated_at=utcnow())
    )


def confirm(connection: Connection, *, merge_id: int, result: Mapping[str, Any]) -> None:
    connection.execute(
        update(record_merges)
        .where(record_merges.c.id == merge_id)
        .values(
            state=MergeState.CONFIRMED.value,
            result=dict(result),
            error_code=None,
            error_message=None,
            updated_at=utcnow(),
        )
    )


def fail(connection: Connection, *, merge_id: int, code: str, message: str, details: Any = None) -> None:
    connection.execute(
        update(record_merges)
        .where(record_merges.c.id == merge_id)
        .values(
            state=MergeState.FAILED.value,
            error_code=code[:64],
            error_message=message,
            result={"details": details} if details is not None else None,
            updated_at=utcnow(),
        )
    )


def counts(connection: Connection, *, target: str | None = None) -> dict[str, int]:
    query = select(record_merges.c.state, func.count()).group_by(record_merges.c.state)
    if target is not None:
        query = query.where(record_merges.c.target == target)
    return {str(state): int(n) for state, n in connection.execute(query)}


def failures(connection: Connection, *, run_id: int) -> list[MergeRow]:
    query = select(record_merges).where(
        and_(record_merges.c.run_id == run_id, record_merges.c.state == MergeState.FAILED.value)
    )
    return [MergeRow.from_row(row) for row in connection.execute(query).mappings()]


# --- links ------------------------------------------------------------------------------------------------------


class MergeLinks(Protocol):
    """What moving the links needs to know of a merge (a ``MergeRow``, or a planned merge that needs no call)."""

    @property
    def target(self) -> str: ...
    @property
    def module(self) -> str: ...
    @property
    def golden_id(self) -> str: ...
    @property
    def master_id(self) -> str: ...
    @property
    def loser_ids(self) -> list[str]: ...
    @property
    def retired_ids(self) -> list[str]: ...


def point_links_at_master(connection: Connection, *, merge: MergeLinks, master_module: str) -> None:
    """After a confirmed merge: the CRM mirror, the sync id map, the golden people's CRM links and the applied
    tags all name the master; the losers' rows are gone. Runs in the transaction that confirms the merge.

    A merge with no losers only moves the id map: the retired golden people's rows go, and the survivor's
    names the master (no master: only the retired rows go, as their record is gone from the target)."""
    losers = list(merge.loser_ids)
    loser_module = merge.module
    if merge.target == "zoho":
        connection.execute(
            delete(crm_records).where(and_(crm_records.c.module == loser_module, crm_records.c.crm_id.in_(losers)))
        )
        connection.execute(
            delete(crm_cluster_members).where(
                and_(crm_cluster_members.c.crm_module == loser_module, crm_cluster_members.c.crm_id.in_(losers))
            )
        )
        connection.execute(
            update(golden_people)
            .where(and_(golden_people.c.crm_module == loser_module, golden_people.c.crm_id.in_(losers)))
            .values(crm_module=master_module, crm_id=merge.master_id)
        )
    _repoint_sync_records(connection, merge=merge, master_module=master_module)


def _repoint_sync_records(connection: Connection, *, merge: MergeLinks, master_module: str) -> None:
    target = merge.target
    if not merge.master_id:
        _drop_retired(connection, target=target, retired_ids=merge.retired_ids)
        return
    records = {
        str(row["golden_id"]): dict(row)
        for row in connection.execute(
            select(sync_records).where(
                and_(
                    sync_records.c.target == target,
                    sync_records.c.golden_id.in_(
                        [merge.golden_id, *merge.retired_ids]
                        + [f"{g}{TAGS_SUFFIX}" for g in (merge.golden_id, *merge.retired_ids)]
                    ),
                )
            )
        ).mappings()
    }
    gone = set(merge.loser_ids)
    survivor = records.get(merge.golden_id)
    # the survivor's record: the master, with the payload last pushed to the master when leadflow pushed it
    master_row = next(
        (r for r in records.values() if r["kind"] == "person" and r["remote_id"] == merge.master_id), None
    )
    versions = [int(r["version"]) for r in records.values()]
    if survivor is not None or master_row is not None:
        base = master_row or survivor
        assert base is not None
        payload = dict(base["payload"] or {}) if base["remote_id"] == merge.master_id else {}
        values = {
            "kind": "person",
            "module": master_module,
            "remote_id": merge.master_id,
            # the master now holds the losers' values in fields it had empty: plan the survivor's fields anew
            "payload_hash": None,
            "payload": payload,
            "version": max(versions, default=0) + 1,
            "synced_at": utcnow(),
        }
        if survivor is not None:
            connection.execute(
                update(sync_records)
                .where(and_(sync_records.c.target == target, sync_records.c.golden_id == merge.golden_id))
                .values(**values)
            )
        else:
            connection.execute(insert(sync_records).values(target=target, golden_id=merge.golden_id, **values))
    # tags: the master carries every merged record's tags now
    tags_id = f"{merge.golden_id}{TAGS_SUFFIX}"
    tag_rows = [r for gid, r in records.items() if gid.endswith(TAGS_SUFFIX)]
    if tag_rows:
        applied = sorted({t for r in tag_rows for t in (r["payload"] or {}).get("tags", [])})
        version = max(versions, default=0) + 1
        if tags_id in records:
            connection.execute(
                update(sync_records)
                .where(and_(sync_records.c.target == target, sync_records.c.golden_id == tags_id))
                .values(
                    module=master_module,
                    payload={**(records[tags_id]["payload"] or {}), "tags": applied},
                    payload_hash=None,
                    version=version,
                    synced_at=utcnow(),
                )
            )
        _merge_applied_tags(connection, target=target, merge=merge)
    _drop_retired(connection, target=target, retired_ids=merge.retired_ids)
    if gone:  # any other golden record still pointing at a loser (a crm dedupe of records leadflow did not create)
        connection.execute(
            update(sync_records)
            .where(and_(sync_records.c.target == target, sync_records.c.remote_id.in_(list(gone))))
            .values(module=master_module, remote_id=merge.master_id, payload_hash=None, payload={})
        )


def _drop_retired(connection: Connection, *, target: str, retired_ids: Sequence[str]) -> None:
    for retired in retired_ids:
        connection.execute(
            delete(sync_records).where(
                and_(
                    sync_records.c.target == target,
                    sync_records.c.golden_id.in_([retired, f"{retired}{TAGS_SUFFIX}"]),
                )
            )
        )


def _merge_applied_tags(connection: Connection, *, target: str, merge: MergeLinks) -> None:
    """The survivor's applied tags become the union of the merged golden people's (the master holds them all)."""
    ids = [merge.golden_id, *merge.retired_ids]
    rows = {
        str(r.golden_person_id): r
        for r in connection.execute(
            select(record_tags).where(and_(record_tags.c.target == target, record_tags.c.golden_person_id.in_(ids)))
        )
    }
    if merge.golden_id not in rows:
        return
    applied = sorted({t for r in rows.values() for t in (r.applied or [])})
    connection.execute(
        update(record_tags)
        .where(and_(record_tags.c.target == target, record_tags.c.golden_person_id == merge.golden_id))
        .values(applied=applied, updated_at=utcnow())
    )


# --- what to merge ------------------------------------------------------------------------------------------------

PERSON_MODULES = ("Leads", "Contacts")


def crm_cluster_records(connection: Connection) -> list[tuple[str, tuple[str, str]]]:
    """(golden id, (module, crm id)) of every Lead and Contact a golden person's cluster holds: the records
    resolve matched into it and the person's own CRM link."""
    table = crm_cluster_members
    pairs = [
        (str(gid), (str(module), str(crm_id)))
        for gid, module, crm_id in connection.execute(
            select(table.c.golden_person_id, table.c.crm_module, table.c.crm_id)
            .where(table.c.crm_module.in_(PERSON_MODULES))
            .order_by(table.c.golden_person_id, table.c.crm_module, table.c.crm_id)
        )
    ]
    linked = connection.execute(
        select(golden_people.c.id, golden_people.c.crm_module, golden_people.c.crm_id).where(
            and_(golden_people.c.crm_id.is_not(None), golden_people.c.crm_module.in_(PERSON_MODULES))
        )
    )
    pairs += [(str(gid), (str(module), str(crm_id))) for gid, module, crm_id in linked]
    return pairs


def orphaned_records(connection: Connection, *, target: str) -> dict[str, tuple[str, str]]:
    """Golden id -> (module, remote id) of person records pushed to ``target`` whose golden person is gone."""
    query = select(sync_records.c.golden_id, sync_records.c.module, sync_records.c.remote_id).where(
        and_(
            sync_records.c.target == target,
            sync_records.c.kind == "person",
            sync_records.c.remote_id.is_not(None),
            ~select(golden_people.c.id).where(golden_people.c.id == sync_records.c.golden_id).exists(),
        )
    )
    return {str(gid): (str(module), str(rid)) for gid, module, rid in connection.execute(query)}


def remote_records(connection: Connection, *, target: str, golden_ids: set[str]) -> dict[str, tuple[str, str]]:
    """Golden id -> (module, remote id) of the person records ``target`` holds for ``golden_ids``."""
    found: dict[str, tuple[str, str]] = {}
    ids = sorted(golden_ids)
    for start in range(0, len(ids), 500):
        query = select(sync_records.c.golden_id, sync_records.c.module, sync_records.c.remote_id).where(
            and_(
                sync_records.c.target == target,
                sync_records.c.kind == "person",
                sync_records.c.remote_id.is_not(None),
                sync_records.c.golden_id.in_(ids[start : start + 500]),
            )
        )
        found.update({str(g): (str(m), str(r)) for g, m, r in connection.execute(query)})
    return found


def golden_people_by_id(connection: Connection, *, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Golden people rows by id (the values a merge keeps)."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        query = select(golden_people).where(golden_people.c.id.in_(list(ids[start : start + 500])))
        found.update({str(row["id"]): dict(row) for row in connection.execute(query).mappings()})
    return found
