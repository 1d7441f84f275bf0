"""``leadflow score``, ``leadflow segment --preview`` and ``leadflow segments list``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from leadflow.cli.context import AppContext, app_context
from leadflow.cli.progress import steps
from leadflow.errors import InputError

if TYPE_CHECKING:
    from leadflow.pipeline.score import ScoreOutcome

segments_app = typer.Typer(help="Inspect the configured segments.", no_args_is_help=True)

SCORE_LABELS = {"fit": "Account Fit", "persona": "Persona Influence", "engagement": "Engagement"}


def score_command(
    ctx: typer.Context,
    explain: Annotated[
        str | None, typer.Option("--explain", help="Show why a record (golden id or email) scored as it did.")
    ] = None,
) -> None:
    """Score and segment every golden record and store the results (or explain one record)."""
    from leadflow.pipeline.score import run_score_stage

    context = app_context(ctx)
    if explain is not None:
        _explain(context, explain)
        return
    with steps(context.console, "score") as step:
        outcome = run_score_stage(
            context.engine, context.settings, config_file=context.config_file, on_step=step, on_wait=_waiting(context)
        )
    _print_outcome(context.console, outcome, title=f"scored {outcome.records:,} records (run {outcome.run_id})")


def segment_command(
    ctx: typer.Context,
    preview: Annotated[
        bool, typer.Option("--preview", help="Show counts, tag changes and examples; write nothing.")
    ] = False,
    examples: Annotated[int, typer.Option("--examples", min=0, help="Example records to show.")] = 5,
) -> None:
    """Assign segments and owned tags (scores are recomputed first so segments see current scores)."""
    from leadflow.pipeline.score import run_score_stage

    context = app_context(ctx)
    with steps(context.console, "segment") as step:
        outcome = run_score_stage(
            context.engine,
            context.settings,
            config_file=context.config_file,
            preview=preview,
            on_step=step,
            on_wait=_waiting(context),
        )
    title = "preview: nothing written" if preview else f"segmented {outcome.records:,} records (run {outcome.run_id})"
    _print_outcome(context.console, outcome, title=title)
    _print_tag_changes(context.console, outcome)
    if examples:
        _print_examples(context.console, outcome, examples)


@segments_app.command("list")
def segments_list_command(ctx: typer.Context) -> None:
    """List the segments: rule, tags per target, custom field; a bad rule is reported at its line and column."""
    from leadflow.pipeline.score import compile_configured_segments

    context = app_context(ctx)
    settings = context.settings
    compiled = compile_configured_segments(settings, context.config_file)
    table = Table("segment", "rule", "outreach", "zoho tags", "ghl tags", "custom field", title="segments")
    for segment in compiled.segments:
        spec = segment.spec
        custom = f"{spec.custom_field} = {spec.custom_value}" if spec.custom_field else ""
        table.add_row(
            spec.name,
            spec.rule,
            "yes (suppressed excluded)" if spec.outreach else "no",
            ", ".join(segment.zoho_tags),
            ", ".join(segment.ghl_tags),
            custom,
        )
    context.console.print(table)
    context.console.print(f"owned tag prefix: [bold]{settings.segments.tag_prefix}[/] (other tags are never touched)")


def _waiting(context: AppContext) -> Callable[[], None]:
    return lambda: context.console.print("another score run is writing to this store: waiting for it to finish")


def _print_outcome(console: Console, outcome: ScoreOutcome, *, title: str) -> None:
    counters = outcome.counters
    table = Table("measure", "records", title=title)
    for label, key in (
        ("fit unscored (too little known)", "fit_unscored"),
        ("persona unscored", "persona_unscored"),
        ("no engagement events", "without_events"),
        ("suppressed", "suppressed"),
        ("priority", "priority"),
    ):
        table.add_row(label, f"{counters[key]:,}")
    for grade, count in counters["grades"].items():
        table.add_row(f"grade {grade}", f"{count:,}")
    for name in (segment.spec.name for segment in outcome.compiled.segments):
        table.add_row(f"segment {name}", f"{counters['segments'].get(name, 0):,}")
    console.print(table)


def _print_tag_changes(console: Console, outcome: ScoreOutcome) -> None:
    import duckdb

    with duckdb.connect() as con:
        con.register("seg", outcome.segments)
        rows = con.sql(
            """SELECT target, change, tag, count(*) FROM (
                   SELECT 'zoho' AS target, 'add' AS change, unnest(zoho_add) AS tag FROM seg
                   UNION ALL SELECT 'zoho', 'remove', unnest(zoho_remove) FROM seg
                   UNION ALL SELECT 'ghl', 'add', unnest(ghl_add) FROM seg
                   UNION ALL SELECT 'ghl', 'remove', unnest(ghl_remove) FROM seg)
               GROUP BY ALL ORDER BY target, change, tag"""
        ).fetchall()
    table = Table("target", "change", "tag", "records", title="owned tags to change")
    for target, change, tag, count in rows:
        table.add_row(target, change, tag, f"{count:,}")
    if not rows:
        console.print("owned tags: nothing to add or remove")
        return
    console.print(table)


def _print_examples(console: Console, outcome: ScoreOutcome, limit: int) -> None:
    import duckdb

    with duckdb.connect() as con:
        con.register("seg", outcome.segments)
        con.register("scored", outcome.scores)
        con.register("people", outcome.people)
        rows = con.sql(
            f"""SELECT s.golden_person_id, p.email, s.grade, seg.segments, seg.zoho_add, seg.zoho_remove, s.summary
                FROM seg JOIN scored s USING (golden_person_id) JOIN people p ON p.id = s.golden_person_id
                ORDER BY len(seg.zoho_add) + len(seg.zoho_remove) > 0 DESC, s.priority DESC, s.fit DESC NULLS LAST
                LIMIT {int(limit)}"""
        ).fetchall()
    table = Table("id", "email", "grade", "segments", "zoho +", "zoho -", title="examples")
    for golden_id, email, grade, segments, add, remove, _summary in rows:
        table.add_row(golden_id, email or "", grade or "-", ", ".join(segments), ", ".join(add), ", ".join(remove))
    console.print(table)


def _explain(context: AppContext, wanted: str) -> None:
    from leadflow.store import scoring as repo

    if not wanted.isprintable() or len(wanted) > 320:
        raise InputError("--explain takes a golden id (gp_...) or an e-mail address")
    with context.engine.connect() as connection:
        golden_id = wanted
        if "@" in wanted:
            ids = repo.find_person_ids(connection, email=wanted)
            if not ids:
                raise InputError(f"no golden record has the email {wanted}")
            golden_id = ids[0]
        record = repo.get_score(connection, golden_person_id=golden_id)
    if record is None:
        raise InputError(f"no score for {wanted}: run `leadflow score` first, or check the id")
    context.console.print(explain_text(record), highlight=False, markup=False)


def explain_text(record: dict[str, Any]) -> str:
    """The plain-text explanation of one stored score: each score, its reasons, what was unknown, tags.

    Example:
        >>> record = {"golden_person_id": "gp_1", "fit": None, "fit_coverage": 0.2, "persona_influence": None,
        ...           "persona_coverage": 0.0, "engagement": None, "engagement_coverage": 0.0, "grade": None,
        ...           "priority": False, "suppressed": False, "suppression_reasons": [], "persona": None,
        ...           "reasons": [], "summary": "ungraded", "segments": [], "tags": {}}
        >>> print(explain_text(record).splitlines()[1])
        Account Fit: unscored (20% of the data known)
    """
    lines = [
        f"{record['golden_person_id']}: grade {record['grade'] or 'none'}"
        + (" (priority)" if record["priority"] else "")
    ]
    dimensions = {
        "fit": ["industry", "employees", "revenue", "country", "technologies", "keywords"],
        "persona": ["seniority", "department", "role"],
    }
    columns = {"fit": "fit", "persona": "persona_influence", "engagement": "engagement"}
    for score, label in SCORE_LABELS.items():
        value = record[columns[score]]
        coverage = record[f"{score}_coverage"]
        if value is None:
            state = "no events" if score == "engagement" else f"unscored ({coverage:.0%} of the data known)"
            lines.append(f"{label}: {state}")
        else:
            lines.append(f"{label}: {value:.1f} / 100 ({coverage:.0%} of the data known)")
        reasons = [r for r in record["reasons"] if r["score"] == score]
        for item in reasons:
            field = f" [{item['field']}]" if item.get("field") else ""
            shown = f" = {item['value']}" if item.get("value") is not None else ""
            lines.append(f"  {item['points']:+7.1f}  {item['rule']}{field}{shown}")
        known = {r["rule"] for r in reasons}
        missing = [name for name in dimensions.get(score, []) if name not in known]
        if missing:
            lines.append(f"           unknown: {', '.join(missing)}")
    if record["persona"]:
        lines.append(f"Persona: {record['persona']}")
    if record["suppressed"]:
        lines.append(f"Suppressed: {', '.join(record['suppression_reasons'])} (excluded from outreach segments)")
    lines.append(f"Segments: {', '.join(record['segments']) or 'none'}")
    for target, tags in sorted(record.get("tags", {}).items()):
        lines.append(
            f"Tags {target}: desired {', '.join(tags['desired']) or '-'}; applied {', '.join(tags['applied']) or '-'}"
        )
    lines.append(f"Summary: {record['summary']}")
    return "\n".join(lines)
