"""``leadflow auth zoho``: connect leadflow to a Zoho org once; the refresh token is saved encrypted."""

from __future__ import annotations

import webbrowser
from typing import Annotated

import typer
from rich.markup import escape

from leadflow.cli.context import app_context
from leadflow.cli.hints import command_hint
from leadflow.errors import ConfigError

auth_app = typer.Typer(help="Connect leadflow to the services it talks to.", no_args_is_help=True)


@auth_app.command("zoho")
def zoho_command(
    ctx: typer.Context,
    client_id: Annotated[str | None, typer.Option(help="OAuth client id (default: [zoho] client_id).")] = None,
    client_secret: Annotated[
        str | None, typer.Option(help="OAuth client secret (default: LEADFLOW_ZOHO_CLIENT_SECRET).")
    ] = None,
    data_centre: Annotated[
        str | None, typer.Option(help="us, eu, in, au, jp, ca, cn or sa (default: [zoho] data_centre).")
    ] = None,
    accounts_url: Annotated[str | None, typer.Option(help="Accounts server override (an emulator).")] = None,
    scopes: Annotated[
        str | None,
        typer.Option(help="Comma-separated OAuth scopes (default: CRM modules, settings, users, org, COQL, bulk)."),
    ] = None,
    redirect_uri: Annotated[
        str | None,
        typer.Option(
            help="Redirect URI registered for the client (default http://127.0.0.1:8765/callback);"
            " a 127.0.0.1 one gets a local listener."
        ),
    ] = None,
    code: Annotated[
        str | None, typer.Option(help="A grant code you already have (a Self Client code, valid 3 minutes).")
    ] = None,
    paste: Annotated[bool, typer.Option("--paste", help="Paste the redirected URL instead of listening.")] = False,
    open_browser: Annotated[bool, typer.Option("--open/--no-open", help="Open the consent page.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the redirect.")] = 300.0,
) -> None:
    """Print the consent URL, take the grant code (local listener, pasted, or --code), exchange it, save it.

    Non-interactive: `leadflow auth zoho --code 1000.xxx` with LEADFLOW_ZOHO_CLIENT_ID/SECRET set.
    """
    import httpx

    from leadflow.zoho.consent import (
        DEFAULT_REDIRECT_URI,
        DEFAULT_SCOPES,
        RedirectListener,
        consent_url,
        exchange_and_save,
        new_state,
        parse_grant,
    )
    from leadflow.zoho.datacentres import DATA_CENTRES
    from leadflow.zoho.secrets import SecretBox

    context = app_context(ctx)
    settings = context.settings
    zs = settings.zoho
    box = SecretBox.required(settings.secret_key, purpose="save the Zoho refresh token encrypted")
    client_id = client_id or zs.client_id
    secret = client_secret or (zs.client_secret.get_secret_value() if zs.client_secret else "")
    centre = data_centre or zs.data_centre
    if centre not in DATA_CENTRES:
        raise ConfigError(f"unknown data centre {centre!r}: use one of {', '.join(DATA_CENTRES)}")
    accounts = (accounts_url or zs.accounts_url or DATA_CENTRES[centre].accounts_url).rstrip("/")
    scope_list = [s.strip() for s in scopes.split(",") if s.strip()] if scopes else list(DEFAULT_SCOPES)
    redirect_uri = redirect_uri or DEFAULT_REDIRECT_URI
    if not client_id:
        raise ConfigError("no client id: pass --client-id or set LEADFLOW_ZOHO_CLIENT_ID (Zoho API console)")
    used_redirect: str | None = None
    if code:
        grant = parse_grant(code)
    else:
        state = new_state()
        if paste:
            used_redirect = redirect_uri
            url = consent_url(accounts, client_id=client_id, redirect_uri=redirect_uri, scopes=scope_list, state=state)
            _show(context.console, url, open_browser)
            grant = parse_grant(typer.prompt("Paste the address Zoho redirected to (or the code)"))
        else:
            with RedirectListener(redirect_uri, expected_state=state) as listener:
                used_redirect = listener.redirect_uri
                url = consent_url(
                    accounts, client_id=client_id, redirect_uri=listener.redirect_uri, scopes=scope_list, state=state
                )
                _show(context.console, url, open_browser)
                context.console.print(f"waiting for the redirect on {listener.redirect_uri} ...")
                grant = listener.wait(timeout)
    with httpx.Client(timeout=30.0) as http:
        saved, _ = exchange_and_save(
            http=http,
            engine=context.engine,
            box=box,
            grant=grant,
            client_id=client_id,
            client_secret=secret,
            data_centre=centre,
            accounts_url=accounts,
            redirect_uri=used_redirect,
            scopes=scope_list,
        )
    context.console.print(
        f"[green]connected[/]: data centre {saved.data_centre}, accounts {saved.accounts_url},"
        f" API {saved.api_domain or DATA_CENTRES[saved.data_centre].api_url}; refresh token saved encrypted in the"
        f" store. Next: [bold]{escape(command_hint('zoho whoami'))}[/]",
        highlight=False,
    )


def _show(console: object, url: str, open_browser: bool) -> None:
    typer.echo("Open this page, sign in as a Zoho CRM admin and accept:")
    typer.echo(url)
    if open_browser:
        webbrowser.open(url)
