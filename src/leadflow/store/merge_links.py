"""After a merge at a target, the store's links follow: the CRM mirror and ``crm_cluster_members`` lose the
losers, ``golden_people.crm_id`` and the sync's id map (``sync_records``) name the master, the retired golden
people's id-map rows go, and the survivor's applied tags are the union of what the merged records carried."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import Connection, and_, delete, insert, select, update

from leadflow.store.runs import utcnow
from leadflow.store.schema import crm_cluster_members, crm_records, golden_people, record_tags, sync_records

TAGS_SUFFIX = "#tags"


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
