"""GoHighLevel client state: OAuth tokens (encrypted, refresh tokens rotate) and the request ledger."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, PrimaryKeyConstraint, String, Table, Text

from leadflow.store.schema.base import Timestamp, metadata

# One row per credential set ("location:<id>" or "company:<id>"): the row is also the cross-process lock
# that lets one refresh happen at a time, and it must hold the newest refresh token (GHL rotates them).
ghl_tokens = Table(
    "ghl_tokens",
    metadata,
    Column("key", String(96), primary_key=True),
    Column("client_id", String(255), nullable=False),
    Column("user_type", String(16), nullable=False),
    Column("location_id", String(64)),
    Column("company_id", String(64)),
    Column("access_token", Text),
    Column("refresh_token", Text),
    Column("encrypted", Boolean, nullable=False, default=False),
    Column("scope", Text),
    Column("expires_at", Timestamp),
    Column("refresh_count", Integer, nullable=False, default=0),
    Column("updated_at", Timestamp, nullable=False),
)

# Requests sent per location, in one-minute buckets: the daily budget is the sum of the last 1,440.
ghl_request_ledger = Table(
    "ghl_request_ledger",
    metadata,
    Column("location_id", String(64), nullable=False),
    Column("bucket", Timestamp, nullable=False),
    Column("requests", Integer, nullable=False, default=0),
    PrimaryKeyConstraint("location_id", "bucket"),
)
