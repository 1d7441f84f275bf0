"""Read-only reports over the store, shared by the command line and the web app. Every function takes a
connection, reads with SQL aggregations and changes nothing.

The outreach reports (:data:`REPORTS`: funnel, pipeline, sources, segments, engagement, sync) return a
:class:`Report` the CLI prints as a table, CSV or JSON (:mod:`leadflow.reporting.formats`) and the dashboard draws;
:func:`people` lists the people behind a funnel step, a source or a segment.
"""

from leadflow.reporting.counts import StoreCounts, store_counts
from leadflow.reporting.engagement import engagement
from leadflow.reporting.funnel import STEPS as FUNNEL_STEPS
from leadflow.reporting.funnel import funnel
from leadflow.reporting.links import RecordLinks, record_links
from leadflow.reporting.model import Chart, Column, Report, ReportFilters, Table
from leadflow.reporting.outbox import outbox_states
from leadflow.reporting.people import people
from leadflow.reporting.pipeline import pipeline
from leadflow.reporting.registry import REPORTS, ReportQuery
from leadflow.reporting.runs import Refusal, RunDetail, RunSummary, recent_runs, run_detail
from leadflow.reporting.scope import SOURCE_LABELS, check_filters
from leadflow.reporting.segments import segments
from leadflow.reporting.sources import sources
from leadflow.reporting.sync_health import SyncBudgets, sync_health

__all__ = [
    "FUNNEL_STEPS",
    "REPORTS",
    "SOURCE_LABELS",
    "Chart",
    "Column",
    "RecordLinks",
    "Refusal",
    "Report",
    "ReportFilters",
    "ReportQuery",
    "RunDetail",
    "RunSummary",
    "StoreCounts",
    "SyncBudgets",
    "Table",
    "check_filters",
    "engagement",
    "funnel",
    "outbox_states",
    "people",
    "pipeline",
    "recent_runs",
    "record_links",
    "run_detail",
    "segments",
    "sources",
    "store_counts",
    "sync_health",
]
