"""The reports by the name the command line and the dashboard use."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection

from leadflow.reporting.engagement import engagement
from leadflow.reporting.funnel import funnel
from leadflow.reporting.model import Report, ReportFilters
from leadflow.reporting.pipeline import pipeline
from leadflow.reporting.segments import segments
from leadflow.reporting.sources import sources
from leadflow.reporting.sync_health import sync_health


class ReportQuery(Protocol):
    def __call__(self, connection: Connection, filters: ReportFilters, *, now: datetime | None = None) -> Report: ...


REPORTS: dict[str, ReportQuery] = {
    "funnel": funnel,
    "pipeline": pipeline,
    "sources": sources,
    "segments": segments,
    "engagement": engagement,
    "sync": sync_health,
}
