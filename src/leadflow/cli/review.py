"""``leadflow review list|show|accept|reject|train``: the pairs resolve was not sure about, and reviewers'
decisions on them (kept as must-link / cannot-link constraints every later resolve honours)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from leadflow.cli.context import app_context

review_app = typer.Typer(
    help="Pairs resolve left for a person to decide: list, show, accept (one person), reject (two people), train.",
    no_args_is_help=True,
)


@review_app.command("list")
def list_command(
    ctx: typer.Context,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="uncertain (below match_threshold), namesake_guard, or same_name (people left apart who share "
            "only a name: a job changer or a namesake)",
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many pairs, most likely one person first")] = 50,
    show_all: Annotated[
        bool, typer.Option("--all", help="Also the pairs so weak a reviewer would reject nearly all of them")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line instead of a table")] = False,
) -> None:
    """The pairs waiting for a decision, the most likely one person first, with the reason."""
    from leadflow.resolve.review_rank import LISTED_FROM_WEIGHT, probability
    from leadflow.store import review

    context = app_context(ctx)
    with context.engine.connect() as connection:
        pairs = review.list_pairs(connection, kind=kind, limit=limit, weak=show_all)
        total, weak = review.count_pairs(connection, kind=kind)
        rows = review.rows_of(connection, {rid for p in pairs for rid in (p["rid_l"], p["rid_r"])})
    if as_json:
        for pair in pairs:
            item = {k: pair[k] for k in ("id", "kind", "rid_l", "rid_r", "match_weight", "rank_weight", "rank_reason")}
            likely = None if pair["rank_weight"] is None else round(probability(pair["rank_weight"]), 4)
            typer.echo(json.dumps({**item, "one_person_probability": likely}, sort_keys=True))
        return
    if not pairs:
        hidden = f" ({weak:,} weak pairs: `leadflow review list --all`)" if weak and not show_all else ""
        context.console.print(f"no pairs to review{hidden} (run `leadflow resolve` to refresh the queue)")
        return
    table = Table(title=f"{len(pairs)} of {total:,} pairs to review, the most likely one person first")
    for column in ("id", "kind", "one person?", "reason", "left", "right"):
        table.add_column(column)
    for pair in pairs:
        table.add_row(
            str(pair["id"]),
            pair["kind"],
            "-" if pair["rank_weight"] is None else f"{probability(pair['rank_weight']):.0%}",
            pair["rank_reason"] or "",
            _label(pair["rid_l"], rows.get(pair["rid_l"])),
            _label(pair["rid_r"], rows.get(pair["rid_r"])),
        )
    context.console.print(table)
    if weak and not show_all:
        context.console.print(
            f"{weak:,} weak pairs (under {probability(LISTED_FROM_WEIGHT):.0%} likely one person) not listed: "
            "`leadflow review list --all`"
        )


@review_app.command("show")
def show_command(
    ctx: typer.Context, pair_id: Annotated[int, typer.Argument(help="Pair id from `review list`")]
) -> None:
    """Both rows side by side, the evidence on them being one person, and the weight each comparison gave."""
    from leadflow.resolve.review_rank import probability
    from leadflow.store import review

    context = app_context(ctx)
    with context.engine.connect() as connection:
        pair = review.get_pair(connection, pair_id)
        rows = review.rows_of(connection, [pair["rid_l"], pair["rid_r"]])
    left, right = rows.get(pair["rid_l"], {}), rows.get(pair["rid_r"], {})
    likely = "" if pair["rank_weight"] is None else f", one person: {probability(pair['rank_weight']):.1%}"
    context.console.print(
        f"pair {pair_id} ({pair['kind']}): match weight {_number(pair['match_weight'])}, "
        f"probability {_number(pair['match_probability'], digits=4)}{likely}"
    )
    fields = Table(title="fields")
    for column in ("field", pair["rid_l"], pair["rid_r"], ""):
        fields.add_column(column)
    for name in review.SHOWN_FIELDS:
        a, b = left.get(name), right.get(name)
        if a is None and b is None:
            continue
        fields.add_row(name, _text(a), _text(b), "=" if a == b else "")
    context.console.print(fields)
    if pair["rank_evidence"]:
        evidence = Table(title=f"one person or two? (log2 odds {_number(pair['rank_weight'])})")
        for column in ("evidence", "bits", "what"):
            evidence.add_column(column)
        for item in pair["rank_evidence"]:
            evidence.add_row(str(item.get("evidence")), f"{float(item.get('bits') or 0):+.2f}", str(item.get("note")))
        context.console.print(evidence)
    if pair["detail"]:
        weights = Table(title="match model (weight per comparison)")
        for column in ("comparison", "level", "weight"):
            weights.add_column(column)
        for name, item in pair["detail"].items():
            weights.add_row(name, str(item.get("level")), _number(item.get("weight")))
        context.console.print(weights)


ROWS_HELP = (
    "Any two rows instead of a listed pair: a source row id (1234 or p:1234), a mirrored CRM record"
    " (crm:Leads:900) or a golden person (gp_...: all the rows it holds)"
)


@review_app.command("accept")
def accept_command(
    ctx: typer.Context,
    pair_ids: Annotated[list[int] | None, typer.Argument(help="Pair ids from `review list`")] = None,
    rows: Annotated[tuple[str, str] | None, typer.Option("--rows", help=ROWS_HELP)] = None,
    note: Annotated[str | None, typer.Option("--note", help="Why (kept with the decision)")] = None,
) -> None:
    """The two rows are one person: every later resolve joins them."""
    _decide(ctx, pair_ids, rows, "accept", note)


@review_app.command("reject")
def reject_command(
    ctx: typer.Context,
    pair_ids: Annotated[list[int] | None, typer.Argument(help="Pair ids from `review list`")] = None,
    rows: Annotated[tuple[str, str] | None, typer.Option("--rows", help=ROWS_HELP)] = None,
    note: Annotated[str | None, typer.Option("--note", help="Why (kept with the decision)")] = None,
) -> None:
    """The two rows are two people: no later resolve puts them in one record, whatever they share."""
    _decide(ctx, pair_ids, rows, "reject", note)


@review_app.command("train")
def train_command(ctx: typer.Context) -> None:
    """Learn the match model's m probabilities from the accepted pairs (used by every later resolve)."""
    from leadflow.pipeline.review import train_from_decisions

    context = app_context(ctx)
    report = train_from_decisions(context.engine)
    table = Table(title=f"m probabilities from {report.labelled} accepted pairs")
    for column in ("comparison", "level", "before", "after"):
        table.add_column(column)
    for comparison, level, before, after in report.changes:
        table.add_row(comparison, level, _number(before, digits=4), _number(after, digits=4))
    context.console.print(table)
    context.console.print("used by the next `leadflow resolve`")


def _decide(
    ctx: typer.Context, pair_ids: list[int] | None, rows: tuple[str, str] | None, decision: Any, note: str | None
) -> None:
    from leadflow.errors import InputError
    from leadflow.store import review

    if bool(pair_ids) == (rows is not None):
        raise InputError("name either pair ids from `leadflow review list` or --rows A B (two rows), not both")
    context = app_context(ctx)
    verb = "one person" if decision == "accept" else "two people"
    with context.engine.begin() as connection:
        if rows is not None:
            lefts, rights = review.decide_rows(connection, rows[0], rows[1], decision, note=note)
            context.console.print(f"{rows[0]} ({_rids(lefts)}) and {rows[1]} ({_rids(rights)}) are {verb}")
        for pair_id in pair_ids or []:
            pair = review.decide(connection, pair_id, decision, note=note)
            context.console.print(f"pair {pair_id}: {pair['rid_l']} and {pair['rid_r']} are {verb}")
    context.console.print("the next `leadflow resolve` applies it")


def _rids(rids: list[str]) -> str:
    return ", ".join(rids[:4]) + (f" and {len(rids) - 4} more" if len(rids) > 4 else "")


def _number(value: float | None, *, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _label(rid: str, row: dict[str, Any] | None) -> str:
    if not row:
        return rid
    name = " ".join(str(row[k]) for k in ("first_name", "last_name") if row.get(k))
    extra = row.get("email") or row.get("company_name") or ""
    return f"{rid} {name} {extra}".strip()
