"""Named locks across processes sharing one store: two runs of a stage (or two migrations) take turns.

On PostgreSQL a session advisory lock keyed by the schema and the name; on a SQLite file an exclusive
``flock`` on a file beside the database (``leadflow.db-ingest.lock``): both are released by the operating
system or the server when the holder dies, so a crashed run never leaves a lock behind. An in-memory SQLite
database lives in one process and needs none.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from leadflow.errors import StoreError

_PG_KEY = "hashtextextended('leadflow:' || current_schema() || ':' || :name, 0)"


@contextmanager
def store_lock(engine: Engine, name: str, *, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the store-wide lock ``name`` for the block, waiting for its holder if another process has it.

    ``on_wait`` is called once, before waiting, when the lock is taken (so a command can say why it pauses).

    Example:
        >>> with store_lock(engine, "ingest", on_wait=lambda: print("waiting")):  # doctest: +SKIP
        ...     ingest_files(...)
    """
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, name, on_wait):
            yield
        return
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    with _file_lock(Path(f"{Path(database).expanduser()}-{name}.lock"), on_wait):
        yield


@contextmanager
def _advisory_lock(engine: Engine, name: str, on_wait: Callable[[], None] | None) -> Iterator[None]:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        taken = connection.execute(text(f"SELECT pg_try_advisory_lock({_PG_KEY})"), {"name": name}).scalar()
        if not taken:
            if on_wait is not None:
                on_wait()
            connection.execute(text(f"SELECT pg_advisory_lock({_PG_KEY})"), {"name": name})
        try:
            yield
        finally:
            connection.execute(text(f"SELECT pg_advisory_unlock({_PG_KEY})"), {"name": name})


@contextmanager
def _file_lock(path: Path, on_wait: Callable[[], None] | None) -> Iterator[None]:
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(f"cannot create the lock file {path}: {exc.strerror or exc}") from exc
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock
