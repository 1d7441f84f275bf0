"""Engines for SQLite and PostgreSQL, set up the way the store needs them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from leadflow.errors import StoreError


def create_store_engine(database_url: str, *, echo: bool = False) -> Engine:
    """An engine for the store: SQLite gets WAL, foreign keys and a busy timeout.

    Example:
        >>> engine = create_store_engine("sqlite://")
        >>> engine.dialect.name
        'sqlite'
    """
    url = make_url(database_url)
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(url, **kwargs)
    except (SQLAlchemyError, ImportError) as exc:
        raise StoreError(f"cannot open database {url.render_as_string(hide_password=True)}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Up to 128 MiB of page cache per connection (taken only as used): a resolve writes a million golden rows
    # whose secondary indexes (email, company) take inserts in random order; with SQLite's 2 MiB default
    # nearly every one of them misses the cache.
    cursor.execute("PRAGMA cache_size=-131072")
    cursor.close()


def describe(engine: Engine) -> str:
    """The engine's URL with any password hidden, for messages."""
    return engine.url.render_as_string(hide_password=True)


@contextmanager
def store_errors(engine: Engine, doing: str) -> Iterator[None]:
    """Turn a database failure inside the block into a one-line :class:`StoreError` saying what was being done.

    Example:
        >>> with store_errors(engine, "storing the ingested rows"):  # doctest: +SKIP
        ...     write()
    """
    try:
        yield
    except SQLAlchemyError as exc:
        text = str(getattr(exc, "orig", None) or exc).strip()
        reason = text.splitlines()[0] if text else type(exc).__name__
        raise StoreError(f"{doing} failed in {describe(engine)}: {reason}") from exc
