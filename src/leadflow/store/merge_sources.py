"""What to merge: the CRM records a golden person's cluster holds, and the records at a target of golden people
that no longer exist (merged away by a later resolve), read for the merge planner."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, select

from leadflow.store.schema import crm_cluster_members, golden_people, sync_records

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
