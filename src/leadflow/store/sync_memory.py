"""A smaller SQLite page cache while a sync runs.

The store gives each SQLite connection up to 128 MiB of page cache (a resolve writes a million rows through
random-order indexes). A sync reads each page of the store once, in key order, so a large cache only adds
resident memory: during a sync, connections taken from the pool get ``SYNC_CACHE_KIB`` and get the store's
own setting back when they return to the pool. PostgreSQL engines are left as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

SYNC_CACHE_KIB = 16_384
STORE_CACHE_KIB = 131_072  # the store's setting (leadflow.store.db)


@contextmanager
def small_page_cache(engine: Engine, kib: int = SYNC_CACHE_KIB) -> Iterator[None]:
    """Within the block, SQLite connections checked out of ``engine``'s pool use a ``kib`` page cache."""
    if engine.dialect.name != "sqlite":
        yield
        return

    def shrink(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        _cache(dbapi_connection, kib)

    def restore(dbapi_connection: Any, _record: Any) -> None:
        _cache(dbapi_connection, STORE_CACHE_KIB)

    event.listen(engine, "checkout", shrink)
    event.listen(engine, "checkin", restore)
    try:
        yield
    finally:
        event.remove(engine, "checkout", shrink)
        event.remove(engine, "checkin", restore)


def _cache(dbapi_connection: Any, kib: int) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA cache_size=-{int(kib)}")
    finally:
        cursor.close()
