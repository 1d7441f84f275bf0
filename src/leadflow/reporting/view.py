"""The wrapper every report query runs in: filters checked, the people in scope computed once, PostgreSQL settings
for report statements, and segment members read from the report facts when they are current."""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection

from leadflow.reporting.facts.read import fresh_facts
from leadflow.reporting.model import ReportFilters
from leadflow.reporting.scope import check_filters, people_in_scope, report_settings, segment_members_from_facts

Query = TypeVar("Query", bound=Callable[..., Any])


def scoped(query: Query) -> Query:
    """A report query that checks its filters first and runs inside :func:`people_in_scope` (same signature), on
    PostgreSQL with :func:`report_settings`; a segment filter takes its members from the report facts when they
    are current (refreshed first when changes wait; :func:`fresh_facts`)."""

    @functools.wraps(query)
    def run(connection: Connection, filters: ReportFilters, *args: Any, **kwargs: Any) -> Any:
        check_filters(filters)
        from_facts = filters.segment is not None and fresh_facts(connection)
        with (
            report_settings(connection),
            segment_members_from_facts(connection, from_facts),
            people_in_scope(connection, filters),
        ):
            return query(connection, filters, *args, **kwargs)

    return typing.cast(Query, run)
