"""Zoho client state: the saved connection (refresh token, encrypted), cached access tokens, the credit ledger."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Table, Text

from leadflow.store.schema.base import Json, Timestamp, metadata

zoho_connections = Table(
    "zoho_connections",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("data_centre", String(8), nullable=False),
    Column("accounts_url", String(255), nullable=False),
    Column("api_domain", String(255)),
    Column("client_id", String(255), nullable=False),
    Column("client_secret_encrypted", Text),
    Column("refresh_token_encrypted", Text, nullable=False),
    Column("scopes", Json, nullable=False, default=list),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
)

# One row per credential (a hash of client id and refresh token): the row is also the cross-process lock
# that makes one refresh happen at a time.
zoho_tokens = Table(
    "zoho_tokens",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("access_token", Text),
    Column("encrypted", Boolean, nullable=False, default=False),
    Column("api_domain", String(255)),
    Column("expires_at", Timestamp),
    Column("refresh_count", Integer, nullable=False, default=0),
    Column("updated_at", Timestamp, nullable=False),
)

# Credits spent, in one-minute buckets: the rolling 24 hours is the sum of the last 1,440 buckets.
zoho_credit_ledger = Table(
    "zoho_credit_ledger",
    metadata,
    Column("bucket", Timestamp, primary_key=True),
    Column("credits", Integer, nullable=False, default=0),
    Column("calls", Integer, nullable=False, default=0),
)
