"""The wrapper every report query runs in: filters checked, the people in scope computed once, PostgreSQL settings
for report statements, and what the report facts keep for all time read from them when they are current."""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection

from leadflow.reporting.facts.read import facts_answer, fresh_facts
from leadflow.reporting.model import ReportFilters
from leadflow.reporting.scope import (
    QUERY_SETTINGS,
    REPORT_SETTINGS,
    check_filters,
    facts_current_within,
    people_in_scope,
    report_settings,
)

Query = TypeVar("Query", bound=Callable[..., Any])


def unfiltered(filters: ReportFilters) -> bool:
    """No filter at all: the facts answer the view, with no segment to narrow it to."""
    return facts_answer(filters) and filters.segment is None


def scoped(query: Query) -> Query:
    """A report query that checks its filters first and runs inside :func:`people_in_scope` (same signature), on
    PostgreSQL with :func:`report_settings`; when the report facts are current (refreshed first when changes
    wait; :func:`fresh_facts`), what they keep for all time (segment members, sources, Zoho links) is read from
    them in every view, a period's too (:func:`facts_current_within`)."""

    @functools.wraps(query)
    def run(connection: Connection, filters: ReportFilters, *args: Any, **kwargs: Any) -> Any:
        check_filters(filters)
        with (
            report_settings(connection, REPORT_SETTINGS if facts_answer(filters) else QUERY_SETTINGS),
            # An unfiltered view asks for the facts itself (use_facts), if it reads them at all.
            facts_current_within(connection, not unfiltered(filters) and fresh_facts(connection)),
            people_in_scope(connection, filters),
        ):
            return query(connection, filters, *args, **kwargs)

    return typing.cast(Query, run)
