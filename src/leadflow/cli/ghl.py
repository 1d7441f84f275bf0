"""``leadflow ghl ...``: look at the GoHighLevel sub-account leadflow is connected to."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from leadflow.cli.context import app_context

if TYPE_CHECKING:
    from leadflow.ghl import GhlClient

ghl_app = typer.Typer(help="Look at the GoHighLevel sub-account.", no_args_is_help=True)
contacts_app = typer.Typer(help="Contacts of the sub-account.", no_args_is_help=True)
ghl_app.add_typer(contacts_app, name="contacts")


def _client(ctx: typer.Context) -> GhlClient:
    from leadflow.ghl import GhlClient

    context = app_context(ctx)
    return GhlClient.from_settings(context.settings, context.engine)


@ghl_app.command("whoami")
def whoami_command(ctx: typer.Context) -> None:
    """The location, its duplicate rule, and the requests left today (GHL's count and leadflow's budget)."""
    console = app_context(ctx).console
    with _client(ctx) as ghl:
        location = ghl.location.get()
        usage = ghl.usage
        settings = location.get("settings") or {}
        console.print(f"location     {location.get('name', '?')} ({location.get('id', ghl.api.location_id)})")
        console.print(f"auth         {ghl.auth.mode}")
        console.print(
            f"duplicates   contacts {'allowed' if settings.get('allowDuplicateContact') else 'refused'},"
            f" opportunities {'allowed' if settings.get('allowDuplicateOpportunity') else 'refused'}"
        )
        server = f"{usage.server_daily_remaining:,}" if usage.server_daily_remaining is not None else "unknown"
        console.print(
            f"requests     {usage.requests:,} of {usage.budget:,} used in 24 h (leadflow's budget);"
            f" GHL says {server} left today"
        )


@ghl_app.command("fields")
def fields_command(ctx: typer.Context) -> None:
    """Custom fields of contacts: name, key, type and id (leadflow's own start with 'Leadflow')."""
    console = app_context(ctx).console
    with _client(ctx) as ghl:
        table = Table("name", "key", "type", "id")
        for item in ghl.fields.definitions(model="contact"):
            table.add_row(str(item.get("name")), str(item.get("fieldKey")), str(item.get("dataType")), str(item["id"]))
        console.print(table)


@contacts_app.command("search")
def contacts_search_command(
    ctx: typer.Context,
    query: Annotated[str | None, typer.Argument(help="Free text (name, email, phone).")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Only contacts with this tag (repeatable).")] = None,
    email: Annotated[str | None, typer.Option(help="Exact email.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line instead of a table.")] = False,
) -> None:
    """Search contacts with GHL's advanced search (paged by searchAfter)."""
    console = app_context(ctx).console
    filters: list[dict[str, object]] = []
    if tag:
        filters.append({"field": "tags", "operator": "eq", "value": list(tag)})
    if email:
        filters.append({"field": "email", "operator": "eq", "value": email})
    table = Table("id", "name", "email", "phone", "tags")
    shown = 0
    with _client(ctx) as ghl:
        for contact in ghl.contacts.search(filters=filters, query=query, page_limit=min(limit, 500)):
            if as_json:
                typer.echo(json.dumps(contact, ensure_ascii=False, sort_keys=True))
            else:
                name = " ".join(str(contact.get(k) or "") for k in ("firstName", "lastName")).strip()
                table.add_row(
                    str(contact.get("id")),
                    name,
                    str(contact.get("email") or ""),
                    str(contact.get("phone") or ""),
                    ", ".join(contact.get("tags") or []),
                )
            shown += 1
            if shown >= limit:
                break
    if not as_json:
        console.print(table)
        console.print(f"{shown:,} shown")
