"""Reports as HTML pages: the self-contained report file (``leadflow report html``) and the live dashboard's
pages (``/dashboard``), from one set of Jinja2 templates.

A page holds everything it shows: charts are inline SVG drawn on the server (``charts.py``), styles are inline,
and there is no script, font or image to fetch, so the file opens offline and the live page makes no request
but its own. Drill-down and filter links exist only on a live page (:class:`LivePage`): the file has no server
to ask for the people behind a number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import Connection

from leadflow import __version__
from leadflow.config import Settings
from leadflow.reporting.charts import chart_series, chart_svg
from leadflow.reporting.formats import format_value, shown_columns
from leadflow.reporting.model import Column, Report, ReportFilters, Table

if TYPE_CHECKING:
    from leadflow.reporting import SyncBudgets

DRILL_GROUPS = ("source", "segment")  # drill columns whose rows are groups of people rather than funnel steps


@dataclass(frozen=True)
class LivePage:
    """Where a page served by ``leadflow serve`` links to: itself (the filter form), the people behind a
    number, the JSON of each report, and the way out."""

    dashboard_url: str = "/dashboard"
    people_url: str = "/dashboard/people"
    api_url: str = "/dashboard/api"
    logout_url: str = "/dashboard/logout"


@lru_cache(maxsize=1)
def _templates() -> Environment:
    environment = Environment(
        loader=PackageLoader("leadflow.reporting", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["version"] = __version__
    return environment


def render_report_page(
    reports: Sequence[Report],
    *,
    filters: ReportFilters,
    currency: str = "EUR",
    live: LivePage | None = None,
    generated_at: datetime | None = None,
    choices: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The dashboard: every report's tables with their charts, numbers formatted for people.

    ``live`` adds the filter form, drill-down links and JSON links (the served page); without it the page is the
    self-contained report file. ``choices`` offers known values for the segment, source and owner filters.
    """
    sections = [_section(report, filters=filters, currency=currency, live=live) for report in reports]
    return (
        _templates()
        .get_template("dashboard.html")
        .render(
            title="leadflow report",
            sections=sections,
            filters=filters,
            filter_summary=describe_filters(filters),
            generated_at=(generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S UTC"),
            live=live,
            choices=choices or {},
            query=urlencode(filters.as_query()),
        )
    )


def render_people_page(report: Report, *, step: str, currency: str = "EUR", live: LivePage) -> str:
    """The people behind one funnel step (or source or segment row), with links to their Zoho and GHL records."""
    section = _section(report, filters=report.filters, currency=currency, live=None)
    return (
        _templates()
        .get_template("people.html")
        .render(
            title=report.title,
            section=section,
            step=step,
            filters=report.filters,
            filter_summary=describe_filters(report.filters),
            live=live,
            back=f"{live.dashboard_url}?{urlencode(report.filters.as_query())}".rstrip("?"),
        )
    )


def render_login_page(*, next_url: str, error: str | None = None, live: LivePage | None = None) -> str:
    return (
        _templates()
        .get_template("login.html")
        .render(title="leadflow dashboard: sign in", next_url=next_url, error=error, live=live or LivePage())
    )


def describe_filters(filters: ReportFilters) -> str:
    """The filters in words, for the page header: ``"all time, every segment, source and owner"`` when none."""
    parts = []
    if filters.since or filters.until:
        since = filters.since.isoformat() if filters.since else "the start"
        until = filters.until.isoformat() if filters.until else "today"
        parts.append(f"from {since} to {until}")
    else:
        parts.append("all time")
    for key in ("segment", "source", "owner"):
        value = getattr(filters, key)
        if value:
            parts.append(f"{key} {value}")
    if len(parts) == 1:
        parts.append("every segment, source and owner")
    return ", ".join(parts)


def drill_link(live: LivePage, filters: ReportFilters, table: Table, row: Mapping[str, Any]) -> str | None:
    """The URL listing the people behind ``row`` of ``table`` (None when the table has no drill-down), with the
    page's filters.

    A drill column named ``source`` or ``segment`` lists that source's or segment's people (``people``'s step
    ``source:<label>`` / ``segment:<name>``); any other drill column holds a funnel step key.
    """
    if table.drill is None or row.get(table.drill) in (None, ""):
        return None
    value = str(row[table.drill])
    step = f"{table.drill}:{value}" if table.drill in DRILL_GROUPS else value
    return f"{live.people_url}?{urlencode({**filters.as_query(), 'step': step})}"


def _section(report: Report, *, filters: ReportFilters, currency: str, live: LivePage | None) -> dict[str, Any]:
    tables = []
    for table in report.tables:
        columns = shown_columns(table)
        # a drill column hidden behind its label column (step key -> step label) puts its link on the label
        link_column = table.drill if table.drill in {c.key for c in columns} else "label"
        rows = []
        for row in table.rows:
            rows.append(
                {
                    "cells": [_cell(column, row.get(column.key), currency) for column in columns],
                    "key": row.get(table.drill) if table.drill else None,
                    "drill": drill_link(live, filters, table, row) if live else None,
                }
            )
        svg = chart_svg(table, value_formatter=_formatter(table, currency))
        tables.append(
            {
                "key": f"{report.name}-{table.key}",
                "title": table.title,
                "chart": Markup(svg) if svg else None,
                "chart_kind": table.chart.kind if table.chart else None,
                "marks": _marks(table),
                "columns": columns,
                "rows": rows,
                "link_column": link_column,
            }
        )
    return {
        "name": report.name,
        "title": report.title,
        "tables": tables,
        "notes": report.notes,
        "api": f"{live.api_url}/{report.name}" if live else None,
    }


def _cell(column: Column, value: Any, currency: str) -> dict[str, Any]:
    numeric = column.kind in ("count", "rate", "money", "number", "duration_days")
    if column.kind == "url" and value:
        return {"text": column.label, "href": str(value), "numeric": False}
    return {"text": format_value(value, column.kind, currency=currency), "href": None, "numeric": numeric}


def _formatter(table: Table, currency: str) -> Any:
    """pygal's value labels in the chart's first value column's kind (counts get separators, money a symbol)."""
    if table.chart is None:
        return None
    kinds = {column.key: column.kind for column in table.columns}
    kind = kinds.get(table.chart.y[0], "number")
    return lambda value: format_value(value, kind, currency=currency)


def _marks(table: Table) -> int:
    """How many marks the chart draws: one per value that is a number (what the browser test counts)."""
    if table.chart is None:
        return 0
    _labels, series = chart_series(table.chart, table.rows)
    return sum(value is not None for values in series.values() for value in values)


def all_reports(connection: Connection, filters: ReportFilters, *, settings: Settings) -> list[Report]:
    """Every outreach report for ``filters``, in the dashboard's order (funnel first), each as ``leadflow report``
    computes it (the sync report against the configured daily budgets)."""
    from leadflow.reporting import REPORTS, sync_health

    budgets = sync_budgets(settings)
    return [
        sync_health(connection, filters, budgets=budgets) if name == "sync" else query(connection, filters)
        for name, query in REPORTS.items()
    ]


def sync_budgets(settings: Settings) -> SyncBudgets:
    """The daily budgets the sync report measures usage against (as ``leadflow report sync`` does)."""
    from leadflow.reporting import SyncBudgets

    return SyncBudgets(settings.zoho.daily_credit_budget, settings.ghl.daily_request_budget)


def report_file(connection: Connection, filters: ReportFilters, *, settings: Settings) -> str:
    """Every report for ``filters`` as the self-contained HTML file ``leadflow report html`` writes."""
    reports = all_reports(connection, filters, settings=settings)
    return render_report_page(reports, filters=filters, currency=settings.report.currency)
