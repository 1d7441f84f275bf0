from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from leadflow.store import open_store
from leadflow.store.db import create_store_engine
from leadflow.store.migrate import alembic_config, head_revision, schema_state, upgrade
from leadflow.store.schema import metadata


def test_migrations_apply_from_empty(database_url: str) -> None:
    engine = create_store_engine(database_url)
    assert schema_state(engine).current is None
    state = upgrade(engine)
    assert state.up_to_date
    assert state.current == head_revision()
    tables = set(sa.inspect(engine).get_table_names())
    assert {"runs", "source_records", "quarantine", "kv", "alembic_version"} <= tables
    engine.dispose()


def test_schema_matches_the_tables_in_code(database_url: str) -> None:
    engine = open_store(database_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    assert diff == []
    engine.dispose()


def test_open_store_is_idempotent(database_url: str) -> None:
    first = open_store(database_url)
    first.dispose()
    second = open_store(database_url)
    assert schema_state(second).up_to_date
    second.dispose()


def test_downgrade_to_base_and_back(database_url: str) -> None:
    from alembic import command

    engine = open_store(database_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert "runs" not in sa.inspect(engine).get_table_names()
    assert upgrade(engine).up_to_date
    engine.dispose()


def test_sqlite_runs_in_wal_with_foreign_keys(sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
