"""``leadflow export ...``: CSV files out of the store. Other parts add their own ``export`` commands here."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer

from leadflow.cli.context import app_context
from leadflow.store import sync_ledger
from leadflow.store.golden import iter_cluster_export

export_app = typer.Typer(name="export", help="Write CSV files from the store.", no_args_is_help=True)


@export_app.command("clusters")
def export_clusters(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="CSV file to write (file,row,cluster_id).")] = Path("clusters.csv"),
) -> None:
    """One line per ingested row: its file's base name, its 1-based data row and its golden record id."""
    context = app_context(ctx)
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with context.engine.connect() as connection, out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "row", "cluster_id"])
        for file_name, row_number, golden_id in iter_cluster_export(connection):
            writer.writerow([file_name, row_number, golden_id])
            count += 1
    context.console.print(f"wrote {count} rows to {out}")


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
