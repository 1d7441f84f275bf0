"""The mirror of Zoho Deals and their Stage_History (``crm_deals``, ``crm_deal_stages``): writes and the cursor.

The pipeline (:mod:`leadflow.pipeline.deal_mirror`) turns Zoho records into rows; the reports read the tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from leadflow.errors import LeadflowError
from leadflow.store.runs import utcnow
from leadflow.store.schema import crm_deal_stages, crm_deals

OUTCOMES = ("open", "won", "lost")


def upsert_deals(connection: Connection, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert or update ``crm_deals`` rows by Zoho id, in the caller's transaction; returns how many."""
    names = [column.name for column in crm_deals.columns]
    now = utcnow()
    batch: list[dict[str, Any]] = []
    for row in rows:
        if not row.get("crm_id"):
            raise LeadflowError("a Deal without an id cannot be mirrored")
        if row.get("outcome") not in OUTCOMES:
            raise LeadflowError(f"Deal {row['crm_id']}: outcome must be one of {OUTCOMES}, not {row.get('outcome')!r}")
        batch.append({**{name: row.get(name) for name in names}, "loaded_at": row.get("loaded_at") or now})
    if not batch:
        return 0
    dialect_insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(crm_deals)
    updates = {c.name: statement.excluded[c.name] for c in crm_deals.columns if not c.primary_key}
    connection.execute(statement.on_conflict_do_update(index_elements=["crm_id"], set_=updates), batch)
    return len(batch)


def replace_stage_history(connection: Connection, *, deal_id: str, entries: Sequence[Mapping[str, Any]]) -> None:
    """Make ``crm_deal_stages`` hold exactly ``entries`` for the Deal (Zoho fills in durations afterwards)."""
    connection.execute(delete(crm_deal_stages).where(crm_deal_stages.c.deal_id == deal_id))
    if entries:
        connection.execute(insert(crm_deal_stages), [{**entry, "deal_id": deal_id} for entry in entries])


def deal_stages(connection: Connection, *, ids: Sequence[str]) -> dict[str, str | None]:
    """The mirrored stage of each of these Deals (absent: not mirrored yet)."""
    stages: dict[str, str | None] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        for crm_id, stage in connection.execute(
            select(crm_deals.c.crm_id, crm_deals.c.stage).where(crm_deals.c.crm_id.in_(chunk))
        ):
            stages[str(crm_id)] = stage
    return stages


def latest_deal_modified_time(connection: Connection) -> datetime | None:
    """The newest ``Modified_Time`` mirrored (where the next incremental read resumes)."""
    return connection.execute(select(func.max(crm_deals.c.modified_time))).scalar_one_or_none()


def stage_moves(connection: Connection, *, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The mirrored Stage_History of these Deals as ``{"stage", "moved_at"}`` entries, oldest first."""
    moves: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(ids), 500):
        query = (
            select(crm_deal_stages.c.deal_id, crm_deal_stages.c.stage, crm_deal_stages.c.moved_at)
            .where(crm_deal_stages.c.deal_id.in_(list(ids[start : start + 500])))
            .order_by(crm_deal_stages.c.deal_id, crm_deal_stages.c.moved_at)
        )
        for deal_id, stage, moved_at in connection.execute(query):
            moves.setdefault(str(deal_id), []).append({"stage": stage, "moved_at": moved_at})
    return moves
