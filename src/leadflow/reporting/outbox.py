"""Where the sync's operations stand: outbox rows per state."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from leadflow.store.schema import sync_outbox


def outbox_states(connection: Connection, *, target: str | None = None) -> dict[str, int]:
    """Operations per state (``pending``, ``in_flight``, ``confirmed``, ``failed``, ...), of one target or all.

    Example:
        >>> with engine.connect() as connection:  # doctest: +SKIP
        ...     outbox_states(connection, target="zoho")
        {'confirmed': 2012, 'superseded': 3}
    """
    query = select(sync_outbox.c.state, func.count()).group_by(sync_outbox.c.state).order_by(sync_outbox.c.state)
    if target is not None:
        query = query.where(sync_outbox.c.target == target)
    return {str(state): int(count) for state, count in connection.execute(query)}
