"""``leadflow zoho watch enable|status|disable``: Zoho's instant-notification channels for this org."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from leadflow.cli.context import app_context

watch_app = typer.Typer(
    help="Zoho instant notifications (actions/watch): enable, status, disable.", no_args_is_help=True
)

DEFAULT_EVENTS = ["Leads.all", "Contacts.all", "Deals.all"]


@watch_app.command("enable")
def enable_command(
    ctx: typer.Context,
    notify_url: Annotated[str, typer.Option("--url", help="Where Zoho POSTs each notification")],
    channel_id: Annotated[str, typer.Option("--channel-id", help="A number naming the channel")] = "1000000068001",
    events: Annotated[
        list[str] | None,
        typer.Option("--event", "-e", help="Module.create|edit|delete|all (repeat); default Leads, Contacts, Deals"),
    ] = None,
    token: Annotated[
        str | None, typer.Option("--token", help="Sent back in every notification (max 50 characters)")
    ] = None,
    with_values: Annotated[
        bool, typer.Option("--with-values", help="Ask Zoho to send the changed fields' new values")
    ] = False,
) -> None:
    """Enable a channel for one day (Zoho's maximum); run it again, or `status --renew`, to keep it alive."""
    from leadflow.cli.zoho import _client

    context = app_context(ctx)
    with _client(ctx) as zoho:
        channel = zoho.watch.enable(
            channel_id,
            events or DEFAULT_EVENTS,
            notify_url,
            token=token,
            return_affected_field_values=with_values,
        )
        expiry = channel.expiry.isoformat() if channel.expiry else "unknown"
        context.console.print(
            f"channel {channel.channel_id} watches {', '.join(channel.events)} -> {channel.notify_url} until {expiry}"
        )


@watch_app.command("status")
def status_command(
    ctx: typer.Context,
    renew: Annotated[bool, typer.Option("--renew", help="Renew every channel that expires within two hours")] = False,
) -> None:
    """The org's live channels: events, URL and time left; `--renew` extends those about to expire."""
    from leadflow.cli.zoho import _client
    from leadflow.store.runs import utcnow

    context = app_context(ctx)
    with _client(ctx) as zoho:
        channels = zoho.watch.channels()
        if renew:
            channels = [zoho.watch.renew_if_due(channel.channel_id) or channel for channel in channels]
        if not channels:
            context.console.print("no watch channels (enable one with `leadflow zoho watch enable --url ...`)")
            return
        table = Table("channel", "events", "notify url", "expires", "left", title="Zoho watch channels")
        now = utcnow()
        for channel in channels:
            left = channel.expiry - now if channel.expiry else None
            table.add_row(
                channel.channel_id,
                ", ".join(channel.events),
                channel.notify_url,
                channel.expiry.isoformat() if channel.expiry else "",
                str(max(left, timedelta(0))).split(".")[0] if left is not None else "",
            )
        context.console.print(table)


@watch_app.command("disable")
def disable_command(
    ctx: typer.Context,
    channel_ids: Annotated[list[str], typer.Argument(help="Channel ids to end")],
) -> None:
    """End channels now (Zoho refuses the call, and ends none, when one id is unknown)."""
    from leadflow.cli.zoho import _client

    context = app_context(ctx)
    with _client(ctx) as zoho:
        zoho.watch.disable(channel_ids)
        context.console.print(f"disabled {', '.join(channel_ids)}")
