"""Repository of ``deal_links``: which GHL opportunity stands for which Zoho Deal, where each side's stage is,
and what leadflow itself last wrote on each side (to recognise its own change when it comes back)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from leadflow.store.runs import utcnow
from leadflow.store.schema import deal_links
from leadflow.store.zoho import as_utc


@dataclass(frozen=True)
class DealLink:
    zoho_deal_id: str
    ghl_opportunity_id: str
    ghl_pipeline_id: str
    golden_person_id: str
    zoho_stage: str | None
    ghl_stage_id: str | None
    zoho_written_stage: str | None
    zoho_written_at: datetime | None
    ghl_written_stage_id: str | None
    ghl_written_at: datetime | None


def link(
    connection: Connection,
    *,
    zoho_deal_id: str,
    ghl_opportunity_id: str,
    ghl_pipeline_id: str,
    golden_person_id: str,
    zoho_stage: str | None,
    ghl_stage_id: str | None,
) -> bool:
    """Record that the opportunity stands for the Deal (a link made before is kept); True when new."""
    now = utcnow()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(deal_links)
        .values(
            zoho_deal_id=zoho_deal_id,
            ghl_opportunity_id=ghl_opportunity_id,
            ghl_pipeline_id=ghl_pipeline_id,
            golden_person_id=golden_person_id,
            zoho_stage=zoho_stage,
            ghl_stage_id=ghl_stage_id,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()
        .returning(deal_links.c.zoho_deal_id)  # rowcount is not reliable here on psycopg: a row back means new
    )
    return connection.execute(statement).first() is not None


def by_deal(connection: Connection, deal_id: str) -> DealLink | None:
    row = connection.execute(select(deal_links).where(deal_links.c.zoho_deal_id == deal_id)).first()
    return _link(row) if row is not None else None


def by_opportunity(connection: Connection, opportunity_id: str) -> DealLink | None:
    row = connection.execute(select(deal_links).where(deal_links.c.ghl_opportunity_id == opportunity_id)).first()
    return _link(row) if row is not None else None


def people_of_deals(connection: Connection, deal_ids: Sequence[str]) -> dict[str, str]:
    """The golden person of each linked Deal among ``deal_ids``."""
    if not deal_ids:
        return {}
    rows = connection.execute(
        select(deal_links.c.zoho_deal_id, deal_links.c.golden_person_id).where(
            deal_links.c.zoho_deal_id.in_(sorted(set(deal_ids)))
        )
    )
    return {str(deal): str(person) for deal, person in rows}


def ghl_stages(connection: Connection) -> dict[str, str | None]:
    """Every linked opportunity and the GHL stage leadflow last knew it in."""
    rows = connection.execute(select(deal_links.c.ghl_opportunity_id, deal_links.c.ghl_stage_id))
    return {str(opportunity): stage for opportunity, stage in rows}


def wrote_zoho_stage(connection: Connection, *, deal_id: str, stage: str, ghl_stage_id: str, at: datetime) -> None:
    """leadflow moved the Deal to ``stage`` because GHL's opportunity moved to ``ghl_stage_id``."""
    connection.execute(
        update(deal_links)
        .where(deal_links.c.zoho_deal_id == deal_id)
        .values(
            zoho_stage=stage,
            ghl_stage_id=ghl_stage_id,
            zoho_written_stage=stage,
            zoho_written_at=at,
            # a genuine change came from GHL: any echo of an earlier write there has come back already
            ghl_written_stage_id=None,
            ghl_written_at=None,
            updated_at=at,
        )
    )


def wrote_ghl_stage(connection: Connection, *, deal_id: str, stage_id: str, zoho_stage: str, at: datetime) -> None:
    """leadflow moved the opportunity to ``stage_id`` because the Deal moved to ``zoho_stage``."""
    connection.execute(
        update(deal_links)
        .where(deal_links.c.zoho_deal_id == deal_id)
        .values(
            ghl_stage_id=stage_id,
            zoho_stage=zoho_stage,
            ghl_written_stage_id=stage_id,
            ghl_written_at=at,
            zoho_written_stage=None,
            zoho_written_at=None,
            updated_at=at,
        )
    )


def saw_stages(
    connection: Connection, *, deal_id: str, zoho_stage: str | None = None, ghl_stage_id: str | None = None
) -> None:
    """Remember where a side is now (a change leadflow did not carry across: unmapped, or already in step)."""
    values: dict[str, object] = {"updated_at": utcnow()}
    if zoho_stage is not None:
        values["zoho_stage"] = zoho_stage
    if ghl_stage_id is not None:
        values["ghl_stage_id"] = ghl_stage_id
    connection.execute(update(deal_links).where(deal_links.c.zoho_deal_id == deal_id).values(**values))


def absorbed_echo(connection: Connection, *, deal_id: str, side: str) -> None:
    """leadflow's own write on ``side`` (``zoho`` or ``ghl``) came back: forget it, so it is absorbed once."""
    t = deal_links.c
    if side == "zoho":
        values = {t.zoho_written_stage: None, t.zoho_written_at: None}
    else:
        values = {t.ghl_written_stage_id: None, t.ghl_written_at: None}
    connection.execute(update(deal_links).where(t.zoho_deal_id == deal_id).values(values))


def _link(row: object) -> DealLink:
    m = row._mapping  # type: ignore[attr-defined]
    return DealLink(
        zoho_deal_id=m["zoho_deal_id"],
        ghl_opportunity_id=m["ghl_opportunity_id"],
        ghl_pipeline_id=m["ghl_pipeline_id"],
        golden_person_id=m["golden_person_id"],
        zoho_stage=m["zoho_stage"],
        ghl_stage_id=m["ghl_stage_id"],
        zoho_written_stage=m["zoho_written_stage"],
        zoho_written_at=as_utc(m["zoho_written_at"]),
        ghl_written_stage_id=m["ghl_written_stage_id"],
        ghl_written_at=as_utc(m["ghl_written_at"]),
    )
