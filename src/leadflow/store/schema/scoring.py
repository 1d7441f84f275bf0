"""Scoring's tables: engagement events in, scores and per-record owned tags out (CONTRACTS §3)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, ForeignKey, Index, String, Table, Text

from leadflow.store.schema.base import Id, Json, Timestamp, metadata

engagement_events = Table(
    "engagement_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("golden_person_id", String(32)),
    Column("email", String(320)),
    Column("event_type", String(64), nullable=False),
    Column("occurred_at", Timestamp, nullable=False),
    Column("source", String(32), nullable=False),
    Column("vendor_event_id", String(255), unique=True),
    Column("payload", Json, nullable=False, default=dict),
    Column("created_at", Timestamp, nullable=False),
    Index("ix_engagement_events_person_time", "golden_person_id", "occurred_at"),
    Index("ix_engagement_events_email", "email"),
    Index("ix_engagement_events_type_time_person", "event_type", "occurred_at", "golden_person_id"),
    Index("ix_engagement_events_person_type_time", "golden_person_id", "event_type", "occurred_at"),
)

scores = Table(
    "scores",
    metadata,
    Column("golden_person_id", String(32), primary_key=True),
    Column("fit", Float),
    Column("persona_influence", Float),
    Column("engagement", Float),
    Column("fit_coverage", Float, nullable=False),
    Column("persona_coverage", Float, nullable=False),
    Column("engagement_coverage", Float, nullable=False),
    Column("persona", String(64)),
    Column("grade", String(2)),
    Column("priority", Boolean, nullable=False),
    Column("suppressed", Boolean, nullable=False),
    Column("suppression_reasons", Json, nullable=False),
    Column("reasons", Json, nullable=False),
    Column("summary", Text, nullable=False),
    Column("segments", Json, nullable=False),
    Column("content_hash", String(32), nullable=False),
    Column("run_id", Id, ForeignKey("runs.id")),
    Column("computed_at", Timestamp, nullable=False),
    Index("ix_scores_grade", "grade"),
)

record_tags = Table(
    "record_tags",
    metadata,
    Column("golden_person_id", String(32), primary_key=True),
    Column("target", String(8), primary_key=True),
    Column("desired", Json, nullable=False),
    Column("applied", Json, nullable=False),
    Column("custom_fields", Json, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
)

__all__ = ["engagement_events", "record_tags", "scores"]
