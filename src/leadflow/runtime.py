"""The composition root: what every leadflow process sets up before it does its work, in one place for the
command line and the web app alike.

In order: find the config file (and refuse one that was named but cannot be read), load the settings, register
their secrets with the log redactor, set up logging (the command line's ``--log-level`` / ``--log-json`` win
over the file's ``[logging]``), and open the store on first use. Nothing here runs at import time.

Example:
    >>> runtime = Runtime(ConfigFile.find(), LogOptions(level="error"))  # doctest: +SKIP
    >>> with runtime.engine.connect() as connection:  # doctest: +SKIP
    ...     ...
    >>> runtime.close()  # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from leadflow.config import CONFIG_ENV_VAR, DEFAULT_CONFIG_FILE, Settings, load_settings
from leadflow.errors import ConfigError
from leadflow.log import configure_logging, get_logger, redactor

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass(frozen=True)
class ConfigFile:
    """The config file in use and what named it: ``--config``, ``$LEADFLOW_CONFIG``, or nothing (the default
    ``./leadflow.toml``, which may be absent: settings then come from defaults and the environment)."""

    path: Path
    named_by: str | None = None

    @classmethod
    def find(cls, explicit: str | os.PathLike[str] | None = None) -> ConfigFile:
        """The file ``--config`` names, else ``$LEADFLOW_CONFIG``, else ``./leadflow.toml``.

        Example:
            >>> ConfigFile.find("team.toml")
            ConfigFile(path=PosixPath('team.toml'), named_by='--config')
        """
        if explicit is not None:
            return cls(Path(explicit), "--config")
        from_env = os.environ.get(CONFIG_ENV_VAR)
        if from_env:
            return cls(Path(from_env), f"${CONFIG_ENV_VAR}")
        return cls(Path(DEFAULT_CONFIG_FILE))

    def check(self) -> None:
        """Raise :class:`ConfigError` (one line naming the file) unless settings can be read from it.

        A named file must exist; any file that exists must be a readable UTF-8 file, not a folder.
        """
        path, by = self.path, f" (named by {self.named_by})" if self.named_by else ""
        if not path.exists():
            if self.named_by is None:
                return
            raise ConfigError(
                f"config file {path} does not exist{by}; `leadflow --config {path} init` writes one with every default"
            )
        if path.is_dir():
            raise ConfigError(f"config file {path} is a directory, not a file{by}")
        try:
            path.read_bytes().decode("utf-8")
        except OSError as exc:
            raise ConfigError(f"config file {path} cannot be read{by}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"config file {path} is not UTF-8 text{by}; is it a TOML file?") from None

    @property
    def in_use(self) -> bool:
        """Whether settings are read from this file (False: defaults and the environment only)."""
        return self.path.is_file()


@dataclass(frozen=True)
class LogOptions:
    """The command line's logging flags; ``None`` leaves the choice to ``[logging]`` in the settings."""

    level: str | None = None
    json_output: bool | None = None


def load(config: ConfigFile, logs: LogOptions | None = None) -> Settings:
    """Settings from ``config`` and the environment, with secrets registered and logging set up.

    Raises :class:`ConfigError` with one line naming the file, key and reason.
    """
    config.check()
    settings = load_settings(config.path)
    start(settings, logs)
    get_logger(__name__).debug(
        "settings loaded",
        config=str(config.path) if config.in_use else "defaults and environment",
        database=_without_password(settings.database_url),
    )
    return settings


def _without_password(database_url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def start(settings: Settings, logs: LogOptions | None = None) -> None:
    """Register ``settings``' secrets with the log redactor, then set up logging (``logs`` win over the file)."""
    register_secrets(settings)
    logs = logs or LogOptions()
    configure_logging(
        level=logs.level or settings.logging.level,
        json_output=logs.json_output if logs.json_output is not None else settings.logging.json_output,
    )


def register_secrets(settings: Settings) -> None:
    """Every secret the settings hold is replaced by ``[REDACTED]`` wherever it would be logged or printed."""
    redactor.register(
        settings.secret_key,
        settings.zoho.client_secret,
        settings.zoho.refresh_token,
        settings.zoho.access_token,
        settings.ghl.token,
        settings.ghl.client_secret,
        settings.tracking.zoho_channel_token,
        settings.tracking.zoho_workflow_secret,
        settings.dashboard.token,
    )


def open_store(settings: Settings) -> Engine:
    """The store of ``settings.database_url``, migrated to this version's schema if it is behind."""
    from leadflow.store import open_store as open_database

    return open_database(settings.database_url)


class Runtime:
    """One process's settings and store, each made on first use and shared by everything the process runs.

    Built from a config file (the command line) or from settings already in hand (the web app, tests).
    """

    def __init__(
        self, config: ConfigFile | None = None, logs: LogOptions | None = None, *, settings: Settings | None = None
    ) -> None:
        self.config = config or ConfigFile.find()
        self.logs = logs or LogOptions()
        self._settings = settings
        self._engine: Engine | None = None
        if settings is not None:
            start(settings, self.logs)

    @classmethod
    def from_settings(cls, settings: Settings, logs: LogOptions | None = None) -> Runtime:
        """A runtime over ``settings`` (secrets registered and logging set up now)."""
        return cls(logs=logs, settings=settings)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load(self.config, self.logs)
        return self._settings

    @property
    def engine(self) -> Engine:
        """The store, migrated on first use."""
        if self._engine is None:
            self._engine = open_store(self.settings)
        return self._engine

    def close(self) -> None:
        """Release the store's connections (a later use opens it again)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def __enter__(self) -> Runtime:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
