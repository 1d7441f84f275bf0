"""What every command shares: the process's runtime (config file, settings, store) and the console."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from leadflow.runtime import Runtime

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from leadflow.config import Settings


@dataclass
class AppContext:
    runtime: Runtime = field(default_factory=Runtime)
    console: Console = field(default_factory=Console)

    @property
    def config_file(self) -> Path:
        return self.runtime.config.path

    @property
    def settings(self) -> Settings:
        """Loaded on first use: a broken or missing config file stops the command with one line (exit 2)."""
        return self.runtime.settings

    @property
    def engine(self) -> Engine:
        """The store, migrated on first use."""
        return self.runtime.engine


def app_context(ctx: typer.Context) -> AppContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, AppContext):
        obj = AppContext()
        ctx.find_root().obj = obj
    return obj
