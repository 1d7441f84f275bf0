"""A :class:`Report` as JSON, as CSV and as text for people: pure functions, no I/O.

JSON keeps raw numbers (rates as fractions, money as plain numbers, timestamps as ISO 8601); the whole report is
one document. CSV is one file per table (:func:`report_csv` returns them by table key; the CLI names them
``<out stem>-<table key><suffix>`` when a report has several), with raw numbers as JSON has them and a header of
column keys. :func:`format_value` formats one value for people (thousands separators, percentages, currency),
for the terminal table and the dashboard alike.
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import date, datetime
from typing import Any

from leadflow.reporting.model import ColumnKind, Report, Table

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹", "CHF": "CHF "}
MISSING = "–"


def _plain(value: Any) -> Any:
    """A value as JSON and CSV carry it: dates and times in ISO 8601, non-finite numbers as null."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def report_document(report: Report) -> dict[str, Any]:
    """The report as plain data (what :func:`report_json` serializes)."""
    return {
        "report": report.name,
        "title": report.title,
        "filters": report.filters.as_query(),
        "notes": list(report.notes),
        "tables": [
            {
                "key": table.key,
                "title": table.title,
                "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in table.columns],
                "rows": [{c.key: _plain(row.get(c.key)) for c in table.columns} for row in table.rows],
            }
            for table in report.tables
        ],
    }


def report_json(report: Report) -> str:
    """The report as one JSON document.

    Example:
        >>> from leadflow.reporting.model import Column, ReportFilters
        >>> table = Table("t", "T", (Column("n", "N", "count"),), [{"n": 1200}])
        >>> json.loads(report_json(Report("funnel", "Funnel", ReportFilters(), (table,))))["tables"][0]["rows"]
        [{'n': 1200}]
    """
    return json.dumps(report_document(report), indent=2, ensure_ascii=False) + "\n"


def table_csv(table: Table) -> str:
    """One table as CSV: a header of column keys, then raw values (empty for none)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([column.key for column in table.columns])
    for row in table.rows:
        writer.writerow(["" if (value := _plain(row.get(c.key))) is None else value for c in table.columns])
    return buffer.getvalue()


def report_csv(report: Report) -> dict[str, str]:
    """Each table's CSV by table key, in the report's order.

    Example:
        >>> from leadflow.reporting.model import Column, ReportFilters
        >>> table = Table("stages", "Stages", (Column("stage", "Stage"), Column("amount", "Amount", "money")),
        ...               [{"stage": "Won", "amount": 1500.5}])
        >>> report_csv(Report("pipeline", "Pipeline", ReportFilters(), (table,)))
        {'stages': 'stage,amount\\nWon,1500.5\\n'}
    """
    return {table.key: table_csv(table) for table in report.tables}


def format_value(value: Any, kind: ColumnKind, *, currency: str = "EUR") -> str:
    """One value for people: ``1,234``, ``12.5%``, ``€1,234``, ``3.5 d``; a dash for none.

    Example:
        >>> format_value(1234567, "count"), format_value(0.1254, "rate"), format_value(1500.4, "money")
        ('1,234,567', '12.5%', '€1,500')
        >>> format_value(2.25, "duration_days"), format_value(None, "count")
        ('2.2 d', '–')
        >>> format_value(99.5, "money", currency="SEK")
        'SEK 100'
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    if kind == "count":
        return f"{int(value):,}"
    if kind == "rate":
        return f"{float(value) * 100:.1f}%"
    if kind == "money":
        amount = f"{float(value):,.0f}"
        symbol = CURRENCY_SYMBOLS.get(currency.upper())
        if amount.startswith("-"):
            return f"-{symbol}{amount[1:]}" if symbol else f"{currency.upper()} {amount}"
        return f"{symbol}{amount}" if symbol else f"{currency.upper()} {amount}"
    if kind == "duration_days":
        return f"{float(value):,.1f} d"
    if kind == "number":
        number = float(value)
        return f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"
    if kind in ("date", "datetime") and isinstance(value, datetime | date):
        return value.isoformat(sep=" ", timespec="minutes") if isinstance(value, datetime) else value.isoformat()
    return str(value)


def formatted_rows(table: Table, *, currency: str = "EUR") -> list[dict[str, str]]:
    """The table's rows with every value formatted for people."""
    return [
        {c.key: format_value(row.get(c.key), c.kind, currency=currency) for c in table.columns} for row in table.rows
    ]


def shown_columns(table: Table) -> list[Any]:
    """The columns a person reads: the label column of a (key, label) pair hides the key column."""
    keys = {column.key for column in table.columns}
    hidden = {key for key in ("step", "measure", "source") if key in keys and "label" in keys}
    return [column for column in table.columns if column.key not in hidden]
