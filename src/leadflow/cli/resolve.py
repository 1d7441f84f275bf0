"""``leadflow resolve``: join ingested rows (and CRM records) into golden people and companies; ``--explain``."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from leadflow.cli.context import AppContext, app_context
from leadflow.cli.inputs import ROW_ID_MAX
from leadflow.cli.progress import steps
from leadflow.errors import InputError, LeadflowError


def resolve_command(
    ctx: typer.Context,
    against_crm: Annotated[
        bool, typer.Option("--against-crm", help="Match against the mirrored Zoho Leads, Contacts and Accounts too.")
    ] = False,
    explain: Annotated[
        str | None,
        typer.Option("--explain", metavar="ID", help="Why rows were joined: a golden id (gp_...) or a source row id."),
    ] = None,
) -> None:
    """Resolve prospects into golden records (one per real person and company).

    With ``--against-crm`` the CRM mirror is first brought up to date from Zoho (only what changed since the
    last copy); when Zoho cannot be reached the command stops there rather than match against a stale copy.
    """
    from leadflow.pipeline.resolve import require_prospects, run_resolve

    context = app_context(ctx)
    if explain is not None:
        _explain(context, explain)
        return
    engine = context.engine
    require_prospects(engine)
    if against_crm:
        _refresh_crm_mirror(context)
    with steps(context.console, "resolve") as step:
        report = run_resolve(
            engine,
            context.settings.resolve,
            against_crm=against_crm,
            on_step=step,
            on_wait=lambda: context.console.print("another resolve is writing to this store: waiting for it to finish"),
        )
    table = Table(title=f"resolve run {report.run_id}")
    table.add_column("measure")
    table.add_column("count", justify="right")
    for key in ("candidates", "key_edges", "scored_edges", "rejected_by_namesake_guard", "golden_people",
                "golden_companies", "crm_matched", "golden_people_removed", "review_pairs"):  # fmt: skip
        table.add_row(key.replace("_", " "), f"{report.stats.get(key, 0):,}")
    context.console.print(table)
    context.console.print(
        "golden people: one record per real person, joined from every export row (and Zoho record) about them",
        highlight=False,
    )


def _refresh_crm_mirror(context: AppContext) -> None:
    """Bring the CRM mirror up to date (incrementally, by its ``Modified_Time`` cursor), or stop in one line."""
    from leadflow.pipeline.sync import mirror_crm
    from leadflow.zoho.client import ZohoClient

    try:
        with (
            context.console.status("CRM mirror: reading what changed in Zoho"),
            ZohoClient.from_settings(context.settings, context.engine) as zoho,
        ):
            counts = mirror_crm(context.settings, context.engine, zoho)
    except LeadflowError as exc:
        error = LeadflowError(
            f"resolve --against-crm matches against Zoho's records, but the CRM mirror could not be brought up "
            f"to date: {exc} (resolve without --against-crm to use the exports alone)"
        )
        error.exit_code = exc.exit_code
        raise error from exc
    changed = ", ".join(f"{count:,} {module}" for module, count in counts.items())
    context.console.print(f"CRM mirror up to date (read from Zoho: {changed})", highlight=False)


def _explain(context: Any, identifier: str) -> None:
    from leadflow.resolve.merge import provenance_sources
    from leadflow.store.golden import cluster_rows, crm_cluster_rows, golden_id_of_source_record, golden_person

    if not identifier.isprintable() or len(identifier) > 200:
        raise InputError("--explain takes a golden id (gp_...) or a source row id")
    if identifier.isascii() and identifier.isdigit() and int(identifier) > ROW_ID_MAX:
        raise InputError(f"no source row {identifier}")
    with context.engine.connect() as connection:
        golden_id = identifier
        if identifier.isascii() and identifier.isdigit():
            found = golden_id_of_source_record(connection, source_record_id=int(identifier))
            if found is None:
                raise InputError(f"source row {identifier} is not in any cluster (run `leadflow resolve` first)")
            golden_id = found
        person = golden_person(connection, golden_id=golden_id)
        if person is None:
            raise InputError(f"no golden record {identifier!r}: give a gp_... id or a source row id")
        rows = cluster_rows(connection, golden_id=golden_id)
        crm_rows = crm_cluster_rows(connection, golden_id=golden_id)
    name = " ".join(part for part in (person["first_name"], person["last_name"]) if part)
    context.console.print(f"[bold]{golden_id}[/] {name} <{person['email'] or '-'}> {person['company_name'] or ''}")
    if person["crm_id"]:
        context.console.print(f"matches Zoho {person['crm_module']} {person['crm_id']}")
    title = f"{len(rows)} source rows" + (f", {len(crm_rows)} Zoho records" if crm_rows else "")
    table = Table(title=title)
    for column in (
        "row id",
        "file",
        "row",
        "joined by",
        "with row",
        "match weight",
        "evidence (weight per comparison)",
    ):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row["source_record_id"]), row["file_name"], str(row["row_number"]), *_why(row))
    for row in crm_rows:
        table.add_row(row["crm_id"], f"Zoho {row['crm_module']}", "", *_why(row))
    context.console.print(table)
    sources = sorted({f"{s.get('file_name') or s.get('crm_module')}" for s in provenance_sources(person["provenance"])})
    context.console.print(f"fields taken from: {', '.join(sources)}")


def _why(row: dict[str, Any]) -> tuple[str, str, str, str]:
    """How one member joined: reason, partner (a source row id or a Zoho record), weight, evidence."""
    detail = row["match_detail"] or {}
    evidence = ", ".join(
        f"{name}: {value['level']} ({value['weight']:+.1f})"
        for name, value in detail.items()
        if value.get("level") != "null"
    )
    weight = row["match_weight"]
    reason = row["match_reason"]
    if row["partner_source_record_id"] is not None:
        partner = str(row["partner_source_record_id"])
    elif row["partner_crm_id"]:
        partner = f"Zoho {row['partner_crm_module']} {row['partner_crm_id']}"
    else:
        partner = ""
    return (
        "shared " + reason if reason not in ("splink", "single") else reason,
        partner,
        f"{weight:.2f}" if weight is not None else "",
        evidence,
    )
