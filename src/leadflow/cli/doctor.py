"""``leadflow doctor``: check configuration, the database and its migrations, in plain words."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

import typer
from rich.markup import escape
from rich.table import Table

from leadflow.cli.context import app_context
from leadflow.cli.hints import command_hint
from leadflow.errors import StoreError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from leadflow.config import Settings


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    blocking: bool = True


def doctor_command(
    ctx: typer.Context,
    migrate: Annotated[
        bool, typer.Option("--migrate", help="Create the database if it does not exist and apply pending migrations.")
    ] = False,
) -> None:
    """Check configuration, database reachability and migrations; say what is wrong.

    The checks only read: without --migrate no database, file or folder is created or changed.
    """
    context = app_context(ctx)
    settings = context.settings  # a broken config raises ConfigError: one line, exit 2
    source = str(context.config_file) if context.runtime.config.in_use else "defaults and environment"
    checks = [Check("configuration", True, f"loaded from {source}")]
    checks += _database_checks(settings, migrate=migrate)
    checks += _credential_checks(settings, _saved_connection(settings))

    table = Table("check", "status", "detail", title="leadflow doctor")
    for check in checks:
        status = "[green]ok[/]" if check.ok else ("[red]problem[/]" if check.blocking else "[yellow]note[/]")
        table.add_row(check.name, status, escape(check.detail))
    context.console.print(table)
    if any(not check.ok and check.blocking for check in checks):
        raise typer.Exit(1)
    context.console.print("[green]healthy[/]")


def _database_checks(settings: Settings, *, migrate: bool) -> list[Check]:
    from sqlalchemy.engine import make_url

    from leadflow.store.db import create_store_engine
    from leadflow.store.migrate import schema_state, upgrade

    missing = _missing_sqlite_file(settings.database_url)
    if missing is not None and not migrate:
        return [
            Check(
                "database",
                False,
                f"{missing} does not exist yet; `{command_hint('doctor --migrate')}` creates it"
                " (as does the first command that uses the store)",
                blocking=False,
            )
        ]
    # --migrate may create and change the database; a plain check only reads it
    engine = create_store_engine(settings.database_url) if migrate else _inspection_engine(settings.database_url)
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    try:
        state = schema_state(engine)
        checks = [Check("database", True, f"reachable: {where}")]
        if not state.up_to_date and migrate:
            state = upgrade(engine)
    except StoreError as exc:
        cause = str(exc.__cause__ or exc).strip().splitlines()[0]
        return [Check("database", False, f"cannot reach the database {where}: {cause}" if not migrate else str(exc))]
    finally:
        engine.dispose()
    if state.up_to_date:
        checks.append(Check("migrations", True, f"at {state.head}"))
    elif state.current is None:
        # A fresh database is healthy: every command migrates it on first use.
        checks.append(Check("migrations", True, f"empty database; first use migrates it to {state.head}"))
    else:
        checks.append(
            Check(
                "migrations",
                False,
                f"at {state.current}, this version needs {state.head}: run `{command_hint('doctor --migrate')}`",
            )
        )
    return checks


def _missing_sqlite_file(database_url: str) -> Path | None:
    """The SQLite file ``database_url`` names when it does not exist yet (None: it exists, or not SQLite)."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database).expanduser()
    return None if path.exists() else path


def _inspection_engine(database_url: str) -> Engine:
    """An engine that cannot change the database: SQLite opened read-only (no file or folder created), any
    other database as it is (the checks only read)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from leadflow.store.db import create_store_engine

    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return create_store_engine(database_url)
    location = "file:" + quote(str(Path(url.database).expanduser().resolve())) + "?mode=ro"
    return create_engine("sqlite://", creator=lambda: sqlite3.connect(location, uri=True), poolclass=NullPool)


def _saved_connection(settings: Settings) -> dict[str, Any] | None:
    """The Zoho connection `leadflow auth zoho` saved in the store, if the store has one."""
    from sqlalchemy.exc import SQLAlchemyError

    from leadflow.store.zoho import get_connection

    if _missing_sqlite_file(settings.database_url) is not None:
        return None
    engine = _inspection_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            return get_connection(connection)
    except SQLAlchemyError:  # unreachable or not migrated yet: the database checks say so
        return None
    finally:
        engine.dispose()


def _credential_checks(settings: Settings, saved: dict[str, Any] | None = None) -> list[Check]:
    zoho = settings.zoho
    if zoho.auth == "oauth":
        missing = [
            name
            for name, value in (
                ("client_id", zoho.client_id),
                ("client_secret", zoho.client_secret),
                ("refresh_token", zoho.refresh_token),
            )
            if not value
        ]
        if "refresh_token" in missing and saved is not None:
            # build_auth reads the saved connection for what settings leave out (leadflow.zoho.client)
            if not (settings.secret_key and settings.secret_key.get_secret_value()):
                return [
                    Check(
                        "zoho",
                        False,
                        "a connection saved by `leadflow auth zoho` exists; "
                        "set LEADFLOW_SECRET_KEY (the key it was saved with) to use it",
                        blocking=False,
                    )
                ]
            return [
                Check(
                    "zoho",
                    True,
                    f"oauth through the connection saved by `leadflow auth zoho` (client {saved['client_id']}, "
                    f"data centre {saved['data_centre']})",
                )
            ]
        detail = (
            f"oauth, data centre {zoho.data_centre}"
            if not missing
            else "not connected yet (missing " + ", ".join(missing) + "); the demo needs none"
        )
        return [Check("zoho", not missing, detail, blocking=False)]
    if zoho.auth == "token" and not zoho.access_token:
        return [Check("zoho", False, "auth = token but no access_token is set", blocking=False)]
    if zoho.auth == "proxy" and not zoho.api_base_url:
        return [Check("zoho", False, "auth = proxy needs api_base_url ending in crm/v2/ or crm/v8/")]
    return [Check("zoho", True, f"{zoho.auth} mode")]
