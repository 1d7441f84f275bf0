"""What every command shares: the config path, lazily loaded settings, the store and the console."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from leadflow.config import Settings


@dataclass
class AppContext:
    config_file: Path
    log_level: str | None = None
    log_json: bool = False
    console: Console = field(default_factory=Console)
    _settings: Settings | None = None
    _engine: Engine | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from leadflow.config import load_settings
            from leadflow.log import configure_logging, redactor

            self._settings = load_settings(self.config_file)
            redactor.register(
                self._settings.secret_key,
                self._settings.zoho.client_secret,
                self._settings.zoho.refresh_token,
                self._settings.zoho.access_token,
                self._settings.ghl.token,
                self._settings.ghl.client_secret,
            )
            logging = self._settings.logging
            configure_logging(
                level=self.log_level or logging.level,
                json_output=True if self.log_json else logging.json_output,
            )
        return self._settings

    @property
    def engine(self) -> Engine:
        """The store, migrated on first use."""
        if self._engine is None:
            from leadflow.store import open_store

            self._engine = open_store(self.settings.database_url)
        return self._engine


def app_context(ctx: typer.Context) -> AppContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, AppContext):
        from leadflow.config import config_path

        obj = AppContext(config_file=config_path())
        ctx.find_root().obj = obj
    return obj
