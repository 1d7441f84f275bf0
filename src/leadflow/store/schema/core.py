"""Runs, raw source rows, quarantined rows and cursors: the first ledger every stage shares."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from leadflow.store.schema.base import Id, Json, Timestamp, metadata

runs = Table(
    "runs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", Timestamp, nullable=False),
    Column("finished_at", Timestamp),
    Column("counters", Json, nullable=False, default=dict),
    Column("error", Text),
    Index("ix_runs_kind_started", "kind", "started_at"),
)

source_records = Table(
    "source_records",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("run_id", Id, ForeignKey("runs.id"), nullable=False),
    Column("source_kind", String(32), nullable=False),
    Column("file_name", String(512), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("raw", Json, nullable=False),
    Column("ingested_at", Timestamp, nullable=False),
    UniqueConstraint("file_sha256", "row_number", name="uq_source_records_file_row"),
    Index("ix_source_records_ingested_at", "ingested_at"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("run_id", Id, ForeignKey("runs.id"), nullable=False),
    Column("source_kind", String(32)),
    Column("file_name", String(512), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("raw_text", Text, nullable=False),
    Column("reason", String(64), nullable=False),
    Column("detail", Text),
    Column("created_at", Timestamp, nullable=False),
    UniqueConstraint("file_sha256", "row_number", name="uq_quarantine_file_row"),
)

kv = Table(
    "kv",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("value", Json, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
)
