"""``leadflow zoho ...``: look at the connected Zoho org (whoami, COQL, fields)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from leadflow.cli.context import app_context
from leadflow.cli.zoho_watch import watch_app

if TYPE_CHECKING:
    from leadflow.zoho import ZohoClient

zoho_app = typer.Typer(help="Look at the connected Zoho CRM org.", no_args_is_help=True)
zoho_app.add_typer(watch_app, name="watch")


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    jsonl = "jsonl"


def _client(ctx: typer.Context) -> ZohoClient:
    from leadflow.zoho import ZohoClient

    context = app_context(ctx)
    return ZohoClient.from_settings(context.settings, context.engine)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return str(value.get("name") or value.get("id") or json.dumps(value))
    if isinstance(value, list):
        return ";".join(_cell(v) for v in value)
    return str(value)


@zoho_app.command("whoami")
def whoami_command(ctx: typer.Context) -> None:
    """The org, the user, the data centre and the API credits left."""
    from leadflow.zoho.datacentres import data_centre_of

    context = app_context(ctx)
    with _client(ctx) as zoho:
        org = zoho.org.get()
        user = zoho.users.current()
        credits = zoho.credits
        table = Table("", "", title="Zoho CRM", show_header=False)
        table.add_row("org", f"{org.get('company_name', '')} (id {org.get('id', '')}, zgid {org.get('zgid', '')})")
        table.add_row("user", f"{user.get('full_name', '')} <{user.get('email', '')}>")
        from_host = data_centre_of(zoho.api.root())
        centre = from_host or f"{zoho.data_centre or '-'} (configured; the API host is not a Zoho host)"
        table.add_row("data centre", centre)
        table.add_row("API", f"{zoho.api.root()}/crm/{zoho.api.version} ({context.settings.zoho.auth} auth)")
        server = f"; Zoho reports {credits.server_remaining} left" if credits.server_remaining is not None else ""
        table.add_row(
            "credits",
            f"{credits.remaining} of {credits.budget} left (spent {credits.spent} in 24 h by leadflow{server})",
        )
        context.console.print(table)


@zoho_app.command("coql")
def coql_command(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help='A COQL query, e.g. "select Email from Leads where Email is not null"')],
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="table, csv or jsonl")] = OutputFormat.table,
) -> None:
    """Run a COQL query; pages past 2,000 rows by itself."""
    context = app_context(ctx)
    with _client(ctx) as zoho:
        rows = zoho.coql(query)
        if output is OutputFormat.jsonl:
            for row in rows:
                sys.stdout.write(json.dumps(row, default=str) + "\n")
            return
        first = next(rows, None)
        if first is None:
            context.console.print("no rows")
            return
        columns = list(first.keys())
        if output is OutputFormat.csv:
            writer = csv.writer(sys.stdout)
            writer.writerow(columns)
            for row in _chain(first, rows):
                writer.writerow([_cell(row.get(c)) for c in columns])
            return
        table = Table(*columns)
        count = 0
        for row in _chain(first, rows):
            table.add_row(*[_cell(row.get(c)) for c in columns])
            count += 1
        context.console.print(table)
        context.console.print(f"{count} rows")


def _chain(first: dict[str, Any], rest: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    yield first
    yield from rest


@zoho_app.command("fields")
def fields_command(
    ctx: typer.Context,
    module: Annotated[str, typer.Argument(help="Module API name, e.g. Leads")],
) -> None:
    """The fields of a module: API name, label, type, length, unique, mandatory, custom."""
    from leadflow.errors import InputError, NotFound

    context = app_context(ctx)
    with _client(ctx) as zoho:
        try:
            fields = zoho.metadata.fields(module)
        except NotFound as exc:
            if exc.vendor_code != "INVALID_MODULE":
                raise
            names = [str(m["api_name"]) for m in zoho.metadata.modules() if m.get("api_name")]
            raise InputError(
                f"Zoho has no module {module!r} in this org (API names are case-sensitive);"
                f" its modules are {', '.join(names)}"
            ) from exc
        table = Table("api_name", "label", "type", "length", "unique", "mandatory", "custom", title=module)
        for field in fields:
            unique = field.get("unique")
            table.add_row(
                str(field.get("api_name", "")),
                str(field.get("field_label") or field.get("display_label") or ""),
                str(field.get("data_type", "")),
                str(field.get("length") or ""),
                "yes" if unique not in (None, False, {}) else "",
                "yes" if field.get("system_mandatory") else "",
                "yes" if field.get("custom_field") else "",
            )
        context.console.print(table)
