"""What a group of people produced (a source, a segment): people, contacted, replies, meetings, Deals, amount;
and which source touched each person first and last. Shared by the sources and segments reports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, FromClause, case, desc, distinct, func, select

from leadflow.reporting.model import Column, ReportFilters
from leadflow.reporting.scope import period_of, person_deals, person_facts, person_filter, person_sources

OUTCOME_COLUMNS = (
    Column("people", "People", "count"),
    Column("contacted", "Contacted", "count"),
    Column("replied", "Replied", "count"),
    Column("meetings", "Meetings", "count"),
    Column("deals", "Deals", "count"),
    Column("amount", "Deal amount", "money"),
    Column("won_amount", "Won amount", "money"),
    Column("reply_rate", "Reply rate", "rate"),
)


def deals_per_person(filters: ReportFilters) -> FromClause:
    """(golden_person_id, deals, amount, won_amount) over Deals created in the period."""
    period = period_of(filters)
    deals = person_deals()
    won = deals.c.outcome == "won"
    return (
        select(
            deals.c.golden_person_id,
            func.count(distinct(deals.c.deal_id)).label("deals"),
            func.sum(deals.c.amount).label("amount"),
            func.sum(case((won, deals.c.amount), else_=0.0)).label("won_amount"),
        )
        .where(period.bound(deals.c.created_time))
        .group_by(deals.c.golden_person_id)
        .subquery("deals_per_person")
    )


def outcomes_by(
    connection: Connection, filters: ReportFilters, groups: FromClause, *, use_source: bool = True
) -> dict[str, dict[str, Any]]:
    """Per group of ``groups`` (distinct ``golden_person_id``, ``grp`` pairs): the outcome columns, in one query."""
    facts = person_facts(connection, filters)
    deals = deals_per_person(filters)
    person = groups.c.golden_person_id
    result = connection.execute(
        select(
            groups.c.grp,
            func.count(),
            func.coalesce(func.sum(facts.c.contacted), 0),
            func.coalesce(func.sum(facts.c.replied), 0),
            func.coalesce(func.sum(facts.c.met), 0),
            func.coalesce(func.sum(deals.c.deals), 0),
            func.coalesce(func.sum(deals.c.amount), 0.0),
            func.coalesce(func.sum(deals.c.won_amount), 0.0),
        )
        .select_from(groups)
        .outerjoin(facts, facts.c.golden_person_id == person)
        .outerjoin(deals, deals.c.golden_person_id == person)
        .where(person_filter(connection, filters, person, use_source=use_source))
        .group_by(groups.c.grp)
    )
    rows: dict[str, dict[str, Any]] = {}
    for group, people, contacted, replied, met, deal_count, amount, won_amount in result:
        rows[str(group)] = {
            "people": int(people),
            "contacted": int(contacted),
            "replied": int(replied),
            "meetings": int(met),
            "deals": int(deal_count),
            "amount": float(amount),
            "won_amount": float(won_amount),
            "reply_rate": int(replied) / int(contacted) if contacted else None,
        }
    return rows


def any_touch() -> FromClause:
    """(golden_person_id, grp): every source a person came from, once each."""
    sources = person_sources()
    return select(sources.c.golden_person_id, sources.c.source_kind.label("grp")).distinct().subquery("any_touch")


def touch(which: str) -> FromClause:
    """(golden_person_id, grp): the source that touched each person first (``first``) or last (``last``).

    A match with a record already in the CRM is the earliest touch there is; files follow in ingest order.
    """
    sources = person_sources()
    crm_last = case((sources.c.source_kind == "crm", 0), else_=1)
    order: Sequence[Any] = (crm_last, sources.c.touched_at, sources.c.record_id)
    if which == "last":
        order = tuple(desc(term) for term in order)
    ranked = select(
        sources.c.golden_person_id,
        sources.c.source_kind.label("grp"),
        func.row_number().over(partition_by=sources.c.golden_person_id, order_by=order).label("rank"),
    ).subquery(f"{which}_ranked")
    return select(ranked.c.golden_person_id, ranked.c.grp).where(ranked.c.rank == 1).subquery(f"{which}_touch")
