"""``leadflow report html``: every report in one self-contained HTML file that opens offline."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from leadflow.cli.context import app_context
from leadflow.cli.inputs import shown
from leadflow.cli.output import check_output, open_output

report_app = typer.Typer(help="Reports on what the outreach did.", no_args_is_help=True)


def html_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")] = Path("report.html"),
    since: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="First day of the period (UTC).")] = None,
    until: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Last day of the period (UTC).")] = None,
    segment: Annotated[str | None, typer.Option(help="Only this segment's people.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only people whose Zoho owner is this (id or name).")] = None,
    source: Annotated[str | None, typer.Option(help="Only people from this source.")] = None,
) -> None:
    """Write every report (funnel, pipeline, sources, segments, engagement, sync) as one HTML file: charts and
    styles inlined, nothing fetched, so it opens offline and can be mailed."""
    from leadflow.reporting.html import report_file
    from leadflow.reporting.model import ReportFilters

    context = app_context(ctx)
    filters = ReportFilters(
        since=since.date() if since else None,
        until=until.date() if until else None,
        segment=segment,
        owner=owner,
        source=source,
    )
    if filters.since and filters.until and filters.since > filters.until:
        raise typer.BadParameter(f"--since {filters.since} is after --until {filters.until}", param_hint="--since")
    check_output(out)
    with context.engine.connect() as connection:
        page = report_file(connection, filters, currency=context.settings.dashboard.currency)
    with open_output(out, newline=None) as handle:
        handle.write(page)
    context.console.print(f"wrote {shown(out)} ({len(page.encode()) / 1024:,.0f} KiB)", highlight=False)


report_app.command("html")(html_command)
