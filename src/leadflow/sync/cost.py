"""Batch calls or bulk jobs: pick by credits, then by time.

The target prices both (``write_cost``). Bulk jobs also wait in a queue, so a group goes through bulk only
when the target has bulk writes, it saves credits and the group is large enough that the wait pays off.
"""

from __future__ import annotations

from typing import Literal

from leadflow.sync.target import CallCost, SyncTarget

MIN_BULK_ROWS = 2_000  # below this a bulk job's queueing and polling outweigh any saving


def choose_method(
    target: SyncTarget, rows: int, *, preference: Literal["auto", "batch", "bulk"] = "auto"
) -> Literal["batch", "bulk"]:
    """``batch`` or ``bulk`` for a group of ``rows`` upserts.

    Example (Zoho costs: 10,000 rows by batch spend 1,000 credits, by bulk 500 and a few calls):
        >>> from types import SimpleNamespace
        >>> from leadflow.sync.target import CallCost
        >>> class Costs:
        ...     schema = SimpleNamespace(bulk_rows=25_000)
        ...     def write_cost(self, rows, *, bulk):
        ...         return CallCost(3, 503) if bulk else CallCost(-(-rows // 100), -(-rows // 10))
        >>> choose_method(Costs(), 10_000), choose_method(Costs(), 300)
        ('bulk', 'batch')
    """
    if target.schema.bulk_rows is None or rows == 0 or preference == "batch":
        return "batch"
    if preference == "bulk":
        return "bulk"
    batch = target.write_cost(rows, bulk=False)
    bulk = target.write_cost(rows, bulk=True)
    if rows >= MIN_BULK_ROWS and (bulk.credits, bulk.calls) < (batch.credits, batch.calls):
        return "bulk"
    return "batch"


def naive_cost(records: int, tag_changes: int) -> CallCost:
    """A one-call-per-record sync: one write per record and one tag call per tag change, 1 credit each."""
    calls = records + tag_changes
    return CallCost(calls, calls)
