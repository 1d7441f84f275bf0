"""``leadflow crm dedupe``: merge the Zoho records that hold one golden person (dry run unless --apply)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from leadflow.cli.context import app_context

if TYPE_CHECKING:
    from leadflow.sync.merge_apply import MergeReport
    from leadflow.sync.merge_plan import MergePlan

crm_app = typer.Typer(help="Zoho CRM housekeeping: duplicates held by one golden person.", no_args_is_help=True)


def print_merge_plan(console: Console, plan: MergePlan, *, limit: int = 50) -> None:
    """Counts, then each merge: golden person, master, losers and the fields the master takes from a loser."""
    table = Table("merge", "count", title=f"merge plan {plan.plan_id} for {plan.target}")
    for name, count in plan.counts().items():
        table.add_row(name, str(count))
    console.print(table)
    for merge in plan.merges[:limit]:
        if merge.action == "convert_into_contact":
            console.print(
                f"[bold]{merge.golden_id}[/] Lead {merge.loser_ids[0]} converted into Contact {merge.master_id}"
                " (a Contact is never merged into a Lead)",
                highlight=False,
            )
            continue
        console.print(
            f"[bold]{merge.golden_id}[/] {merge.module}: {', '.join(merge.loser_ids)} -> master {merge.master_id}"
            f"  ({merge.why})",
            highlight=False,
        )
        for name, source in sorted(merge.keep.items()):
            console.print(f"    {name}: the golden value, from {source}", highlight=False)
    if len(plan.merges) > limit:
        console.print(f"... and {len(plan.merges) - limit:,} more (all of them in the plan file)")
    for line in plan.left:
        console.print(f"[yellow]left:[/] {line}", highlight=False)


def print_merge_report(console: Console, report: MergeReport, run_id: int | None) -> None:
    table = Table("outcome", "count", title=f"crm dedupe run {run_id}")
    for name, count in sorted(report.counts.items()):
        if count:
            table.add_row(name, str(count))
    console.print(table)
    console.print(f"calls: {report.calls}, credits: {report.credits}")
    for key, code, message in report.failures:
        console.print(f"[red]refused[/] {key}: {code} {message}", highlight=False)
    if report.uncertain:
        console.print(
            f"[yellow]{report.uncertain} merges sent without an answer[/]: the next run checks them at Zoho"
            " before sending anything again"
        )


def dedupe_command(
    ctx: typer.Context,
    plan_file: Annotated[
        Path | None,
        typer.Option("--plan", help="Without --apply: write the plan here. With --apply: apply exactly this plan."),
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Merge in Zoho (default: a dry run that changes nothing).")
    ] = False,
    wait: Annotated[float, typer.Option("--wait", help="Seconds to wait for a running sync's lock.")] = 0.0,
) -> None:
    """Merge Zoho Leads and Contacts that hold one golden person, through Zoho's merge API, exactly once.

    The master is a Contact over a Lead, then the oldest, then the most complete; it takes the golden record's
    values; a Lead of a person who has a Contact is converted into that Contact (never merged into a Lead).
    Related Notes, Tasks, Calls, Deals and tags move to the master; the others go to Zoho's recycle bin.

    Exit status: 0 done (or dry run), 4 some merges refused (listed), 1 failed (nothing lost; rerun resumes).
    """
    from leadflow.pipeline.crm_dedupe import crm_dedupe

    context = app_context(ctx)
    result = crm_dedupe(context.settings, context.engine, plan_file=plan_file, apply=apply, wait=wait)
    print_merge_plan(context.console, result.plan)
    if not apply:
        if result.plan_written is not None:
            context.console.print(
                f"plan written to {result.plan_written}; apply exactly it with"
                f" [bold]leadflow crm dedupe --plan {result.plan_written} --apply[/]"
            )
        context.console.print("dry run: nothing was merged")
        return
    assert result.report is not None
    print_merge_report(context.console, result.report, result.run_id)
    if result.report.failures:
        raise typer.Exit(4)


crm_app.command("dedupe")(dedupe_command)
