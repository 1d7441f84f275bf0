"""A report table drawn as an SVG chart by pygal, on the server: no script, no font or style sheet to fetch.

Every value of the table becomes one mark (a bar or a dot) with the pygal class ``tooltip-trigger``, so a test
can count the marks a chart drew against the rows it was given. pygal's own config script is dropped: the page
runs no JavaScript at all (the dashboard's Content-Security-Policy forbids it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from html import escape
from typing import Any

import pygal
from pygal.style import Style

from leadflow.reporting.model import Chart, Table

_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
# a value mark pygal draws, and the descriptions it leaves for its (dropped) script's tooltips
_MARK = re.compile(
    r"<(rect|circle)\b([^>]*\btooltip-trigger\b[^>]*?)\s*/>"
    r'(<desc class="value">([^<]*)</desc>(?:<desc class="[^"]*">[^<]*</desc>)*)'
)
_SERIES = re.compile(r'class="series serie-(\d+)')
_X_LABEL = re.compile(r'<desc class="x_label">([^<]*)</desc>')
_DESCRIPTIONS = re.compile(r'<desc class="[^"]*">[^<]*</desc>')  # read by pygal's script only: a third of the bytes
_PRECISE = re.compile(r"(\d\.\d\d)\d+")  # coordinates to a hundredth of a pixel (pygal writes 16 digits)
_MAX_X_LABELS = 16  # past this many categories, only every n-th label is printed (a year of days stays legible)

_STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    font_family="system-ui, -apple-system, 'Segoe UI', sans-serif",
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=12,
    value_font_size=11,
    colors=("#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#475569"),
)


def chart_svg(table: Table, *, value_formatter: Any = None) -> str | None:
    """The table's chart as an inline ``<svg>`` element, or None when the table has no chart or no rows.

    Example:
        >>> from leadflow.reporting.model import Column
        >>> table = Table("steps", "Funnel", (Column("step", "Step"), Column("people", "People", "count")),
        ...               rows=[{"step": "unique", "people": 10}, {"step": "contacted", "people": 4}],
        ...               chart=Chart("funnel", x="step", y=("people",)))
        >>> chart_svg(table).count("tooltip-trigger")
        2
    """
    chart = table.chart
    if chart is None or not table.rows:
        return None
    labels, series = chart_series(chart, table.rows)
    drawing = _drawing(chart, table, labels)
    if value_formatter is not None:
        drawing.value_formatter = value_formatter
    titles = {column.key: column.label for column in table.columns}
    names = [titles.get(name, name) if chart.series is None else name for name in series]
    for name, values in zip(names, series.values(), strict=True):
        drawing.add(name, list(reversed(values)) if chart.kind == "funnel" else values)
    svg = _SCRIPT.sub("", drawing.render(is_unicode=True)).replace("<title>Pygal</title>", "", 1)
    return _with_titles(svg, names)


def _with_titles(svg: str, names: list[str]) -> str:
    """Each mark gets a ``<title>`` (the browser's own tooltip, no script): its series, category and value."""
    starts = [(match.start(), int(match.group(1))) for match in _SERIES.finditer(svg)]

    def titled(match: re.Match[str]) -> str:
        tag, attributes, descriptions, value = match.groups()
        series = next((index for start, index in reversed(starts) if start < match.start()), None)
        label = _X_LABEL.search(descriptions)
        where = [escape(names[series])] if len(names) > 1 and series is not None and series < len(names) else []
        where += [label.group(1)] if label else []
        text = f"{' · '.join(where)}: {value}" if where else value
        return f"<{tag}{attributes}><title>{text}</title></{tag}>"

    return _PRECISE.sub(r"\1", _DESCRIPTIONS.sub("", _MARK.sub(titled, svg)))


def chart_series(chart: Chart, rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], dict[str, list[float | None]]]:
    """The category labels (in row order) and one list of values per series, aligned with the labels.

    Wide tables give one series per ``y`` column; long tables (``chart.series`` set) split the one ``y`` column
    by the series column's values. A missing value is None (pygal draws no mark for it).
    """
    labels: list[str] = []
    index: dict[str, int] = {}
    for row in rows:
        label = _label(row.get(chart.x))
        if label not in index:
            index[label] = len(labels)
            labels.append(label)
    series: dict[str, list[float | None]] = {}
    if chart.series is None:
        for key in chart.y:
            values: list[float | None] = [None] * len(labels)
            for row in rows:
                values[index[_label(row.get(chart.x))]] = _number(row.get(key))
            series[key] = values
        return labels, series
    (key,) = chart.y[:1]
    for row in rows:
        name = _label(row.get(chart.series))
        values = series.setdefault(name, [None] * len(labels))
        values[index[_label(row.get(chart.x))]] = _number(row.get(key))
    return labels, series


def _drawing(chart: Chart, table: Table, labels: list[str]) -> Any:
    titles = {column.key: column.label for column in table.columns}
    many = len(labels) > _MAX_X_LABELS
    options: dict[str, Any] = {
        "js": [],
        "disable_xml_declaration": True,
        "style": _STYLE,
        "width": 720,
        "height": 300 if chart.kind != "funnel" else max(180, 36 * len(labels) + 60),
        "show_legend": chart.series is not None or len(chart.y) > 1,
        "legend_at_bottom": True,
        "truncate_label": -1,
        "truncate_legend": -1,
        "print_values": chart.kind == "funnel",
        "x_label_rotation": 30 if many else 0,
        "show_minor_x_labels": not many,
        "margin": 8,
    }
    kinds = {
        "funnel": pygal.HorizontalBar,
        "bar": pygal.Bar,
        "stacked_bar": pygal.StackedBar,
        "line": pygal.Line,
    }
    drawing = kinds[chart.kind](**options)
    # a horizontal bar chart lists its first category at the bottom; a funnel reads top-down
    drawing.x_labels = list(reversed(labels)) if chart.kind == "funnel" else labels
    if many:
        drawing.x_labels_major_every = max(1, len(labels) // _MAX_X_LABELS)
    drawing.title = None
    drawing.x_title = None if chart.kind == "funnel" else titles.get(chart.x)
    return drawing


def _label(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return "—" if value is None else str(value)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)  # Decimal from PostgreSQL's numeric
    except (TypeError, ValueError):
        return None
