"""``leadflow report html``: every report in one self-contained HTML file that opens offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadflow.cli.context import app_context
from leadflow.cli.inputs import shown
from leadflow.cli.output import check_output, open_output
from leadflow.cli.report import Owner, Segment, Since, Source, Until, parse_filters


def html_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")] = Path("report.html"),
    since: Since = None,
    until: Until = None,
    segment: Segment = None,
    owner: Owner = None,
    source: Source = None,
) -> None:
    """Every report (funnel, pipeline, sources, segments, engagement, sync) in one HTML file: charts and styles
    inlined, nothing fetched, so it opens offline and can be mailed."""
    from leadflow.reporting.html import report_file

    filters = parse_filters(since, until, segment, owner, source)
    check_output(out)
    context = app_context(ctx)
    with context.engine.connect() as connection:
        page = report_file(connection, filters, settings=context.settings)
    with open_output(out, newline=None) as handle:
        handle.write(page)
    context.console.print(f"wrote {shown(out)} ({len(page.encode()) / 1024:,.0f} KiB)", highlight=False)
