"""Reading the facts: whether a view can (no period, owner or source filter; the facts current, refreshed first
when changes are waiting), and the facts in the shapes the reports' queries use, so a report swaps one for the
other and keeps the rest of its SQL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import Connection, FromClause, select

from leadflow.reporting.facts.refresh import facts_current, refresh_report_facts
from leadflow.reporting.model import ReportFilters
from leadflow.reporting.rollup import person_rollup
from leadflow.reporting.scope import (
    KINDS_TRACKED,
    connection_flag,
    facts_are_current,
    person_filter,
    segment_memberships,
)
from leadflow.store.schema import report_event_days, report_person_facts, report_person_segments

_DISABLED = "leadflow.reporting.facts.disabled"


def facts_disabled(connection: Connection) -> AbstractContextManager[None]:
    """Within the block, reports on ``connection`` run their queries even where the facts could answer."""
    return connection_flag(connection, _DISABLED, True)


def facts_answer(filters: ReportFilters) -> bool:
    """The facts hold what this view needs: no period (they are kept for all time) and no owner or source filter
    (they are not kept per owner, and a source filter narrows the rows counted, not only the people)."""
    return filters.since is None and filters.until is None and filters.owner is None and filters.source is None


def _refreshable(connection: Connection) -> bool:
    """A refresh on a connection of its own sees this store (not so for a private in-memory SQLite database)."""
    database = connection.engine.url.database
    return connection.engine.dialect.name != "sqlite" or (bool(database) and database != ":memory:")


def use_facts(connection: Connection, filters: ReportFilters) -> bool:
    """Read the facts for this view: they answer it and are current (:func:`fresh_facts`; inside a report query
    that found them current already, not asked again: :func:`facts_are_current`)."""
    return facts_answer(filters) and (facts_are_current(connection) or fresh_facts(connection))


def fresh_facts(connection: Connection) -> bool:
    """The facts are current for ``connection`` (and not :func:`facts_disabled`). Waiting changes are applied
    first (on a connection of its own, committed); should more arrive meanwhile, or this connection's transaction
    still see the store as it was, this says no and the report runs its queries: it never reads stale facts.

    The refresh holds off writers of the facts' inputs, so ``connection`` must not hold uncommitted writes to
    them (reports read; every caller opens a connection of its own for them)."""
    if connection.info.get(_DISABLED, False):
        return False
    if facts_current(connection):
        return True
    if not _refreshable(connection):
        return False
    refresh_report_facts(connection.engine)
    return facts_current(connection)


def facts_rollup(connection: Connection, filters: ReportFilters) -> FromClause:
    """The facts of the people in scope, with the columns of :func:`leadflow.reporting.rollup.person_rollup`."""
    facts = report_person_facts
    return select(facts).where(person_filter(connection, filters, facts.c.golden_person_id)).subquery("facts")


@contextmanager
def report_rollup(
    connection: Connection,
    filters: ReportFilters,
    *,
    from_facts: bool,
    with_sources: bool = False,
    with_deals: bool = True,
    kinds: Sequence[str] = KINDS_TRACKED,
) -> Iterator[FromClause]:
    """The per-person rollup a report groups: the facts when ``from_facts``, else computed for the view."""
    if from_facts:
        yield facts_rollup(connection, filters)
        return
    with person_rollup(connection, filters, with_sources=with_sources, with_deals=with_deals, kinds=kinds) as table:
        yield table


def segment_groups(connection: Connection, *, from_facts: bool) -> FromClause:
    """(golden_person_id, grp): each person's segments, from the facts (when the view reads them, or they are
    current: :func:`facts_are_current`) or from ``scores.segments``."""
    if from_facts or facts_are_current(connection):
        members = report_person_segments
        return select(members.c.golden_person_id, members.c.segment.label("grp")).subquery("segment_groups")
    exploded = segment_memberships(connection)
    return select(exploded.c.golden_person_id, exploded.c.segment.label("grp")).distinct().subquery("segment_groups")


def days_from_facts(connection: Connection) -> list[dict[str, Any]]:
    """Every (day, event type) count, in day and type order."""
    days = report_event_days
    rows = connection.execute(
        select(days.c.day, days.c.event_type, days.c.events)
        .where(days.c.events > 0)
        .order_by(days.c.day, days.c.event_type)
    )
    return [{"day": str(day), "event_type": kind, "events": int(count)} for day, kind, count in rows]
