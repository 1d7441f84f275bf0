"""``leadflow demo``: the whole path on local emulators, no network, no credentials."""

from __future__ import annotations

from typing import Annotated

import typer

from leadflow.cli.context import app_context
from leadflow.pipeline.stages import available_stages
from leadflow.store.db import describe


def demo_command(
    ctx: typer.Context,
    workdir: Annotated[
        str, typer.Option("--workdir", help="Folder for the demo's database and files.")
    ] = ".leadflow-demo",
) -> None:
    """Run leadflow end to end on the embedded emulators."""
    context = app_context(ctx)
    from pathlib import Path

    folder = Path(workdir)
    folder.mkdir(parents=True, exist_ok=True)
    context._settings = context.settings.model_copy(update={"database_url": f"sqlite:///{folder / 'leadflow.db'}"})
    engine = context.engine
    context.console.print(f"store ready: {describe(engine)}")
    context.console.print("pipeline stages available:")
    for stage in available_stages():
        context.console.print(f"  - {stage.name}: {stage.summary}")
