"""``leadflow auth ghl``: install leadflow's marketplace app on a sub-account (or agency) once; tokens saved."""

from __future__ import annotations

import webbrowser
from typing import Annotated

import typer

from leadflow.cli.context import app_context
from leadflow.errors import ConfigError


def ghl_command(
    ctx: typer.Context,
    code: Annotated[str | None, typer.Option(help="An authorization code you already have.")] = None,
    redirect_uri: Annotated[
        str | None,
        typer.Option(help="Redirect URI registered for the app (default http://127.0.0.1:8766/callback)."),
    ] = None,
    paste: Annotated[bool, typer.Option("--paste", help="Paste the redirected URL instead of listening.")] = False,
    open_browser: Annotated[bool, typer.Option("--open/--no-open", help="Open the consent page.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the redirect.")] = 300.0,
) -> None:
    """Connect to GoHighLevel with OAuth ([ghl] auth = oauth): consent page, code, tokens saved.

    A Private Integration Token needs none of this: set [ghl] auth = "pit" and LEADFLOW_GHL_TOKEN.
    """
    import httpx

    from leadflow.ghl.auth import OAuthAuth
    from leadflow.ghl.client import build_auth
    from leadflow.ghl.consent import DEFAULT_REDIRECT_URI, DEFAULT_SCOPES, consent_url, exchange_and_save
    from leadflow.store.secrets import SecretBox
    from leadflow.zoho.consent import RedirectListener, new_state, parse_grant

    context = app_context(ctx)
    settings = context.settings
    gs = settings.ghl
    if gs.auth != "oauth":
        raise ConfigError('[ghl] auth is "pit": a Private Integration Token needs no `leadflow auth ghl`')
    box = SecretBox.required(settings.secret_key, purpose="save the GoHighLevel tokens encrypted", owner="ghl")
    secret = gs.client_secret.get_secret_value() if gs.client_secret else ""
    redirect = redirect_uri or DEFAULT_REDIRECT_URI
    with httpx.Client(timeout=30.0) as http:
        auth = build_auth(gs, engine=context.engine, http=http, box=box)
        assert isinstance(auth, OAuthAuth)
        used_redirect: str | None = None
        if code:
            grant_code = code.strip()
        else:
            state = new_state()
            if paste:
                used_redirect = redirect
                _show(consent_url(client_id=gs.client_id, redirect_uri=redirect, scopes=DEFAULT_SCOPES), open_browser)
                grant_code = parse_grant(typer.prompt("Paste the address GoHighLevel redirected to (or the code)")).code
            else:
                with RedirectListener(redirect, expected_state=state) as listener:
                    used_redirect = listener.redirect_uri
                    url = consent_url(
                        client_id=gs.client_id, redirect_uri=listener.redirect_uri, scopes=DEFAULT_SCOPES, state=state
                    )
                    _show(url, open_browser)
                    context.console.print(f"waiting for the redirect on {listener.redirect_uri} ...")
                    grant_code = listener.wait(timeout).code
        grant = exchange_and_save(http, auth, code=grant_code, client_secret=secret, redirect_uri=used_redirect)
    where = f"location {grant.location_id}" if grant.location_id else f"agency {grant.company_id}"
    context.console.print(
        f"[green]connected[/]: {where} ({grant.user_type} token); tokens saved encrypted in the store."
        " Next: [bold]leadflow ghl whoami[/]",
        highlight=False,
    )


def _show(url: str, open_browser: bool) -> None:
    typer.echo("Open this page, pick the sub-account and install the app:")
    typer.echo(url)
    if open_browser:
        webbrowser.open(url)
