"""Batch upsert or bulk write: pick by credits, then by time.

Zoho charges 1 credit per 10 records of a batch write (100 records per call) and 500 credits per bulk
write job (25,000 rows each), plus a few calls to upload and poll. Bulk jobs also wait in a queue, so a
group goes through bulk only when it saves credits and is large enough that the wait pays off.
"""

from __future__ import annotations

from typing import Literal

from leadflow.sync.target import CallCost, SyncTarget

BATCH_SIZE = 100
MIN_BULK_ROWS = 2_000  # below this a bulk job's queueing and polling outweigh any saving


def choose_method(
    target: SyncTarget, rows: int, *, preference: Literal["auto", "batch", "bulk"] = "auto"
) -> Literal["batch", "bulk"]:
    """``batch`` or ``bulk`` for a group of ``rows`` upserts.

    Example (Zoho costs: 10,000 rows by batch spend 1,000 credits, by bulk 500 and a few calls):
        >>> from leadflow.sync.target import CallCost
        >>> class Costs:
        ...     def write_cost(self, rows, *, bulk):
        ...         return CallCost(3, 503) if bulk else CallCost(-(-rows // 100), -(-rows // 10))
        >>> choose_method(Costs(), 10_000), choose_method(Costs(), 300)
        ('bulk', 'batch')
    """
    if preference != "auto" or rows == 0:
        return "batch" if preference in ("auto", "batch") else "bulk"
    batch = target.write_cost(rows, bulk=False)
    bulk = target.write_cost(rows, bulk=True)
    if rows >= MIN_BULK_ROWS and (bulk.credits, bulk.calls) < (batch.credits, batch.calls):
        return "bulk"
    return "batch"


def naive_cost(records: int, tag_changes: int) -> CallCost:
    """A one-call-per-record sync: one write per record and one tag call per tag change, 1 credit each."""
    calls = records + tag_changes
    return CallCost(calls, calls)


def minimum_cost(records: int, tag_groups: int) -> CallCost:
    """The least any sync could spend: 1 credit per 10 records written, one call per 100, one per tag group."""
    write_calls = -(-records // BATCH_SIZE)
    return CallCost(write_calls + tag_groups, -(-records // 10) + tag_groups)
