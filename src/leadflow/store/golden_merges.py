"""Lineage of golden people: which golden id a resolve folded into which, so the sync can merge the records
the retired id already holds at a target instead of leaving them orphaned.

A resolve keeps a cluster's id when its rows had one (``leadflow.resolve.ids``); when a new file proves two
golden people are one, their rows form one cluster and one of the two ids disappears. Before the golden tables
are replaced, :func:`synced_members` notes which rows each *synced* golden person held; after, :func:`record`
finds where the rows of the ids that disappeared went.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from leadflow.store.runs import utcnow
from leadflow.store.schema import cluster_members, crm_cluster_members, golden_merges, golden_people, sync_records

Members = dict[str, set[str]]  # golden id -> rids (``p:<source record id>``, ``crm:<module>:<id>``)


def synced_members(connection: Connection) -> Members:
    """The rows of every golden person some target already holds a record of (before a resolve rewrites them)."""
    synced = {
        str(gid)
        for (gid,) in connection.execute(
            select(sync_records.c.golden_id).where(sync_records.c.kind == "person").distinct()
        )
    }
    if not synced:
        return {}
    return _members(connection, synced)


def _members(connection: Connection, golden_ids: set[str]) -> Members:
    members: Members = {}
    for srid, gid in connection.execute(select(cluster_members.c.source_record_id, cluster_members.c.golden_person_id)):
        if gid in golden_ids:
            members.setdefault(str(gid), set()).add(f"p:{srid}")
    table = crm_cluster_members
    for module, crm_id, gid in connection.execute(select(table.c.crm_module, table.c.crm_id, table.c.golden_person_id)):
        if gid in golden_ids:
            members.setdefault(str(gid), set()).add(f"crm:{module}:{crm_id}")
    return members


def record(connection: Connection, *, before: Members, run_id: int | None) -> dict[str, str]:
    """After a resolve: every id of ``before`` that no longer exists, mapped to the golden person now holding
    most of its rows; written to ``golden_merges`` and returned (retired id -> survivor id)."""
    live = _live(connection, set(before))
    gone = {gid: rids for gid, rids in before.items() if gid not in live and rids}
    if not gone:
        return {}
    now_of = _holders(connection, {rid for rids in gone.values() for rid in rids})
    merged: dict[str, str] = {}
    for gid, rids in gone.items():
        votes = Counter(now_of[rid] for rid in rids if rid in now_of)
        if votes:
            merged[gid] = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    _write(connection, merged, run_id)
    return merged


def _holders(connection: Connection, rids: set[str]) -> dict[str, str]:
    """rid -> the golden person holding it now, for ``rids``."""
    sources = sorted(int(rid[2:]) for rid in rids if rid.startswith("p:"))
    held: dict[str, str] = {}
    for start in range(0, len(sources), 500):
        query = select(cluster_members.c.source_record_id, cluster_members.c.golden_person_id).where(
            cluster_members.c.source_record_id.in_(sources[start : start + 500])
        )
        held.update({f"p:{srid}": str(gid) for srid, gid in connection.execute(query)})
    crm = [tuple(rid.split(":", 2)[1:]) for rid in rids if rid.startswith("crm:")]
    table = crm_cluster_members
    for module, crm_id in crm:
        query = select(table.c.golden_person_id).where((table.c.crm_module == module) & (table.c.crm_id == crm_id))
        gid = connection.execute(query).scalar_one_or_none()
        if gid is not None:
            held[f"crm:{module}:{crm_id}"] = str(gid)
    return held


def _write(connection: Connection, merged: Mapping[str, str], run_id: int | None) -> None:
    if not merged:
        return
    dialect_insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(golden_merges)
    statement = statement.on_conflict_do_update(
        index_elements=[golden_merges.c.retired_id],
        set_={"survivor_id": statement.excluded.survivor_id, "run_id": statement.excluded.run_id},
    )
    now = utcnow()
    connection.execute(
        statement,
        [{"retired_id": r, "survivor_id": s, "run_id": run_id, "created_at": now} for r, s in merged.items()],
    )


def survivors(connection: Connection, retired_ids: Iterable[str]) -> dict[str, str]:
    """Retired id -> the live golden id it ended in (following chains: a into b, later b into c gives c);
    ids with no live survivor are left out."""
    retired_ids = list(retired_ids)
    if not retired_ids:
        return {}
    lineage = {
        str(r): str(s) for r, s in connection.execute(select(golden_merges.c.retired_id, golden_merges.c.survivor_id))
    }
    live = _live(connection, {*retired_ids, *lineage.values()})
    result: dict[str, str] = {}
    for retired in retired_ids:
        current, seen = retired, {retired}
        while current in lineage and current not in live:
            current = lineage[current]
            if current in seen:
                break
            seen.add(current)
        if current in live and current != retired:
            result[retired] = current
    return result


def _live(connection: Connection, ids: set[str]) -> set[str]:
    """Those of ``ids`` that are golden people now."""
    wanted = sorted(ids)
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        query = select(golden_people.c.id).where(golden_people.c.id.in_(wanted[start : start + 500]))
        found.update(str(gid) for (gid,) in connection.execute(query))
    return found
