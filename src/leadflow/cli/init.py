"""``leadflow init``: write a commented leadflow.toml with every setting at its default."""

from __future__ import annotations

import shlex
from typing import Annotated

import typer
from rich.markup import escape

from leadflow.cli.context import app_context
from leadflow.cli.hints import command_hint
from leadflow.errors import InputError


def init_command(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented leadflow.toml holding every setting and its default."""
    from leadflow.config import render_default_config

    context = app_context(ctx)
    target = context.config_file
    if target.is_dir():
        raise InputError(f"{target} is a directory; name the file to write with --config")
    if target.exists() and not force:
        raise InputError(f"{target} already exists; use --force to overwrite it")
    if not target.parent.is_dir():
        raise InputError(f"cannot write {target}: folder {target.parent} does not exist")
    try:
        target.write_text(render_default_config(), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from None
    doctor = (
        f"--config {shlex.quote(str(target))} doctor" if context.runtime.config.named_by == "--config" else "doctor"
    )
    context.console.print(f"wrote {target}; next: [bold]{escape(command_hint(doctor))}[/]", highlight=False)
