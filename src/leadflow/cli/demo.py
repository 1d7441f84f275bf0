"""``leadflow demo``: the whole path on the local Zoho and GoHighLevel emulators, no network, no credentials.

Sample Apollo and Sales Navigator exports and a Zoho org seeded with records that overlap them are
generated; then ingest, mirror the CRM, resolve against it, score and segment, plan and sync to Zoho and to
GoHighLevel (contacts, owned tags, the hot segment's workflow), and say what happened. A second run finds
everything in place and changes nothing.
"""

from __future__ import annotations

import json
import shlex
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from leadflow.cli.context import app_context
from leadflow.cli.hints import command_hint, python_command
from leadflow.cli.output import open_output
from leadflow.errors import InputError

if TYPE_CHECKING:
    from leadflow.config import Settings
    from leadflow.pipeline.run import PipelineResult, StageProgress
    from leadflow.reporting import Report, StoreCounts

EXPORTS = ("apollo_2024.csv", "apollo_2025.csv", "salesnav_export.csv")
_DEMO_FILES = (
    "samples",
    "zoho.",
    "ghl.",
    "leadflow.db",
    ".write-check",
    "report.html",
)  # what a demo run leaves in its folder
DEMO_WORKFLOW = {
    "id": "wf-leadflow-demo-dach-0001",
    "name": "DACH champions sequence",
    "status": "published",
    "version": 1,
}


def demo_command(
    ctx: typer.Context,
    workdir: Annotated[Path, typer.Option("--workdir", help="Folder for the demo's database and files.")] = Path(
        ".leadflow-demo"
    ),
    people: Annotated[int, typer.Option("--people", min=1, help="People in the generated sample data.")] = 1000,
    fresh: Annotated[bool, typer.Option("--fresh", help="Start over: delete the demo folder first.")] = False,
) -> None:
    """Run leadflow end to end on the local Zoho and GoHighLevel emulators (no network, no credentials)."""
    from leadflow import pipeline
    from leadflow.cli.demo_week import print_week, run_week
    from leadflow.pipeline.demo_week import week_end
    from leadflow.pipeline.emulator import EmulatorProcess
    from leadflow.reporting import ReportFilters, store_counts
    from leadflow.reporting.html import all_reports, render_report_page
    from leadflow.runtime import open_store, register_secrets
    from leadflow.sampledata import GeneratorConfig, generate

    context = app_context(ctx)
    console = context.console
    started = time.monotonic()
    _prepare_workdir(workdir, fresh=fresh)
    samples = workdir / "samples"
    zoho_db = workdir / "zoho.db"
    ghl_db = workdir / "ghl.db"
    first_run = not zoho_db.exists()
    ghl_seed = workdir / "samples" / "ghl_seed.jsonl"

    data = generate(GeneratorConfig(people=people, seed=7))
    paths = data.write(samples)
    console.print(f"sample data: {', '.join(f'{n} ({len(data.rows[n]):,} rows)' for n in EXPORTS)} in {samples}")

    ghl_first_run = not ghl_db.exists()
    if ghl_first_run:
        ghl_seed.write_text(json.dumps({"kind": "workflow", "record": DEMO_WORKFLOW}) + "\n", encoding="utf-8")
    with (
        EmulatorProcess(zoho_db, seed=paths["crm_seed.jsonl"] if first_run else None) as emulator,
        EmulatorProcess(ghl_db, kind="ghl", seed=ghl_seed if ghl_first_run else None) as ghl_emulator,
    ):
        seeded = emulator.state()["records"]
        console.print(
            f"Zoho emulator on {emulator.base_url}: "
            + ", ".join(f"{seeded.get(m, 0):,} {m}" for m in ("Leads", "Contacts", "Accounts"))
            + (" (seeded with records that overlap the sample data)" if first_run else " (from the last run)")
        )
        # GHL's real window (100 requests per 10 s) would make the demo's first run a minute and a half longer;
        # the emulator announces a wider one and the client keeps to what it announces
        ghl_emulator.http.post("/_emulator/limits", json={"burst": 2_000}).raise_for_status()
        ghl_contacts = ghl_emulator.state()["counts"].get("contact", 0)
        console.print(
            f"GoHighLevel emulator on {ghl_emulator.base_url}: {ghl_contacts:,} contacts, workflow"
            f" {DEMO_WORKFLOW['name']!r} for the DACH champions segment"
        )
        settings = emulator.settings_for(context.settings, database_url=f"sqlite:///{workdir / 'leadflow.db'}")
        settings = _with_demo_workflow(ghl_emulator.ghl_settings_for(settings))
        register_secrets(settings)
        engine = open_store(settings)
        end = week_end(engine, datetime.now(UTC))
        settings = _as_of(settings, end)
        with _bars(console) as bars:
            result = pipeline.run(
                settings,
                engine,
                files=[paths[n] for n in EXPORTS],
                progress=_progress_on(bars),
                targets=("zoho", "ghl"),
            )
        final = emulator.state()
        ghl_final = ghl_emulator.state()
        with engine.connect() as connection:
            counts = store_counts(connection)
        _summary(console, result, counts, final, ghl_final)
        week = run_week(console, settings, engine, emulator, ghl_emulator, end=end)
    print_week(console, week)
    # the report is written after the week came back, so it shows the whole loop
    with engine.connect() as connection:
        reports = all_reports(connection, ReportFilters(), settings=settings)
    engine.dispose()
    report = workdir / "report.html"
    with open_output(report, newline=None) as handle:
        handle.write(render_report_page(reports, filters=ReportFilters(), currency=settings.report.currency))
    _funnel(console, reports[0], currency=settings.report.currency)
    console.print(
        f"HTML report (opens offline): [bold]{escape(str(report.resolve()))}[/]", highlight=False, soft_wrap=True
    )
    _closing_hints(console, workdir, zoho_db, started)


def _with_demo_workflow(settings: Settings) -> Settings:
    """The demo's segments: the DACH champions (GHL tag ``dach-champion``) are also enrolled in the GHL workflow
    the emulator was seeded with (and taken out when they leave the segment)."""
    specs = [
        spec.model_copy(update={"ghl_workflow": DEMO_WORKFLOW["name"], "ghl_unenroll_on_exit": True})
        if "dach-champion" in spec.ghl_tags and not spec.ghl_workflow
        else spec
        for spec in settings.segments.segment
    ]
    return settings.model_copy(update={"segments": settings.segments.model_copy(update={"segment": specs})})


def _as_of(settings: Settings, end: datetime) -> Settings:
    """Scores as of the end of the demo's week, on every run: engagement fades with time, so scores computed a
    minute later could differ in a decimal and be written to Zoho and GHL again."""
    scoring = settings.scoring.model_copy(update={"as_of": end})
    return settings.model_copy(update={"scoring": scoring})


def _prepare_workdir(workdir: Path, *, fresh: bool) -> None:
    """Make the demo folder; with ``fresh``, empty it first, but only of what the demo itself writes there."""
    if workdir.exists() and not workdir.is_dir():
        raise InputError(f"--workdir {workdir} is a file, not a folder")
    if fresh and workdir.exists():
        foreign = sorted(p.name for p in workdir.iterdir() if not p.name.startswith(_DEMO_FILES))
        if foreign:
            raise InputError(
                f"--fresh would delete {workdir}, which holds files the demo did not write ({', '.join(foreign[:3])}"
                f"{', ...' if len(foreign) > 3 else ''}); pick another --workdir"
            )
        shutil.rmtree(workdir)
    try:
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / ".write-check").touch()
        (workdir / ".write-check").unlink()
    except OSError as exc:
        raise InputError(f"cannot use {workdir} as the demo folder: {exc.strerror or exc}") from None


def _bars(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<16}"),
        BarColumn(),
        TextColumn("{task.fields[amount]:>40}"),
        TimeRemainingColumn(elapsed_when_finished=True),  # the time left while a bar moves, then the time it took
        console=console,
    )


def _progress_on(bars: Progress) -> Callable[[StageProgress], None]:
    """One bar per stage (and per sync phase), its amount in the stage's unit with thousands separators."""
    tasks: dict[str, TaskID] = {}

    def show(step: StageProgress) -> None:
        label = "CRM mirror" if step.stage == "mirror" else step.stage
        if step.stage not in tasks:
            tasks[step.stage] = bars.add_task(label, total=step.total, amount="")
        bars.update(tasks[step.stage], completed=step.done, total=step.total, amount=_amount(step))

    return show


def _amount(step: StageProgress) -> str:
    """``1.2 / 3.4 MB`` for bytes, ``1,234 / 5,000 records`` otherwise (no total yet: what is done so far)."""
    if step.note:
        return step.note if len(step.note) <= 40 else step.note[:39] + "…"
    if step.unit == "bytes":
        total = step.total or step.done
        return f"{step.done / 1e6:,.1f} / {total / 1e6:,.1f} MB"
    if step.total is None:
        return f"{step.done:,} {step.unit}" if step.done else ""
    return f"{step.done:,} / {step.total:,} {step.unit}"


def _summary(
    console: Console, result: PipelineResult, counts: StoreCounts, emulator: dict[str, Any], ghl: dict[str, Any]
) -> None:
    from leadflow.sync.cost import naive_cost

    ingest, report, scored = result.ingest, result.sync, result.score.counters
    assert ingest is not None, "files were given"
    assert report is not None, "the sync ran"
    table = Table("what", "how many", title="leadflow demo", show_header=False)
    table.add_row("rows read from the exports (this run)", f"{ingest.read:,}")
    table.add_row("  new / already ingested before", f"{ingest.stored:,} / {ingest.already_seen:,}")
    table.add_row("  quarantined", f"{sum(ingest.quarantined.values()):,}")
    table.add_row("CRM records mirrored from Zoho", ", ".join(f"{n:,} {m}" for m, n in result.mirrored.items()))
    table.add_row("golden people (one per real person)", f"{counts.golden_people:,} from {counts.prospect_rows:,} rows")
    table.add_row(
        "duplicates avoided",
        f"{counts.rows_merged:,} rows merged; {counts.matched_to_crm:,} people matched to Zoho records",
    )
    table.add_row("scored / suppressed", f"{scored.get('records', 0):,} / {scored.get('suppressed', 0):,}")
    changes = {
        k: v for k, v in sorted(report.counts.items()) if v and k.split(" ", 1)[0] in ("Leads", "Contacts", "Accounts")
    }
    for name, count in changes.items():
        table.add_row(f"Zoho {name}", f"{count:,}")
    written = sum(v for k, v in report.counts.items() if k.endswith((" created", " updated")))
    planned = report.plan.counts()
    tag_changes = sum(v for k, v in planned.items() if k.endswith((" tags added", " tags removed")))
    naive = naive_cost(written, tag_changes)
    links = result.zoho_links
    calls = report.calls + (links.calls if links else 0)
    credits = report.credits + (links.credits if links else 0)
    if links is not None:
        linked = sum(v for k, v in links.counts.items() if k.endswith(" updated"))
        table.add_row("Zoho people given their GHL contact id", f"{linked:,} (the pass after GHL's)")
    table.add_row("API calls / credits for the sync", f"{calls:,} / {credits:,}")
    table.add_row("a naive one-call-per-record sync", f"{naive.calls:,} / {naive.credits:,}")
    table.add_row(
        "Zoho now holds",
        ", ".join(f"{emulator['records'].get(m, 0):,} {m}" for m in ("Leads", "Contacts", "Accounts")),
    )
    to_ghl = result.ghl_sync
    if to_ghl is not None:
        for name, count in sorted(to_ghl.counts.items()):
            if count and name.startswith("contacts "):
                table.add_row(f"GHL {name}", f"{count:,}")
        table.add_row("GHL requests for the sync", f"{to_ghl.calls:,} (GHL allows 100 per 10 s, 200,000 a day)")
        enrolled = sum(1 for e in ghl.get("enrolments", []) if e.get("status") == "active")
        table.add_row(
            "GHL now holds",
            f"{ghl['counts'].get('contact', 0):,} contacts, {enrolled:,} enrolled in {DEMO_WORKFLOW['name']!r}",
        )
    console.print(table)
    console.print(
        "golden people: one record per real person, however many export rows and Zoho records describe them.\n"
        "credits: Zoho's API allowance per org and day (a batch write of 100 records costs 10, a single-record"
        " call 1); the sync spends as few as it can."
    )
    if all(done is None or done.wrote_nothing for done in (report, to_ghl, links)):
        console.print("[green]nothing changed since the last run: no record written, no write call made[/]")
    for where, done in (("Zoho", report), ("GoHighLevel", to_ghl)):
        if done is not None and done.stopped:
            console.print(
                f"[yellow]the sync to {where} stopped early:[/] {done.stopped} (run the demo again to resume)"
            )


def _funnel(console: Console, report: Report, *, currency: str) -> None:
    """The funnel as ``leadflow report funnel`` prints it."""
    from leadflow.cli.report import rich_tables

    console.print(rich_tables(report, currency=currency)[0])


def _closing_hints(console: Console, workdir: Path, zoho_db: Path, started: float) -> None:
    """Where the demo left its state, with commands that work as printed (see :mod:`leadflow.cli.hints`)."""
    store = workdir / "leadflow.db"
    runs = f"LEADFLOW_DATABASE_URL={shlex.quote(f'sqlite:///{store}')} {command_hint('runs list')}"
    tracked = f"LEADFLOW_DATABASE_URL={shlex.quote(f'sqlite:///{store}')} {command_hint('track status')}"
    browse = f"{python_command()} -m leadflow_emulators zoho --db {shlex.quote(str(zoho_db))}"
    ghl_db = zoho_db.with_name("ghl.db")
    browse_ghl = f"{python_command()} -m leadflow_emulators ghl --db {shlex.quote(str(ghl_db))}"
    console.print(
        f"\nstate store: [bold]{escape(str(store))}[/]  (e.g. {escape(runs)}, or {escape(tracked)})\n"
        f"Zoho emulator state: [bold]{escape(str(zoho_db))}[/]  (browse it: {escape(browse)})\n"
        f"GoHighLevel emulator state: [bold]{escape(str(ghl_db))}[/]  (browse it: {escape(browse_ghl)})\n"
        f"done in {time.monotonic() - started:,.0f} s",
        highlight=False,
        soft_wrap=True,
    )
