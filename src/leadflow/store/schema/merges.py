"""Record merges: the outbox of merges at a target (Zoho's merge and lead conversion, GHL's move-then-delete)
and the lineage of golden ids a resolve merged into another."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text, UniqueConstraint

from leadflow.store.schema.base import Id, Json, Timestamp, metadata

# One row per merge leadflow means to make at a target, under a deterministic key (exactly once).
record_merges = Table(
    "record_merges",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(255), nullable=False),
    Column("target", String(16), nullable=False),
    Column("action", String(32), nullable=False),  # merge | convert_into_contact
    Column("module", String(64), nullable=False),
    Column("golden_id", String(64), nullable=False),  # the golden person the merged records hold
    Column("master_id", String(64), nullable=False),
    Column("loser_ids", Json, nullable=False),
    Column("retired_ids", Json, nullable=False),  # golden ids merged away into golden_id (empty for crm dedupe)
    Column("keep", Json, nullable=False),  # field -> id of the record whose value the master takes
    Column("state", String(16), nullable=False),  # pending | in_flight | confirmed | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("error_code", String(64)),
    Column("error_message", Text),
    Column("result", Json),
    Column("run_id", Id),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    UniqueConstraint("key", name="uq_record_merges_key"),
    Index("ix_record_merges_target_state", "target", "state"),
)

# A golden person id that a later resolve folded into another (the sync merges their remote records).
golden_merges = Table(
    "golden_merges",
    metadata,
    Column("retired_id", String(32), primary_key=True),
    Column("survivor_id", String(32), nullable=False),
    Column("run_id", Id),
    Column("created_at", Timestamp, nullable=False),
    Index("ix_golden_merges_survivor", "survivor_id"),
)
