"""``leadflow plan``, ``leadflow sync`` and ``leadflow runs``: push golden records to Zoho exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from leadflow.cli.context import app_context
from leadflow.cli.inputs import ROW_ID_MAX
from leadflow.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from leadflow.config import Settings
    from leadflow.sync.plan import Plan
    from leadflow.sync.runner import SyncReport, SyncRunner

runs_app = typer.Typer(help="Past sync runs: what each sent, and what Zoho answered.", no_args_is_help=True)


@contextmanager
def zoho_runner(
    settings: Settings, engine: Engine, console: Console | None = None, *, target: str = "zoho"
) -> Iterator[SyncRunner]:
    """A runner writing to ``target`` (the Zoho org of ``[zoho]``, or the GHL location of ``[ghl]``), with
    progress bars on ``console`` when given."""
    from leadflow.pipeline.ghl_sync import ghl_sync
    from leadflow.pipeline.sync import zoho_sync

    open_sync = ghl_sync if target == "ghl" else zoho_sync
    if console is None:
        with open_sync(settings, engine) as runner:
            yield runner
        return
    with Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bars:
        tasks: dict[str, Any] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bars.add_task(phase, total=total)
            bars.update(tasks[phase], completed=done, total=max(total, done))

        with open_sync(settings, engine, progress=progress) as runner:
            yield runner


def print_plan(console: Console, plan: Plan, *, per_kind: int = 3) -> None:
    """Counts per operation and a few example diffs (``field: old -> new``)."""
    from leadflow.sync.plan import examples as plan_examples
    from leadflow.sync.planfile import describe_diff

    table = Table("operation", "records", title=f"plan {plan.plan_id} for {plan.target}")
    for name, count in plan.counts().items():
        table.add_row(name, str(count))
    console.print(table)
    for op in plan_examples(plan.operations, per_kind=per_kind):
        head = f"[bold]{op.module} {op.action}[/] {op.golden_id}" + (f" -> {op.remote_id}" if op.remote_id else "")
        if op.invalid:
            console.print(f"{head}  [red]invalid, not sent:[/] {'; '.join(op.invalid)}")
            continue
        console.print(head)
        for line in describe_diff(op, external_id_field=plan.tally.external_id_field)[:8]:
            console.print(f"    {line}", highlight=False)


def print_report(console: Console, report: SyncReport) -> None:
    """What a sync did: per module and outcome, calls and credits, and why it stopped early if it did."""
    table = Table("outcome", "records", title=f"sync run {report.run_id} to {report.plan.target}")
    for name, count in sorted(report.counts.items()):
        if count:
            table.add_row(name, str(count))
    console.print(table)
    methods = ", ".join(f"{group}: {method}" for group, method in sorted(report.methods.items()))
    console.print(f"calls: {report.calls}, credits: {report.credits}" + (f" ({methods})" if methods else ""))
    failed = refused_records(report)
    if report.stopped:
        console.print(f"[yellow]stopped early:[/] {report.stopped}")
    elif failed:
        console.print(f"[red]{failed:,} records refused:[/] see leadflow runs show {report.run_id}")
    if report.open_after and not report.stopped:
        console.print(
            f"[yellow]{report.open_after:,} operations still wait to be sent[/] (see the counts above);"
            " the next leadflow sync sends them"
        )
    elif report.wrote_nothing and not report.stopped and not failed:
        console.print("[green]nothing changed: Zoho already holds the desired state; no write call made[/]")


def refused_records(report: SyncReport) -> int:
    """Records the target refused in this run (each ``<module> failed`` counter)."""
    return sum(n for name, n in report.counts.items() if name.endswith(" failed"))


def plan_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the plan (JSON lines).")] = Path(
        "leadflow-plan.jsonl"
    ),
    target: Annotated[
        str,
        typer.Option(
            "--target",
            help="zoho, ghl or all (default: all configured); with several, GHL's plan goes to <out>.ghl.jsonl.",
        ),
    ] = "all",
) -> None:
    """Plan the sync: counts per operation, example diffs, and the plan file (one per target) for sync --plan."""
    from leadflow.pipeline.ghl_sync import write_ghl_plan_file
    from leadflow.pipeline.sync import write_plan_file
    from leadflow.sync.plan import Plan

    context = app_context(ctx)
    targets = list(dict.fromkeys(sync_targets(target, context.settings)))
    for name in targets:
        path = out if len(targets) == 1 or name == "zoho" else out.with_suffix(f".{name}{out.suffix or '.jsonl'}")
        writer = write_ghl_plan_file if name == "ghl" else write_plan_file
        tally = writer(context.settings, context.engine, path)
        print_plan(context.console, Plan(tally.target, tally.examples, tally))
        context.console.print(f"plan written to {path}; apply exactly it with [bold]leadflow sync --plan {path}[/]")


def sync_command(
    ctx: typer.Context,
    plan_file: Annotated[Path | None, typer.Option("--plan", help="Apply exactly this plan file.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan and print; write nothing.")] = False,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Also resend records Zoho refused (e.g. after fixing a field).")
    ] = False,
    wait: Annotated[float, typer.Option("--wait", help="Seconds to wait for another sync's lock.")] = 0.0,
    target: Annotated[
        str,
        typer.Option(
            "--target",
            help="zoho, ghl or all (default: all configured: Zoho, and GoHighLevel when [ghl] names a location).",
        ),
    ] = "all",
) -> None:
    """Sync golden records, scores and tags to Zoho and GoHighLevel: only what changed, exactly once, within
    each API's limits.

    Exit status: 0 all written, 3 stopped early (credit or request budget; the rest waits), 4 some records
    refused (see runs show), 1 the sync failed (e.g. a target unreachable; nothing lost, the next run resumes).
    """
    from leadflow.pipeline.ghl_sync import plan_ghl_sync
    from leadflow.pipeline.sync import plan_sync
    from leadflow.sync.planfile import read_plan

    context = app_context(ctx)
    plan = read_plan(plan_file) if plan_file is not None else None
    targets = [plan.target] if plan is not None else sync_targets(target, context.settings)
    stopped = refused = False
    for name in targets:
        if dry_run:
            planner = plan_ghl_sync if name == "ghl" else plan_sync
            print_plan(context.console, plan or planner(context.settings, context.engine))
            continue
        with zoho_runner(context.settings, context.engine, context.console, target=name) as runner:
            report = runner.run(plan=plan, retry_failed=retry_failed, wait=wait)
        print_report(context.console, report)
        stopped = stopped or bool(report.stopped)
        refused = refused or bool(refused_records(report))
    if dry_run:
        context.console.print("dry run: nothing was written")
        return
    if stopped:
        raise typer.Exit(3)
    if refused:
        raise typer.Exit(4)  # the rest was written; the refused records are listed by runs show


def sync_targets(choice: str, settings: Settings) -> list[str]:
    """The targets ``--target`` names, in sync order (Zoho, the system of record, first)."""
    from leadflow.errors import InputError
    from leadflow.pipeline.ghl_sync import ghl_configured

    if choice == "zoho":
        return ["zoho"]
    if choice == "ghl":
        if not ghl_configured(settings):
            raise InputError(
                "--target ghl: [ghl] names no location or no way in; set LEADFLOW_GHL_LOCATION_ID and"
                " LEADFLOW_GHL_TOKEN (a Private Integration Token), or auth = oauth and run `leadflow auth ghl`"
            )
        return ["ghl"]
    if choice == "all":
        # Zoho again after GHL: it writes the GHL contact ids (cross-links) that exist only after GHL's pass
        return ["zoho", "ghl", "zoho"] if ghl_configured(settings) else ["zoho"]
    raise InputError(f"--target {choice!r}: use zoho, ghl or all")


def mirror_command(ctx: typer.Context) -> None:
    """Copy Zoho's Leads, Contacts, Accounts (for resolve --against-crm) and Deals with their stage history (for
    the pipeline report) into the store; then only changes."""
    from leadflow.pipeline.deal_mirror import mirror_deals
    from leadflow.pipeline.sync import mirror_crm
    from leadflow.zoho.client import ZohoClient

    context = app_context(ctx)
    with ZohoClient.from_settings(context.settings, context.engine) as zoho:
        counts = mirror_crm(context.settings, context.engine, zoho)
        counts["Deals"] = mirror_deals(context.settings, context.engine, zoho)
    context.console.print("mirrored " + ", ".join(f"{count:,} {module}" for module, count in counts.items()))


@runs_app.command("list")
def runs_list(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option("--kind", help="Only runs of this kind (sync, ingest, ...).")] = "sync",
    limit: Annotated[int, typer.Option("--limit", min=1, max=ROW_ID_MAX, help="How many, newest first.")] = 20,
) -> None:
    """Recent runs with their status and counters."""
    from leadflow.store import runs as runs_repo

    context = app_context(ctx)
    with context.engine.connect() as connection:
        rows = runs_repo.list_runs(connection, kind=kind, limit=limit)
    table = Table("id", "kind", "status", "started", "finished", "summary")
    for row in rows:
        counters = row["counters"] or {}
        summary = ", ".join(f"{k}={v}" for k, v in counters.items() if v)
        table.add_row(
            str(row["id"]), row["kind"], row["status"], _time(row["started_at"]), _time(row["finished_at"]), summary
        )
    context.console.print(table)


@runs_app.command("show")
def runs_show(
    ctx: typer.Context,
    run_id: Annotated[int, typer.Argument(min=1, max=ROW_ID_MAX, help="The run's id (see runs list).")],
    failures: Annotated[
        int, typer.Option("--failures", min=0, max=ROW_ID_MAX, help="How many refused records to list.")
    ] = 20,
) -> None:
    """One run: its counters, outcomes per module, and the records Zoho refused with its answer."""
    from leadflow.store import runs as runs_repo
    from leadflow.store import sync_ledger

    context = app_context(ctx)
    with context.engine.connect() as connection:
        run = runs_repo.get_run(connection, run_id=run_id)
        if run is None:
            raise InputError(f"no run {run_id}; see leadflow runs list")
        outcomes = sync_ledger.run_outcomes(connection, run_id=run_id)
        refused = sync_ledger.run_log(connection, run_id=run_id, outcomes=["failed", "invalid"], limit=failures)
    console = context.console
    console.print(
        f"run {run_id} ({run['kind']}): {run['status']}, {_time(run['started_at'])} -> {_time(run['finished_at'])}"
    )
    if run["error"]:
        console.print(f"[red]error:[/] {run['error']}")
    counters = Table("counter", "value")
    for name, value in (run["counters"] or {}).items():
        counters.add_row(name, str(value))
    console.print(counters)
    if outcomes:
        table = Table("module", "action", "outcome", "records")
        for (module, action, outcome), count in sorted(outcomes.items()):
            table.add_row(module, action, outcome, str(count))
        console.print(table)
    if refused:
        table = Table("golden id", "module", "outcome", "code", "message", title="refused or invalid records")
        for row in refused:
            table.add_row(row["golden_id"], row["module"], row["outcome"], row["code"] or "", row["message"] or "")
        console.print(table)


def _time(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else "-"
