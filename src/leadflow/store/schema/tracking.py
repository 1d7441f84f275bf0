"""The tracking service's tables: every webhook delivery as received (durable before its 2xx) and the bodies
that could not be read (dead letters, kept with the reason)."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, LargeBinary, String, Table, Text, UniqueConstraint

from leadflow.store.schema.base import Id, Json, Timestamp, metadata

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source", String(16), nullable=False),  # ghl | zoho | zoho_workflow
    Column("vendor_event_id", String(255), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("contact_key", String(128)),  # events of one contact are applied in order
    Column("received_at", Timestamp, nullable=False),
    Column("headers", Json, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("state", String(16), nullable=False),  # received | processing | processed | ignored | parked | failed
    Column("claimed_by", String(64)),
    Column("lease_until", Timestamp),  # a worker that died leaves its claim; others take it after this
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text),
    Column("processed_at", Timestamp),
    UniqueConstraint("source", "vendor_event_id"),
    Index("ix_webhook_deliveries_state_id", "state", "id"),
    Index("ix_webhook_deliveries_contact_key", "contact_key"),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source", String(16), nullable=False),
    Column("received_at", Timestamp, nullable=False),
    Column("reason", Text, nullable=False),
    Column("headers", Json, nullable=False),
    Column("body", LargeBinary, nullable=False),
)
