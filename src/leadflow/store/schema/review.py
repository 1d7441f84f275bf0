"""The review queue: pairs of rows resolve left uncertain, and the decisions reviewers made on pairs."""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, String, Table, Text, UniqueConstraint

from leadflow.store.schema.base import Id, Json, Timestamp, metadata

# Rows are named by the resolver's rid: "p:<source_record_id>" or "crm:<module>:<crm_id>"; rid_l < rid_r.
review_pairs = Table(
    "review_pairs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("rid_l", String(96), nullable=False),
    Column("rid_r", String(96), nullable=False),
    Column("kind", String(16), nullable=False),  # uncertain | namesake_guard | same_name
    Column("match_weight", Float),
    Column("match_probability", Float),
    Column("detail", Json),  # per comparison: level and weight
    Column("run_id", Id, ForeignKey("runs.id")),
    # how likely one person (log2 odds, resolve.review_rank): the queue's order; the strongest evidence in words,
    # and every piece of evidence ([{evidence, bits, note}])
    Column("rank_weight", Float),
    Column("rank_reason", Text),
    Column("rank_evidence", Json),
    UniqueConstraint("rid_l", "rid_r"),
    Index("ix_review_pairs_rank_weight", "rank_weight"),
)

# A reviewer's decision: accept (must-link: one person) or reject (cannot-link: two people). Every later
# resolve honours it; it is kept across re-ingest and re-resolve (rows keep their source record ids).
review_decisions = Table(
    "review_decisions",
    metadata,
    Column("rid_l", String(96), primary_key=True),
    Column("rid_r", String(96), primary_key=True),
    Column("decision", String(8), nullable=False),  # accept | reject
    Column("kind", String(16)),
    Column("match_weight", Float),
    Column("detail", Json),  # the comparison levels when decided: training labels for `review train`
    Column("note", Text),
    Column("decided_at", Timestamp, nullable=False),
    Index("ix_review_decisions_decision", "decision"),
)

__all__ = ["review_decisions", "review_pairs"]
