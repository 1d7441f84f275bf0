"""``leadflow export ...``: CSV files of what leadflow knows, for people and other tools."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer

from leadflow.cli.context import app_context
from leadflow.store import sync_ledger

export_app = typer.Typer(help="Export leadflow's records as CSV.", no_args_is_help=True)


@export_app.command("sync-map")
def export_sync_map(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV file to write.")],
    target: Annotated[str | None, typer.Option("--target", help="Only this target (zoho, ghl).")] = None,
) -> None:
    """One line per golden record and target: golden_id, target, module, remote_id."""
    context = app_context(ctx)
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with context.engine.connect() as connection, out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["golden_id", "target", "module", "remote_id"])
        for row in sync_ledger.iter_sync_map(connection, target=target):
            writer.writerow([row["golden_id"], row["target"], row["module"], row["remote_id"]])
            count += 1
    context.console.print(f"wrote {count} records to {out}")
