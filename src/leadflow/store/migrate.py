"""Apply and inspect Alembic migrations from code (no alembic.ini needed)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from leadflow.errors import StoreError
from leadflow.store.db import describe
from leadflow.store.locks import store_lock

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands against the migrations this version ships."""

    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations folder has no head revision"
    return head


def schema_state(engine: Engine) -> SchemaState:
    """Read the applied revision; raises :class:`StoreError` when the database is unreachable."""
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot reach the database {describe(engine)}: {_first_line(exc)}") from exc
    return SchemaState(current=current, head=head_revision())


def upgrade(engine: Engine, revision: str = "head") -> SchemaState:
    """Bring the schema to ``revision`` (the newest by default) in one transaction.

    Processes migrating one store take turns (a store lock): the second finds the schema already there.
    """
    config = alembic_config()
    try:
        with store_lock(engine, "migrate"), engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except SQLAlchemyError as exc:
        raise StoreError(f"migrating {describe(engine)} failed: {_first_line(exc)}") from exc
    return schema_state(engine)


def ensure_schema(engine: Engine) -> SchemaState:
    """Migrate when behind (first use included); a no-op when already at head."""
    state = schema_state(engine)
    if state.up_to_date:
        return state
    return upgrade(engine)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
