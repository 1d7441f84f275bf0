"""The Deal pipeline: Deals by stage (count, amount, amount weighted by probability), how long they have been in
their stage and how long Deals stay in each stage (from Zoho's Stage_History), won and lost by month."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Column as SqlColumn
from sqlalchemy import ColumnElement, Connection, MetaData, String, and_, case, func, insert, literal, or_, select, true
from sqlalchemy import Table as SqlTable

from leadflow.reporting.model import Chart, Column, Report, ReportFilters, Table
from leadflow.reporting.scope import (
    check_filters,
    days_between,
    month_of,
    narrows_people,
    period_of,
    person_deals,
    person_filter,
)
from leadflow.reporting.view import scoped
from leadflow.store.runs import utcnow
from leadflow.store.schema import crm_deal_stages, crm_deals
from leadflow.store.schema.base import Timestamp

NOTES = (
    "Deals by stage: Deals created in the period, where they stand now. Won and lost: Deals closed in the period, "
    "by the month they closed.",
    "Weighted amount = amount × probability. Age in stage: days since the Deal arrived at its current stage. Days "
    "per stage: the mean time Deals stayed in a stage before leaving it (Zoho's Stage_History).",
    "--owner narrows to Deals of that owner; --segment and --source to Deals linked to those people's Contacts.",
)


_LINKED_DEALS = "leadflow.reporting.linked_deals"


def _people_filters(filters: ReportFilters) -> ReportFilters:
    return ReportFilters(segment=filters.segment, source=filters.source)


def deal_filter(connection: Connection, filters: ReportFilters) -> ColumnElement[bool]:
    """Deals in scope of the owner, segment and source filters."""
    conditions: list[ColumnElement[bool]] = []
    if filters.owner is not None:
        conditions.append(or_(crm_deals.c.owner_id == filters.owner, crm_deals.c.owner_name == filters.owner))
    people_filters = _people_filters(filters)
    if narrows_people(people_filters):
        linked: SqlTable | None = connection.info.get(_LINKED_DEALS, {}).get(people_filters)
        if linked is not None:
            conditions.append(crm_deals.c.crm_id.in_(select(linked.c.deal_id)))
        else:
            conditions.append(crm_deals.c.crm_id.in_(_linked_deal_ids(connection, people_filters)))
    return and_(true(), *conditions)


def _linked_deal_ids(connection: Connection, people_filters: ReportFilters) -> Any:
    linked = person_deals()
    return select(linked.c.deal_id).where(person_filter(connection, people_filters, linked.c.golden_person_id))


@contextmanager
def linked_deals_in_scope(connection: Connection, filters: ReportFilters) -> Iterator[None]:
    """Within the block, :func:`deal_filter` reads the Deals linked to the people the segment and source filters
    leave from a temporary table (the connection's own) filled once here, instead of resolving every Deal's
    people again in each of the report's statements."""
    people_filters = _people_filters(filters)
    made: dict[ReportFilters, SqlTable] = connection.info.setdefault(_LINKED_DEALS, {})
    if not narrows_people(people_filters) or people_filters in made:
        yield
        return
    table = SqlTable(
        f"lf_deals_{uuid.uuid4().hex[:12]}",
        MetaData(),
        SqlColumn("deal_id", String(64), primary_key=True),
        prefixes=["TEMPORARY"],
    )
    table.create(connection)
    try:
        ids = _linked_deal_ids(connection, people_filters).subquery("linked")
        connection.execute(insert(table).from_select(["deal_id"], select(ids.c.deal_id).distinct()))
        made[people_filters] = table
        yield
    finally:
        made.pop(people_filters, None)
        table.drop(connection)


def _stage_order() -> ColumnElement[Any]:
    return case((crm_deals.c.outcome == "open", 0), (crm_deals.c.outcome == "won", 1), else_=2)


def by_stage(connection: Connection, filters: ReportFilters, now: datetime) -> list[dict[str, Any]]:
    period = period_of(filters)
    scope = and_(deal_filter(connection, filters), period.bound(crm_deals.c.created_time))
    age = days_between(connection, crm_deals.c.stage_since, literal(now, Timestamp))
    stages = connection.execute(
        select(
            crm_deals.c.stage,
            func.count().label("deals"),
            func.coalesce(func.sum(crm_deals.c.amount), 0.0).label("amount"),
            func.coalesce(func.sum(crm_deals.c.amount * crm_deals.c.probability / 100.0), 0.0).label("weighted"),
            func.avg(case((crm_deals.c.outcome == "open", age))).label("age"),
            func.min(_stage_order()).label("rank"),
            func.min(crm_deals.c.probability).label("probability"),
        )
        .where(scope)
        .group_by(crm_deals.c.stage)
    ).all()
    stays = {
        stage: (mean_days, probability)
        for stage, mean_days, probability in connection.execute(
            select(
                crm_deal_stages.c.stage,
                func.avg(crm_deal_stages.c.duration_days),
                func.min(crm_deal_stages.c.probability),
            )
            .join(crm_deals, crm_deals.c.crm_id == crm_deal_stages.c.deal_id)
            .where(scope)
            .group_by(crm_deal_stages.c.stage)
        )
    }
    order: dict[str, tuple[int, float, str]] = {}
    rows: list[dict[str, Any]] = []
    for stage, deals, amount, weighted, mean_age, rank, probability in stages:
        order[stage or "(no stage)"] = (int(rank), float(probability if probability is not None else -1), stage or "")
        rows.append(
            {
                "stage": stage or "(no stage)",
                "deals": int(deals),
                "amount": float(amount),
                "weighted_amount": float(weighted),
                "probability": None if probability is None else float(probability) / 100.0,
                "age_days": None if mean_age is None else float(mean_age),
                "days_in_stage": _days(stays.get(stage)),
            }
        )
    for stage, (mean_days, probability) in stays.items():  # stages Deals passed through, none is in now
        if stage not in order:
            rows.append(
                {
                    "stage": stage,
                    "deals": 0,
                    "amount": 0.0,
                    "weighted_amount": 0.0,
                    "probability": None if probability is None else float(probability) / 100.0,
                    "age_days": None,
                    "days_in_stage": None if mean_days is None else float(mean_days),
                }
            )
            order[stage] = (0, float(probability if probability is not None else -1), stage)
    rows.sort(key=lambda row: order[row["stage"]])
    return rows


def _days(stay: tuple[Any, Any] | None) -> float | None:
    return None if stay is None or stay[0] is None else float(stay[0])


def by_month(connection: Connection, filters: ReportFilters) -> list[dict[str, Any]]:
    period = period_of(filters)
    month = month_of(connection, crm_deals.c.closed_at).label("month")
    won = crm_deals.c.outcome == "won"
    lost = crm_deals.c.outcome == "lost"
    result = connection.execute(
        select(
            month,
            func.sum(case((won, 1), else_=0)),
            func.sum(case((lost, 1), else_=0)),
            func.coalesce(func.sum(case((won, crm_deals.c.amount), else_=0.0)), 0.0),
            func.coalesce(func.sum(case((lost, crm_deals.c.amount), else_=0.0)), 0.0),
        )
        .where(
            crm_deals.c.outcome.in_(("won", "lost")),
            crm_deals.c.closed_at.is_not(None),
            period.bound(crm_deals.c.closed_at),
            deal_filter(connection, filters),
        )
        .group_by(month)
        .order_by(month)
    )
    rows = []
    for period_month, won_count, lost_count, won_amount, lost_amount in result:
        closed = int(won_count) + int(lost_count)
        rows.append(
            {
                "month": period_month,
                "won": int(won_count),
                "lost": int(lost_count),
                "won_amount": float(won_amount),
                "lost_amount": float(lost_amount),
                "win_rate": int(won_count) / closed if closed else None,
            }
        )
    return rows


@scoped
def pipeline(connection: Connection, filters: ReportFilters, *, now: datetime | None = None) -> Report:
    """Deals by stage and won/lost by month.

    Example:
        >>> with engine.connect() as connection:  # doctest: +SKIP
        ...     pipeline(connection, ReportFilters()).table("stages").rows[0]["stage"]
        'Qualification'
    """
    check_filters(filters)
    at = now or utcnow()
    with linked_deals_in_scope(connection, filters):
        stages = by_stage(connection, filters, at)
        closed = by_month(connection, filters)
    return Report(
        name="pipeline",
        title="Deal pipeline",
        filters=filters,
        tables=(
            Table(
                key="stages",
                title="Deals by stage",
                columns=(
                    Column("stage", "Stage"),
                    Column("deals", "Deals", "count"),
                    Column("amount", "Amount", "money"),
                    Column("weighted_amount", "Weighted amount", "money"),
                    Column("probability", "Probability", "rate"),
                    Column("age_days", "Mean age in stage", "duration_days"),
                    Column("days_in_stage", "Mean days per stage", "duration_days"),
                ),
                rows=stages,
                chart=Chart("bar", x="stage", y=("amount", "weighted_amount")),
            ),
            Table(
                key="closed",
                title="Won and lost by month",
                columns=(
                    Column("month", "Month"),
                    Column("won", "Won", "count"),
                    Column("lost", "Lost", "count"),
                    Column("won_amount", "Won amount", "money"),
                    Column("lost_amount", "Lost amount", "money"),
                    Column("win_rate", "Win rate", "rate"),
                ),
                rows=closed,
                chart=Chart("stacked_bar", x="month", y=("won", "lost")),
            ),
        ),
        notes=NOTES,
    )
