"""The root ``leadflow`` command: global options, sub-commands, and one place that turns errors into
one-line messages with the right exit code."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from leadflow import __version__
from leadflow.cli import demo, doctor, ingest, init, score
from leadflow.cli import resolve as resolve_cli
from leadflow.cli import sync as sync_cli
from leadflow.cli.auth import auth_app
from leadflow.cli.auth_ghl import ghl_command as auth_ghl_command
from leadflow.cli.context import AppContext
from leadflow.cli.crm import crm_app
from leadflow.cli.export import export_app
from leadflow.cli.ghl import ghl_app
from leadflow.cli.report import report_app
from leadflow.cli.report_html import html_command as report_html_command
from leadflow.cli.review import review_app
from leadflow.cli.track import serve_command, track_app, worker_command
from leadflow.cli.zoho import zoho_app
from leadflow.errors import LeadflowError

app = typer.Typer(
    name="leadflow",
    help="B2B outreach on top of Zoho CRM and GoHighLevel.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("init")(init.init_command)
app.command("doctor")(doctor.doctor_command)
app.command("demo")(demo.demo_command)
app.add_typer(auth_app, name="auth")
app.add_typer(zoho_app, name="zoho")
app.add_typer(ghl_app, name="ghl")
app.add_typer(crm_app, name="crm")
auth_app.command("ghl")(auth_ghl_command)
app.command("ingest")(ingest.ingest_command)
app.add_typer(ingest.quarantine_app, name="quarantine")
app.command("mirror")(sync_cli.mirror_command)
app.command("resolve")(resolve_cli.resolve_command)
app.add_typer(review_app, name="review")
app.command("score")(score.score_command)
app.command("segment")(score.segment_command)
app.add_typer(score.segments_app, name="segments")
app.command("plan")(sync_cli.plan_command)
app.command("sync")(sync_cli.sync_command)
app.add_typer(sync_cli.runs_app, name="runs")
app.add_typer(export_app, name="export")
app.command("serve")(serve_command)
app.command("worker")(worker_command)
app.add_typer(track_app, name="track")
app.add_typer(report_app, name="report")
report_app.command("html")(report_html_command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"leadflow {__version__}")
        raise typer.Exit()


LOG_LEVELS = ("debug", "info", "warning", "error")


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="Config file (default: $LEADFLOW_CONFIG, else ./leadflow.toml if present)."
        ),
    ] = None,
    log_json: Annotated[
        bool, typer.Option("--log-json", help="Log JSON lines instead of text (over [logging] json).")
    ] = False,
    log_level: Annotated[
        str | None,
        typer.Option("--log-level", help="debug, info, warning or error (default: [logging] level, else warning)."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """B2B outreach on top of Zoho CRM and GoHighLevel."""
    from leadflow.log import configure_logging
    from leadflow.runtime import ConfigFile, LogOptions, Runtime

    if log_level is not None and log_level.lower() not in LOG_LEVELS:
        raise typer.BadParameter(f"{log_level!r} is not one of {', '.join(LOG_LEVELS)}", param_hint="--log-level")
    logs = LogOptions(level=log_level.lower() if log_level else None, json_output=True if log_json else None)
    # Until the settings are loaded (their [logging] may say more), log at the level asked for, warnings otherwise.
    configure_logging(level=logs.level or "warning", json_output=logs.json_output)
    ctx.obj = AppContext(runtime=Runtime(ConfigFile.find(config), logs))


def cli_command() -> Any:
    """The ``leadflow`` command tree as it runs: built from ``app``, with its help tidied (see cli/help.py)."""
    from leadflow.cli.help import tidy_help

    command = typer.main.get_command(app)
    tidy_help(command)
    return command


def main(args: Sequence[str] | None = None) -> None:
    """Entry point of the ``leadflow`` script (``args``: the command line after ``leadflow``, default sys.argv)."""
    try:
        cli_command()(None if args is None else list(args))
    except LeadflowError as exc:
        from leadflow.log import redactor

        Console(stderr=True).print(
            f"[bold red]error:[/] {escape(redactor.scrub(str(exc)))}", highlight=False, soft_wrap=True
        )
        sys.exit(exc.exit_code)
