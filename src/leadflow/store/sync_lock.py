"""A per-target lock row with an owner and a lease: one sync writes to a target at a time.

Taking the lock is one conditional ``UPDATE`` (free, expired, or held by a dead process on this host), which
both SQLite (one writer at a time) and PostgreSQL (row lock, the ``WHERE`` re-checked after a concurrent
update commits) run atomically, so across processes exactly one caller wins.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from leadflow.store.runs import utcnow
from leadflow.store.schema import sync_locks


@dataclass(frozen=True)
class LockHolder:
    """Who holds a target's lock and until when (their lease)."""

    target: str
    owner: str | None
    acquired_at: datetime | None
    expires_at: datetime | None


def new_owner_id() -> str:
    """``host:pid:random``: unique per holder, and tells whether the holder still runs on this host."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def try_acquire(connection: Connection, *, target: str, owner: str, lease_seconds: float) -> bool:
    """Take ``target``'s lock for ``owner`` if it is free, expired or held by a dead local process.

    Call it in a transaction of its own; True when ``owner`` now holds the lock.
    """
    dialect_insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    connection.execute(dialect_insert(sync_locks).values(target=target).on_conflict_do_nothing())
    now = utcnow()
    free = or_(
        sync_locks.c.owner.is_(None),
        sync_locks.c.expires_at < now,
        sync_locks.c.owner == owner,
    )
    holder = holder_of(connection, target=target)
    if holder.owner is not None and _is_dead_local_owner(holder.owner):
        free = or_(free, sync_locks.c.owner == holder.owner)
    result = connection.execute(
        update(sync_locks)
        .where(and_(sync_locks.c.target == target, free))
        .values(owner=owner, acquired_at=now, expires_at=now + timedelta(seconds=lease_seconds))
    )
    return result.rowcount == 1


def renew(connection: Connection, *, target: str, owner: str, lease_seconds: float) -> bool:
    """Extend the lease; False when ``owner`` no longer holds the lock (it must stop writing)."""
    result = connection.execute(
        update(sync_locks)
        .where(and_(sync_locks.c.target == target, sync_locks.c.owner == owner))
        .values(expires_at=utcnow() + timedelta(seconds=lease_seconds))
    )
    return result.rowcount == 1


def release(connection: Connection, *, target: str, owner: str) -> None:
    connection.execute(
        update(sync_locks)
        .where(and_(sync_locks.c.target == target, sync_locks.c.owner == owner))
        .values(owner=None, acquired_at=None, expires_at=None)
    )


def holder_of(connection: Connection, *, target: str) -> LockHolder:
    row = connection.execute(select(sync_locks).where(sync_locks.c.target == target)).mappings().first()
    if row is None:
        return LockHolder(target, None, None, None)
    return LockHolder(target, row["owner"], row["acquired_at"], row["expires_at"])


def _is_dead_local_owner(owner: str) -> bool:
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False
