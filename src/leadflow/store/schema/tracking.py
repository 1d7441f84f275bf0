"""The tracking service's tables: every webhook delivery as received (durable before its 2xx), the bodies
that could not be read (dead letters, kept with the reason) and the outbox of effects the events call for in
Zoho (Notes, Tasks, Calls, Events, opt-outs, conversions...), one row per effect under a deterministic key."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, LargeBinary, String, Table, Text, UniqueConstraint

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

# One row per effect an event calls for; ``key`` (kind + digest of the event's id) makes it exactly once.
tracking_actions = Table(
    "tracking_actions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(128), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("event_key", String(255), nullable=False),  # engagement_events.vendor_event_id of the cause
    Column("golden_person_id", String(64), nullable=False),
    Column("module", String(64)),  # the Zoho record acted on (set when an attempt starts)
    Column("record_id", String(64)),
    Column("payload", Json, nullable=False),
    Column("state", String(16), nullable=False),  # pending | in_flight | done | failed | skipped
    Column("check_first", Boolean, nullable=False, default=False),  # an earlier attempt may have taken effect
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Timestamp, nullable=False),
    Column("claimed_by", String(64)),
    Column("lease_until", Timestamp),
    Column("remote_id", String(64)),
    Column("result", Json),
    Column("error_code", String(64)),
    Column("error", Text),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Column("done_at", Timestamp),
    UniqueConstraint("key", name="uq_tracking_actions_key"),
    Index("ix_tracking_actions_state_next", "state", "next_attempt_at"),
    Index("ix_tracking_actions_person", "golden_person_id"),
)
