"""``leadflow init``: write a commented leadflow.toml with every setting at its default."""

from __future__ import annotations

from typing import Annotated

import typer

from leadflow.cli.context import app_context
from leadflow.errors import InputError


def init_command(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented leadflow.toml holding every setting and its default."""
    from leadflow.config import render_default_config

    context = app_context(ctx)
    target = context.config_file
    if target.exists() and not force:
        raise InputError(f"{target} already exists; use --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_default_config(), encoding="utf-8")
    context.console.print(f"wrote {target}; next: [bold]leadflow doctor[/]")
