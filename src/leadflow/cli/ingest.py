"""``leadflow ingest`` and ``leadflow quarantine``: read export files into the store; inspect what was set aside."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import TaskID
from rich.table import Table

from leadflow.cli.context import app_context
from leadflow.cli.inputs import ROW_ID_MAX, check_input_file, choice_option, country_option, shown
from leadflow.cli.output import check_output, open_output
from leadflow.cli.progress import rows_progress
from leadflow.errors import InputError

if TYPE_CHECKING:
    from leadflow.pipeline.ingest import IngestReport

quarantine_app = typer.Typer(help="Rows set aside by ingest, with the reason.", no_args_is_help=True)

# Characters that make a spreadsheet treat a cell as a formula (CSV injection); exported cells get a quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def ingest_command(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="CSV exports to ingest.", exists=False)],
    format_name: Annotated[
        str | None,
        typer.Option("--format", help="apollo, salesnav, linkedin or mapped (default: detected from the header)."),
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="TOML file mapping columns to fields (for --format mapped).")
    ] = None,
    country: Annotated[
        str | None, typer.Option("--country", help="Default country (ISO alpha-2) for phone numbers.")
    ] = None,
) -> None:
    """Read export files (Apollo, Sales Navigator, LinkedIn, mapped CSV) into the store as prospects."""
    from leadflow.pipeline.ingest import ingest_files
    from leadflow.sources.formats import FORMAT_CHOICES

    context = app_context(ctx)
    if format_name is not None and format_name not in FORMAT_CHOICES:
        raise InputError(f"--format must be one of {', '.join(FORMAT_CHOICES)}, not {format_name!r}")
    if format_name == "mapped" and mapping is None:
        raise InputError("--format mapped needs --mapping FILE.toml")
    if mapping is not None and format_name not in (None, "mapped"):
        raise InputError(f"--mapping is for --format mapped; --format {format_name} reads its own columns")
    for path in [*files, *([mapping] if mapping is not None else [])]:
        check_input_file(path)
    settings = context.settings
    if country is not None:
        default_country = country_option(country, "--country")
    elif settings.ingest.default_country:
        default_country = country_option(settings.ingest.default_country, "[ingest] default_country")
    else:
        default_country = None
    engine = context.engine
    sizes = {path: path.stat().st_size for path in files}
    started = time.monotonic()
    bytes_done: dict[Path, int] = {}
    rows_done: dict[Path, int] = {}
    with rows_progress(context.console) as progress:
        task: TaskID = progress.add_task("ingesting", total=sum(sizes.values()) or 1, rows=0, unit="rows", rate=0.0)

        def advance(path: Path, rows: int, position: int, _size: int) -> None:
            bytes_done[path] = position
            rows_done[path] = rows
            total_rows = sum(rows_done.values())
            progress.update(
                task,
                completed=sum(bytes_done.values()),
                description=f"ingesting {escape(shown(path.name))}",
                rows=total_rows,
                rate=total_rows / max(time.monotonic() - started, 1e-6),
            )

        def waiting() -> None:
            context.console.print("another ingest is writing to this store: waiting for it to finish")

        report = ingest_files(
            engine,
            files,
            format_name=format_name,
            mapping=mapping,
            default_country=default_country,
            chunk_rows=settings.ingest.chunk_rows,
            rows_progress=advance,
            on_wait=waiting,
        )
    _print_report(context.console, report)


def _print_report(console: Console, report: IngestReport) -> None:
    reasons = sorted(report.quarantined)
    table = Table(title=f"ingest run {report.run_id}")
    for name in ("file", "format", "encoding", "read", "stored (new)", "already seen", "quarantined"):
        table.add_column(name, justify="right" if name not in {"file", "format", "encoding"} else "left")
    for reason in reasons:
        table.add_column(reason, justify="right")
    for f in report.files:
        table.add_row(
            escape(f.name),
            f.format,
            f.encoding,
            f"{f.read:,}",
            f"{f.stored:,}",
            f"{f.already_seen:,}",
            f"{sum(f.quarantined.values()):,}",
            *[f"{f.quarantined.get(r, 0):,}" for r in reasons],
        )
    if len(report.files) > 1:
        table.add_row(
            "[bold]total[/]",
            "",
            "",
            f"{report.read:,}",
            f"{report.stored:,}",
            f"{report.already_seen:,}",
            f"{sum(report.quarantined.values()):,}",
            *[f"{report.quarantined.get(r, 0):,}" for r in reasons],
        )
    print_ = console.print
    print_(table)
    extras = sorted({c for f in report.files for c in f.extra_columns})
    if extras:
        print_(f"kept as extras (columns the format does not know): {escape(', '.join(extras))}")
    if report.quarantined:
        print_(f"see them with: leadflow quarantine list --run {report.run_id}")


@quarantine_app.command("list")
def quarantine_list(
    ctx: typer.Context,
    run: Annotated[
        int | None, typer.Option("--run", min=1, max=ROW_ID_MAX, help="Only rows of this ingest run.")
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Only rows with this reason.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=ROW_ID_MAX, help="Most rows shown.")] = 50,
) -> None:
    """Show quarantined rows with their reason."""
    from leadflow.store import ingest as repo

    reason = _reason(reason)
    context = app_context(ctx)
    with context.engine.connect() as connection:
        counts = repo.quarantine_counts(connection, run_id=run)
        rows = repo.list_quarantine(connection, run_id=run, reason=reason, limit=limit)
    if not rows:
        context.console.print("no quarantined rows")
        return
    table = Table("id", "run", "file", "row", "reason", "detail", "raw", title="quarantine")
    for row in rows:
        raw = row["raw_text"]
        table.add_row(
            str(row["id"]),
            str(row["run_id"]),
            escape(row["file_name"]),
            str(row["row_number"]),
            row["reason"],
            escape(row["detail"] or ""),
            escape(raw if len(raw) <= 80 else raw[:77] + "..."),
        )
    context.console.print(table)
    context.console.print("by reason: " + ", ".join(f"{k}={v:,}" for k, v in sorted(counts.items())))


@quarantine_app.command("export")
def quarantine_export(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    run: Annotated[
        int | None, typer.Option("--run", min=1, max=ROW_ID_MAX, help="Only rows of this ingest run.")
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Only rows with this reason.")] = None,
) -> None:
    """Write quarantined rows to a CSV file (cells that look like formulas are quoted for spreadsheets)."""
    from leadflow.store import ingest as repo

    reason = _reason(reason)
    check_output(out)
    context = app_context(ctx)
    columns = ("id", "run_id", "file_name", "row_number", "reason", "detail", "raw_text")
    count = 0
    with context.engine.connect() as connection, open_output(out) as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in repo.iter_quarantine(connection, run_id=run, reason=reason):
            writer.writerow([_safe_cell(row[c]) for c in columns])
            count += 1
    context.console.print(f"wrote {count:,} quarantined rows to {escape(shown(out))}")


def _reason(value: str | None) -> str | None:
    from leadflow.model import QuarantineReason

    return choice_option(value, "--reason", [r.value for r in QuarantineReason])


def _safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
