"""``leadflow report funnel|pipeline|sources|segments|engagement|sync``: a report from the store as a table for
people, CSV or JSON, on the terminal or into a file."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from leadflow.cli.context import AppContext, app_context
from leadflow.cli.inputs import choice_option, shown
from leadflow.cli.output import check_output, open_output
from leadflow.errors import InputError

if TYPE_CHECKING:
    from leadflow.reporting import Report, ReportFilters

report_app = typer.Typer(
    name="report",
    help="Reports on what the outreach did: funnel, pipeline, sources, segments, engagement, sync health.",
    no_args_is_help=True,
)

FORMATS = ("table", "csv", "json")

Since = Annotated[str | None, typer.Option("--since", help="First day of the period (YYYY-MM-DD, UTC).")]
Until = Annotated[str | None, typer.Option("--until", help="Last day of the period (YYYY-MM-DD, UTC, included).")]
Segment = Annotated[str | None, typer.Option("--segment", help="Only people in this segment.")]
Owner = Annotated[str | None, typer.Option("--owner", help="Only this Zoho owner's records (user id or name).")]
Source = Annotated[
    str | None, typer.Option("--source", help="Only people from this source: apollo, salesnav, linkedin, mapped, crm.")
]
Format = Annotated[str, typer.Option("--format", "-f", help="table (default), csv or json.")]
Out = Annotated[
    Path | None,
    typer.Option(
        "--out", "-o", help="Write to this file (CSV: one file per table, FILE-<table>.csv, when there are several)."
    ),
]


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"{option} must be a date as YYYY-MM-DD, not {value!r}") from None


def parse_filters(
    since: str | None, until: str | None, segment: str | None, owner: str | None, source: str | None
) -> ReportFilters:
    """The options as report filters, checked (one-line InputError, exit 2, for a bad value)."""
    from leadflow.reporting import ReportFilters, check_filters

    filters = ReportFilters(
        since=_day(since, "--since"), until=_day(until, "--until"), segment=segment, owner=owner, source=source
    )
    check_filters(filters)
    return filters


def csv_paths(out: Path, keys: list[str]) -> dict[str, Path]:
    """Where each table's CSV goes: ``out`` itself for one table, ``<stem>-<key><suffix>`` beside it for several.

    Example:
        >>> csv_paths(Path("r/funnel.csv"), ["funnel", "quality"])["quality"]
        PosixPath('r/funnel-quality.csv')
    """
    if len(keys) == 1:
        return {keys[0]: out}
    return {key: out.with_name(f"{out.stem}-{key}{out.suffix or '.csv'}") for key in keys}


def rich_tables(report: Report, *, currency: str) -> list[RichTable]:
    """The report's tables as rich tables, numbers formatted for people and right-aligned."""
    from leadflow.reporting.formats import format_value, shown_columns

    numeric = {"count", "rate", "money", "number", "duration_days"}
    tables = []
    for table in report.tables:
        columns = shown_columns(table)
        rich_table = RichTable(title=table.title, title_justify="left")
        for column in columns:
            rich_table.add_column(column.label, justify="right" if column.kind in numeric else "left")
        for row in table.rows:
            rich_table.add_row(*(escape(format_value(row.get(c.key), c.kind, currency=currency)) for c in columns))
        if not table.rows:
            rich_table.caption = "nothing in this period and scope"
        tables.append(rich_table)
    return tables


def print_table(console: Console, report: Report, *, currency: str) -> None:
    console.print(f"[bold]{escape(report.title)}[/]", highlight=False)
    if report.filters.as_query():
        shown_filters = ", ".join(f"{key}={value}" for key, value in report.filters.as_query().items())
        console.print(f"filters: {escape(shown_filters)}", highlight=False)
    for table in rich_tables(report, currency=currency):
        console.print(table)
    for note in report.notes:
        console.print(f"[dim]{escape(note)}[/]", highlight=False)


def write_report(context: AppContext, report: Report, output_format: str, out: Path | None) -> None:
    """Print or write ``report`` in ``output_format``."""
    from leadflow.reporting.formats import report_csv, report_json

    currency = context.settings.report.currency
    if output_format == "table":
        if out is None:
            print_table(context.console, report, currency=currency)
            return
        with open_output(out, newline=None) as handle:
            print_table(Console(file=handle, width=200, color_system=None), report, currency=currency)
        context.console.print(f"wrote {escape(shown(out))}", highlight=False)
        return
    if output_format == "json":
        text = report_json(report)
        if out is None:
            typer.echo(text, nl=False)
            return
        with open_output(out, newline=None) as handle:
            handle.write(text)
        context.console.print(f"wrote {escape(shown(out))}", highlight=False)
        return
    tables = report_csv(report)
    if out is None:
        # On the terminal the tables follow each other, each after a "# <key>" line and a blank line between.
        typer.echo("\n".join(f"# {key}\n{text}" for key, text in tables.items()), nl=False)
        return
    paths = csv_paths(out, list(tables))
    for path in paths.values():
        check_output(path)
    for key, text in tables.items():
        with open_output(paths[key]) as handle:
            handle.write(text)
    context.console.print("wrote " + ", ".join(escape(shown(path)) for path in paths.values()), highlight=False)


def run_report(
    ctx: typer.Context,
    name: str,
    since: str | None,
    until: str | None,
    segment: str | None,
    owner: str | None,
    source: str | None,
    output_format: str,
    out: Path | None,
) -> None:
    from leadflow.reporting import REPORTS, SyncBudgets, sync_health

    choice_option(output_format, "--format", FORMATS)
    filters = parse_filters(since, until, segment, owner, source)
    if out is not None:
        check_output(out)
    context = app_context(ctx)
    settings = context.settings
    with context.engine.connect() as connection:
        if name == "sync":
            budgets = SyncBudgets(settings.zoho.daily_credit_budget, settings.ghl.daily_request_budget)
            report = sync_health(connection, filters, budgets=budgets)
        else:
            report = REPORTS[name](connection, filters)
    write_report(context, report, output_format, out)


def _command(name: str, doc: str) -> None:
    def command(
        ctx: typer.Context,
        since: Since = None,
        until: Until = None,
        segment: Segment = None,
        owner: Owner = None,
        source: Source = None,
        output_format: Format = "table",
        out: Out = None,
    ) -> None:
        run_report(ctx, name, since, until, segment, owner, source, output_format, out)

    command.__doc__ = doc
    report_app.command(name)(command)


_command(
    "funnel",
    "Rows ingested → unique people → in Zoho → contacted → engaged → replied → meeting → Lead converted → Deal "
    "won, with conversion rates; duplicates avoided and quarantined rows.",
)
_command(
    "pipeline",
    "Deals by stage (count, amount, weighted by probability, age in stage, days per stage), won and lost by month.",
)
_command(
    "sources",
    "Per source and per segment: people, contacted, replies, meetings, Deals, amount; first- and last-touch.",
)
_command("segments", "Per segment: people, contacted, replies, meetings, Deals, amount.")
_command("engagement", "Events per day by type; reply and bounce rates per segment and per sequence.")
_command(
    "sync",
    "Runs, records written, failures by reason, Zoho credits and GHL requests per day against their budgets, "
    "webhook lag and backlog.",
)
