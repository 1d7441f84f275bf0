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
from leadflow.reporting.scope import check_filters, facts_current_within, people_in_scope, report_settings

Query = TypeVar("Query", bound=Callable[..., Any])


def scoped(query: Query) -> Query:
    """A report query that checks its filters first and runs inside :func:`people_in_scope` (same signature), on
    PostgreSQL with :func:`report_settings`; when the report facts are current (refreshed first when changes
    wait; :func:`fresh_facts`), what they keep for all time (segment members, sources, Zoho links) is read from
    them in every view, a period's too (:func:`facts_current_within`)."""

    @functools.wraps(query)
    def run(connection: Connection, filters: ReportFilters, *args: Any, **kwargs: Any) -> Any:
        check_filters(filters)
        with (
            report_settings(connection),
            facts_current_within(connection, fresh_facts(connection)),
            people_in_scope(connection, filters),
        ):
            return query(connection, filters, *args, **kwargs)

    return typing.cast(Query, run)
