"""Read-only reports over the store, shared by the command line and the web app: counts, runs and outbox
states. Every function takes a connection, reads with SQL aggregations and changes nothing."""

from leadflow.reporting.counts import StoreCounts, store_counts
from leadflow.reporting.outbox import outbox_states
from leadflow.reporting.runs import Refusal, RunDetail, RunSummary, recent_runs, run_detail

__all__ = [
    "Refusal",
    "RunDetail",
    "RunSummary",
    "StoreCounts",
    "outbox_states",
    "recent_runs",
    "run_detail",
    "store_counts",
]
