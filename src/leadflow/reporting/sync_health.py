"""Sync health: runs, records written, failures by reason, Zoho credits and GHL requests per day against their
budgets, and how far behind the webhook intake is (lag from receipt to processing, backlog)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, select

from leadflow.reporting.model import Chart, Column, Report, ReportFilters, Table
from leadflow.reporting.scope import check_filters, day_of, period_of, seconds_between
from leadflow.store.schema import ghl_request_ledger, runs, sync_log, webhook_deliveries, zoho_credit_ledger

WRITTEN = ("created", "updated")
REFUSED = ("failed", "invalid")
BACKLOG_STATES = ("received", "processing")

NOTES = (
    "Everything here is narrowed by the period only (runs by start, records and failures by when they were "
    "logged, credits and requests by their minute, webhooks by receipt); segment, owner and source do not apply.",
    "Budgets: [zoho] daily_credit_budget and [ghl] daily_request_budget (per location). Webhook lag: seconds "
    "from receipt to processing of the deliveries processed; backlog: deliveries not processed yet, now.",
)


@dataclass(frozen=True)
class SyncBudgets:
    """The daily budgets the usage is shown against (config's defaults unless given)."""

    zoho_daily_credits: int = 50_000
    ghl_daily_requests: int = 200_000


def run_rows(connection: Connection, filters: ReportFilters) -> list[dict[str, Any]]:
    period = period_of(filters)
    result = connection.execute(
        select(
            runs.c.kind,
            func.count(),
            func.sum(case((runs.c.status == "succeeded", 1), else_=0)),
            func.sum(case((runs.c.status == "failed", 1), else_=0)),
            func.max(runs.c.started_at),
        )
        .where(period.bound(runs.c.started_at))
        .group_by(runs.c.kind)
        .order_by(runs.c.kind)
    )
    return [
        {
            "kind": kind,
            "runs": int(count),
            "succeeded": int(succeeded),
            "failed": int(failed),
            "other": int(count) - int(succeeded) - int(failed),
            "last_started": last,
        }
        for kind, count, succeeded, failed, last in result
    ]


def written_rows(connection: Connection, filters: ReportFilters) -> list[dict[str, Any]]:
    period = period_of(filters)
    result = connection.execute(
        select(
            sync_log.c.target,
            func.sum(case((sync_log.c.outcome == "created", 1), else_=0)),
            func.sum(case((sync_log.c.outcome == "updated", 1), else_=0)),
            func.sum(case((sync_log.c.outcome.in_(REFUSED), 1), else_=0)),
            func.count(),
        )
        .where(period.bound(sync_log.c.created_at))
        .group_by(sync_log.c.target)
        .order_by(sync_log.c.target)
    )
    return [
        {
            "target": target,
            "created": int(created),
            "updated": int(updated),
            "written": int(created) + int(updated),
            "failed": int(failed),
            "logged": int(logged),
        }
        for target, created, updated, failed, logged in result
    ]


def failure_rows(connection: Connection, filters: ReportFilters) -> list[dict[str, Any]]:
    period = period_of(filters)
    code = func.coalesce(sync_log.c.code, "(no code)").label("code")
    result = connection.execute(
        select(sync_log.c.target, sync_log.c.outcome, code, func.count(), func.max(sync_log.c.message))
        .where(sync_log.c.outcome.in_(REFUSED), period.bound(sync_log.c.created_at))
        .group_by(sync_log.c.target, sync_log.c.outcome, code)
        .order_by(func.count().desc(), sync_log.c.target, code)
    )
    return [
        {"target": target, "outcome": outcome, "reason": reason, "records": int(count), "example": message}
        for target, outcome, reason, count, message in result
    ]


def usage_rows(connection: Connection, filters: ReportFilters, budgets: SyncBudgets) -> list[dict[str, Any]]:
    """Per day: Zoho credits and calls, GHL requests (all locations) and locations, each against its budget."""
    period = period_of(filters)
    zoho_day = day_of(connection, zoho_credit_ledger.c.bucket).label("day")
    ghl_day = day_of(connection, ghl_request_ledger.c.bucket).label("day")
    days: dict[str, dict[str, Any]] = {}
    for day, credits, calls in connection.execute(
        select(zoho_day, func.sum(zoho_credit_ledger.c.credits), func.sum(zoho_credit_ledger.c.calls))
        .where(period.bound(zoho_credit_ledger.c.bucket))
        .group_by(zoho_day)
    ):
        days.setdefault(str(day), {})["zoho"] = (int(credits), int(calls))
    for day, requests, locations in connection.execute(
        select(
            ghl_day,
            func.sum(ghl_request_ledger.c.requests),
            func.count(func.distinct(ghl_request_ledger.c.location_id)),
        )
        .where(period.bound(ghl_request_ledger.c.bucket))
        .group_by(ghl_day)
    ):
        days.setdefault(str(day), {})["ghl"] = (int(requests), int(locations))
    rows = []
    for day in sorted(days):
        credits, calls = days[day].get("zoho", (0, 0))
        requests, locations = days[day].get("ghl", (0, 0))
        ghl_budget = budgets.ghl_daily_requests * max(locations, 1)
        rows.append(
            {
                "day": day,
                "zoho_credits": credits,
                "zoho_calls": calls,
                "zoho_budget": budgets.zoho_daily_credits,
                "zoho_used": credits / budgets.zoho_daily_credits if budgets.zoho_daily_credits else None,
                "ghl_requests": requests,
                "ghl_budget": ghl_budget,
                "ghl_used": requests / ghl_budget if ghl_budget else None,
            }
        )
    return rows


def _percentiles(connection: Connection, filters: ReportFilters, count: int) -> tuple[float | None, float | None]:
    """p50 and p95 (nearest rank) of the lag of the ``count`` processed deliveries, from one sort of the lags."""
    if count == 0:
        return None, None
    period = period_of(filters)
    ranks = {share: max(1, min(count, math.ceil(share * count))) for share in (0.50, 0.95)}
    lag = seconds_between(connection, webhook_deliveries.c.received_at, webhook_deliveries.c.processed_at)
    ranked = (
        select(lag.label("lag"), func.row_number().over(order_by=lag).label("rank"))
        .where(webhook_deliveries.c.processed_at.is_not(None), period.bound(webhook_deliveries.c.received_at))
        .subquery("ranked")
    )
    found = {
        int(rank): float(value)
        for rank, value in connection.execute(
            select(ranked.c.rank, ranked.c.lag).where(ranked.c.rank.in_(sorted(set(ranks.values()))))
        )
    }
    p50, p95 = (found.get(ranks[share]) for share in (0.50, 0.95))
    return (None if p50 is None else max(0.0, p50)), (None if p95 is None else max(0.0, p95))


def webhook_rows(connection: Connection, filters: ReportFilters) -> list[dict[str, Any]]:
    period = period_of(filters)
    processed, failed, total = connection.execute(
        select(
            func.count(webhook_deliveries.c.processed_at),
            func.sum(case((webhook_deliveries.c.state.in_(("failed", "parked")), 1), else_=0)),
            func.count(),
        ).where(period.bound(webhook_deliveries.c.received_at))
    ).one()
    backlog, oldest = connection.execute(
        select(func.count(), func.min(webhook_deliveries.c.received_at)).where(
            webhook_deliveries.c.state.in_(BACKLOG_STATES)
        )
    ).one()
    p50, p95 = _percentiles(connection, filters, int(processed))
    return [
        {
            "received": int(total),
            "processed": int(processed),
            "failed": int(failed or 0),
            "backlog": int(backlog),
            "oldest_waiting": oldest,
            "lag_p50_seconds": p50,
            "lag_p95_seconds": p95,
        }
    ]


def sync_health(
    connection: Connection,
    filters: ReportFilters,
    *,
    now: datetime | None = None,
    budgets: SyncBudgets | None = None,
) -> Report:
    """How the sync and the webhook intake are doing.

    Example:
        >>> with engine.connect() as connection:  # doctest: +SKIP
        ...     sync_health(connection, ReportFilters()).table("written").rows
        [{'target': 'zoho', 'created': 1004, 'updated': 12, 'written': 1016, 'failed': 3, 'logged': 1019}]
    """
    check_filters(filters)
    limits = budgets or SyncBudgets()
    return Report(
        name="sync",
        title="Sync health",
        filters=filters,
        tables=(
            Table(
                key="runs",
                title="Runs",
                columns=(
                    Column("kind", "Kind"),
                    Column("runs", "Runs", "count"),
                    Column("succeeded", "Succeeded", "count"),
                    Column("failed", "Failed", "count"),
                    Column("other", "Running or stopped", "count"),
                    Column("last_started", "Last started", "datetime"),
                ),
                rows=run_rows(connection, filters),
            ),
            Table(
                key="written",
                title="Records written",
                columns=(
                    Column("target", "Target"),
                    Column("created", "Created", "count"),
                    Column("updated", "Updated", "count"),
                    Column("written", "Written", "count"),
                    Column("failed", "Failed or invalid", "count"),
                    Column("logged", "Logged", "count"),
                ),
                rows=written_rows(connection, filters),
                chart=Chart("stacked_bar", x="target", y=("created", "updated", "failed")),
            ),
            Table(
                key="failures",
                title="Failures by reason",
                columns=(
                    Column("target", "Target"),
                    Column("outcome", "Outcome"),
                    Column("reason", "Reason (code)"),
                    Column("records", "Records", "count"),
                    Column("example", "Example message"),
                ),
                rows=failure_rows(connection, filters),
            ),
            Table(
                key="usage",
                title="API usage per day against the budgets",
                columns=(
                    Column("day", "Day", "date"),
                    Column("zoho_credits", "Zoho credits", "count"),
                    Column("zoho_calls", "Zoho calls", "count"),
                    Column("zoho_budget", "Zoho budget", "count"),
                    Column("zoho_used", "Zoho budget used", "rate"),
                    Column("ghl_requests", "GHL requests", "count"),
                    Column("ghl_budget", "GHL budget", "count"),
                    Column("ghl_used", "GHL budget used", "rate"),
                ),
                rows=usage_rows(connection, filters, limits),
                chart=Chart("line", x="day", y=("zoho_used", "ghl_used")),
            ),
            Table(
                key="webhooks",
                title="Webhook intake",
                columns=(
                    Column("received", "Received", "count"),
                    Column("processed", "Processed", "count"),
                    Column("failed", "Failed or parked", "count"),
                    Column("backlog", "Backlog", "count"),
                    Column("oldest_waiting", "Oldest waiting since", "datetime"),
                    Column("lag_p50_seconds", "Lag p50 (s)", "number"),
                    Column("lag_p95_seconds", "Lag p95 (s)", "number"),
                ),
                rows=webhook_rows(connection, filters),
            ),
        ),
        notes=NOTES,
    )
