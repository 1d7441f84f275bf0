"""The state store: SQLAlchemy 2 tables, Alembic migrations and repository functions.

SQLite (one file, WAL) by default, PostgreSQL for production. Every stage of the pipeline reads its
input from here and writes its output here.
"""

from sqlalchemy import Engine

from leadflow.store.db import create_store_engine
from leadflow.store.migrate import ensure_schema


def open_store(database_url: str) -> Engine:
    """Open the store and migrate it to this version's schema if it is behind (first use included).

    Example:
        >>> engine = open_store("sqlite://")
        >>> engine.dialect.name
        'sqlite'
    """
    engine = create_store_engine(database_url)
    ensure_schema(engine)
    return engine


__all__ = ["create_store_engine", "ensure_schema", "open_store"]
