"""``leadflow export ...``: CSV files out of the store, for people and other tools."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from leadflow.cli.context import AppContext, app_context
from leadflow.cli.inputs import choice_option, shown
from leadflow.cli.output import check_output, open_output

export_app = typer.Typer(name="export", help="Write CSV files from the store.", no_args_is_help=True)

SCORE_COLUMNS = [
    "golden_person_id",
    "emails",
    "fit",
    "persona_influence",
    "engagement",
    "fit_coverage",
    "persona_coverage",
    "engagement_coverage",
    "grade",
    "priority",
    "suppressed",
    "segments",
]


def _write_csv(context: AppContext, out: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    count = 0
    with open_output(out) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    context.console.print(f"wrote {count:,} rows to {escape(shown(out))}")


@export_app.command("clusters")
def export_clusters(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="CSV file to write (file,row,cluster_id).")] = Path("clusters.csv"),
) -> None:
    """One line per ingested row: its file's base name, its 1-based data row and its golden record id."""
    from leadflow.store.golden import iter_cluster_export

    check_output(out)
    context = app_context(ctx)
    with context.engine.connect() as connection:
        _write_csv(context, out, ["file", "row", "cluster_id"], iter_cluster_export(connection))


@export_app.command("scores")
def export_scores_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
) -> None:
    """One line per golden record: id, emails, scores, coverage, grade, priority, suppressed, segments.

    Unscored values are empty; lists (emails, segments) are joined with ``;``.
    """
    from leadflow.store import scoring as score_repo

    check_output(out)
    context = app_context(ctx)
    with context.engine.connect() as connection:
        rows = (score_csv_row(row) for row in score_repo.iter_score_export(connection))
        _write_csv(context, out, SCORE_COLUMNS, rows)


@export_app.command("sync-map")
def export_sync_map(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV file to write.")],
    target: Annotated[str | None, typer.Option("--target", help="Only this target (zoho, ghl).")] = None,
) -> None:
    """One line per golden record and target: golden_id, target, module, remote_id."""
    from leadflow.store import sync_ledger

    choice_option(target, "--target", ["zoho", "ghl"])

    check_output(out)
    context = app_context(ctx)
    with context.engine.connect() as connection:
        rows = (
            [row["golden_id"], row["target"], row["module"], row["remote_id"]]
            for row in sync_ledger.iter_sync_map(connection, target=target)
        )
        _write_csv(context, out, ["golden_id", "target", "module", "remote_id"], rows)


def score_csv_row(row: dict[str, Any]) -> list[str]:
    """One export line; ``None`` (unscored, or never scored) is an empty cell.

    Example:
        >>> score_csv_row({"id": "gp_1", "email": "a@x.io", "emails": ["a@x.io", "b@x.io"], "fit": 71.5,
        ...                "persona_influence": None, "engagement": None, "fit_coverage": 1.0,
        ...                "persona_coverage": 0.0, "engagement_coverage": 0.0, "grade": "B4", "priority": False,
        ...                "suppressed": False, "segments": ["nurture"]})[:4]
        ['gp_1', 'a@x.io;b@x.io', '71.5', '']
    """
    emails = list(row.get("emails") or [])
    if row.get("email") and row["email"] not in emails:
        emails.insert(0, row["email"])

    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return [
        row["id"],
        ";".join(emails),
        *(cell(row.get(name)) for name in SCORE_COLUMNS[2:11]),
        ";".join(row.get("segments") or []),
    ]
