"""``leadflow demo``: the whole path on the local Zoho emulator, no network, no credentials.

Sample Apollo and Sales Navigator exports and a Zoho org seeded with records that overlap them are
generated; then ingest, mirror the CRM, resolve against it, score and segment, plan and sync, and say
what happened. A second run finds everything in place and changes nothing.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from leadflow.cli.context import app_context

if TYPE_CHECKING:
    import sqlalchemy as sa

    from leadflow.config import Settings
    from leadflow.sync.runner import SyncReport

EXPORTS = ("apollo_2024.csv", "apollo_2025.csv", "salesnav_export.csv")


def demo_command(
    ctx: typer.Context,
    workdir: Annotated[Path, typer.Option("--workdir", help="Folder for the demo's database and files.")] = Path(
        ".leadflow-demo"
    ),
    people: Annotated[int, typer.Option("--people", help="People in the generated sample data.")] = 1000,
    fresh: Annotated[bool, typer.Option("--fresh", help="Start over: delete the demo folder first.")] = False,
) -> None:
    """Run leadflow end to end on the local Zoho emulator (no network, no credentials)."""
    from leadflow.pipeline.emulator import EmulatorProcess
    from leadflow.pipeline.ingest import ingest_files
    from leadflow.pipeline.resolve import run_resolve
    from leadflow.pipeline.score import run_score_stage
    from leadflow.pipeline.sync import mirror_crm, zoho_sync
    from leadflow.sampledata import GeneratorConfig, generate
    from leadflow.store import open_store
    from leadflow.zoho.client import ZohoClient

    context = app_context(ctx)
    console = context.console
    started = time.monotonic()
    if fresh and workdir.exists():
        for path in sorted(workdir.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
    workdir.mkdir(parents=True, exist_ok=True)
    samples = workdir / "samples"
    zoho_db = workdir / "zoho.db"
    first_run = not zoho_db.exists()

    data = generate(GeneratorConfig(people=people, seed=7))
    paths = data.write(samples)
    console.print(f"sample data: {', '.join(f'{n} ({len(data.rows[n])} rows)' for n in EXPORTS)} in {samples}")

    with EmulatorProcess(zoho_db, seed=paths["crm_seed.jsonl"] if first_run else None) as emulator:
        seeded = emulator.state()["records"]
        console.print(
            f"Zoho emulator on {emulator.base_url}: "
            + ", ".join(f"{seeded.get(m, 0)} {m}" for m in ("Leads", "Contacts", "Accounts"))
            + (" (seeded with records that overlap the sample data)" if first_run else " (from the last run)")
        )
        settings = _demo_settings(context.settings, workdir, emulator.base_url)
        engine = open_store(settings.database_url)
        with _bars(console) as bars:
            task = bars.add_task("ingest", total=sum(p.stat().st_size for p in (paths[n] for n in EXPORTS)))
            done: dict[Path, int] = {}

            def ingested(path: Path, read: int, _size: int) -> None:
                done[path] = read
                bars.update(task, completed=sum(done.values()))

            ingest = ingest_files(engine, [paths[n] for n in EXPORTS], progress=ingested)
            bars.update(task, completed=bars.tasks[task].total)
            with ZohoClient.from_settings(settings, engine) as zoho:
                step = bars.add_task("CRM mirror", total=None)
                mirrored = mirror_crm(settings, engine, zoho)
                bars.update(step, total=1, completed=1)
            step = bars.add_task("resolve", total=None)
            resolved = run_resolve(engine, settings.resolve, against_crm=True)
            bars.update(step, total=1, completed=1)
            step = bars.add_task("score", total=None)
            scored = run_score_stage(engine, settings)
            bars.update(step, total=1, completed=1)
            tasks: dict[str, Any] = {}

            def progress(phase: str, done_n: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = bars.add_task(f"sync {phase}", total=total)
                bars.update(tasks[phase], completed=done_n, total=max(total, done_n))

            with zoho_sync(settings, engine, progress=progress) as runner:
                report = runner.run()
        final = emulator.state()
    _summary(console, ingest, mirrored, resolved.stats, scored.counters, report, final, engine)
    store = workdir / "leadflow.db"
    console.print(
        f"\nstate store: [bold]{store}[/]  (e.g. LEADFLOW_DATABASE_URL=sqlite:///{store} leadflow runs list)\n"
        f"Zoho emulator state: [bold]{zoho_db}[/]  (browse it: python -m leadflow_emulators zoho --db {zoho_db})\n"
        f"done in {time.monotonic() - started:.0f} s"
    )


def _demo_settings(base: Settings, workdir: Path, api: str) -> Settings:
    from pydantic import SecretStr

    from leadflow.pipeline.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN

    zoho = base.zoho.model_copy(
        update={
            "api_base_url": api,
            "accounts_url": api,
            "auth": "oauth",
            "client_id": DEMO_CLIENT_ID,
            "client_secret": SecretStr(DEMO_CLIENT_SECRET),
            "refresh_token": SecretStr(DEMO_REFRESH_TOKEN),
        }
    )
    return base.model_copy(update={"database_url": f"sqlite:///{workdir / 'leadflow.db'}", "zoho": zoho})


def _bars(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _summary(
    console: Console,
    ingest: Any,
    mirrored: dict[str, int],
    resolved: dict[str, Any],
    scored: dict[str, Any],
    report: SyncReport,
    emulator: dict[str, Any],
    engine: sa.Engine,
) -> None:
    import sqlalchemy as sa

    from leadflow.sync.cost import naive_cost

    with engine.connect() as connection:
        people = connection.execute(sa.text("select count(*) from golden_people")).scalar_one()
        in_crm = connection.execute(sa.text("select count(*) from golden_people where crm_id is not null")).scalar_one()
        rows = connection.execute(sa.text("select count(*) from prospects")).scalar_one()
    table = Table("what", "how many", title="leadflow demo", show_header=False)
    table.add_row("rows read from the exports (this run)", f"{ingest.read:,}")
    table.add_row("  new / already ingested before", f"{ingest.stored:,} / {ingest.already_seen:,}")
    table.add_row("  quarantined", f"{sum(ingest.quarantined.values()):,}")
    table.add_row("CRM records mirrored from Zoho", ", ".join(f"{n} {m}" for m, n in mirrored.items()))
    table.add_row("golden people (one per real person)", f"{people:,} from {rows:,} rows")
    table.add_row("duplicates avoided", f"{rows - people:,} rows merged; {in_crm:,} people matched to Zoho records")
    table.add_row(
        "scored / suppressed", f"{scored.get('scored', scored.get('records', '-'))} / {scored.get('suppressed', '-')}"
    )
    changes = {
        k: v for k, v in sorted(report.counts.items()) if v and k.split(" ", 1)[0] in ("Leads", "Contacts", "Accounts")
    }
    for name, count in changes.items():
        table.add_row(f"Zoho {name}", f"{count:,}")
    written = sum(v for k, v in report.counts.items() if k.endswith((" created", " updated")))
    tag_changes = sum(
        len(op.payload.get("add", [])) + len(op.payload.get("remove", []))
        for op in report.plan.operations
        if op.kind == "tags"
    )
    naive = naive_cost(written, tag_changes)
    table.add_row("API calls / credits for the sync", f"{report.calls:,} / {report.credits:,}")
    table.add_row("a naive one-call-per-record sync", f"{naive.calls:,} / {naive.credits:,}")
    table.add_row(
        "Zoho now holds",
        ", ".join(f"{emulator['records'].get(m, 0):,} {m}" for m in ("Leads", "Contacts", "Accounts")),
    )
    console.print(table)
    if report.wrote_nothing:
        console.print("[green]nothing changed since the last run: no record written, no write call made[/]")
    if report.stopped:
        console.print(f"[yellow]the sync stopped early:[/] {report.stopped} (run the demo again to resume)")
