"""The shape every report has, whoever shows it: filters in, titled tables (and what to chart) out.

A report query returns a :class:`Report`: one or more :class:`Table` sections whose rows are plain values keyed by
column. The command line prints them as a table, CSV or JSON and the dashboard draws them, from the same object, so
the numbers are the same everywhere by construction. Formatting for people (thousands separators, percentages,
currency) is the renderer's job; a table only says what kind of number each column holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

ColumnKind = Literal["text", "count", "rate", "money", "number", "date", "datetime", "duration_days", "url"]
ChartKind = Literal["funnel", "bar", "stacked_bar", "line"]


@dataclass(frozen=True)
class ReportFilters:
    """What a reader narrows a report to. ``None`` means no narrowing.

    ``since``/``until`` bound the period (inclusive dates, UTC); ``segment`` is a segment name, ``owner`` a Zoho
    owner (id or name as mirrored), ``source`` a source label as the sources report prints it.
    """

    since: date | None = None
    until: date | None = None
    segment: str | None = None
    owner: str | None = None
    source: str | None = None

    def as_query(self) -> dict[str, str]:
        """The filters as query-string parameters (for links between dashboard pages and to the CLI)."""
        values = {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "segment": self.segment,
            "owner": self.owner,
            "source": self.source,
        }
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class Chart:
    """How a table is drawn: ``x`` names the category column, ``y`` the value columns (one series each), or
    ``series`` names a column whose values split one ``y`` column into series (long format)."""

    kind: ChartKind
    x: str
    y: tuple[str, ...]
    series: str | None = None


@dataclass(frozen=True)
class Table:
    key: str  # stable id within the report (CSV file suffix, DOM id)
    title: str
    columns: tuple[Column, ...]
    rows: Sequence[Mapping[str, Any]]
    chart: Chart | None = None
    drill: str | None = None  # column whose value, with the report's filters, lists the people behind a row


@dataclass(frozen=True)
class Report:
    name: str  # funnel | pipeline | sources | segments | engagement | sync | people
    title: str
    filters: ReportFilters
    tables: tuple[Table, ...]
    notes: tuple[str, ...] = field(default=())

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(f"report {self.name!r} has no table {key!r}; it has {[t.key for t in self.tables]}")
