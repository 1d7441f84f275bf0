"""The sync engine's ledger: id map with last-pushed state, outbox, per-record log and per-target locks."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text, UniqueConstraint

from leadflow.store.schema.base import Id, Json, Timestamp, metadata

# One row per golden record and target: where it lives remotely and what was last pushed (the id map).
sync_records = Table(
    "sync_records",
    metadata,
    Column("target", String(16), primary_key=True),
    Column("golden_id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("module", String(64), nullable=False),
    Column("remote_id", String(64)),
    Column("payload_hash", String(64)),
    Column("payload", Json, nullable=False, default=dict),
    Column("version", Integer, nullable=False, default=0),
    Column("synced_at", Timestamp, nullable=False),
    Index("ix_sync_records_remote", "target", "module", "remote_id"),
)

# Every operation the engine means to send, under a deterministic key, with its state.
sync_outbox = Table(
    "sync_outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(255), nullable=False),
    Column("target", String(16), nullable=False),
    Column("plan_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("action", String(16), nullable=False),
    Column("method", String(16), nullable=False),
    Column("golden_id", String(64), nullable=False),
    Column("module", String(64), nullable=False),
    Column("remote_id", String(64)),
    Column("depends_on", String(64)),
    Column("payload", Json, nullable=False),
    Column("payload_hash", String(64), nullable=False),
    Column("desired", Json, nullable=False),
    Column("base_version", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error_code", String(64)),
    Column("error_message", Text),
    Column("error_details", Json),
    Column("run_id", Id),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    UniqueConstraint("key", name="uq_sync_outbox_key"),
    Index("ix_sync_outbox_target_state", "target", "state"),
    Index("ix_sync_outbox_golden", "target", "golden_id"),
)

# What happened to each record in each run: payload hash, outcome and the remote system's answer.
sync_log = Table(
    "sync_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("run_id", Id),
    Column("outbox_id", Id),
    Column("target", String(16), nullable=False),
    Column("golden_id", String(64), nullable=False),
    Column("module", String(64), nullable=False),
    Column("remote_id", String(64)),
    Column("action", String(16), nullable=False),
    Column("payload_hash", String(64)),
    Column("outcome", String(16), nullable=False),
    Column("code", String(64)),
    Column("message", Text),
    Column("response", Json),
    Column("created_at", Timestamp, nullable=False),
    Index("ix_sync_log_run", "run_id"),
    Index("ix_sync_log_golden", "target", "golden_id"),
)

# One row per target; the holder renews its lease while it writes.
sync_locks = Table(
    "sync_locks",
    metadata,
    Column("target", String(16), primary_key=True),
    Column("owner", String(255)),
    Column("acquired_at", Timestamp),
    Column("expires_at", Timestamp),
)

# A Lead leadflow wrote for a person later matched to an existing Contact: converted into that Contact (or merged,
# or only reported) exactly once; the row is the outbox of that one call (pending -> in_flight -> done | failed).
lead_conversions = Table(
    "lead_conversions",
    metadata,
    Column("lead_id", String(64), primary_key=True),
    Column("contact_id", String(64), nullable=False),
    Column("golden_id", String(64), nullable=False),
    Column("action", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error_code", String(64)),
    Column("error_message", Text),
    Column("run_id", Id),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Index("ix_lead_conversions_state", "state"),
)
