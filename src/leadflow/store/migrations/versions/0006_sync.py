"""Sync engine: id map with last-pushed state, outbox, per-record sync log, per-target locks.

Revision ID: 0006_sync
Revises: 0005_zoho_client
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006_sync"
down_revision = "0005_zoho_client"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sync_records",
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("golden_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("module", sa.String(64), nullable=False),
        sa.Column("remote_id", sa.String(64), nullable=True),
        sa.Column("payload_hash", sa.String(64), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("synced_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("target", "golden_id", name="pk_sync_records"),
    )
    op.create_index("ix_sync_records_remote", "sync_records", ["target", "module", "remote_id"])
    op.create_table(
        "sync_outbox",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("golden_id", sa.String(64), nullable=False),
        sa.Column("module", sa.String(64), nullable=False),
        sa.Column("remote_id", sa.String(64), nullable=True),
        sa.Column("depends_on", sa.String(64), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("payload_hash", sa.String(64), nullable=False),
        sa.Column("desired", JSON, nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_details", JSON, nullable=True),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_outbox"),
        sa.UniqueConstraint("key", name="uq_sync_outbox_key"),
    )
    op.create_index("ix_sync_outbox_target_state", "sync_outbox", ["target", "state"])
    op.create_index("ix_sync_outbox_golden", "sync_outbox", ["target", "golden_id"])
    op.create_table(
        "sync_log",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("outbox_id", ID, nullable=True),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("golden_id", sa.String(64), nullable=False),
        sa.Column("module", sa.String(64), nullable=False),
        sa.Column("remote_id", sa.String(64), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("payload_hash", sa.String(64), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("code", sa.String(64), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("response", JSON, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_log"),
    )
    op.create_index("ix_sync_log_run", "sync_log", ["run_id"])
    op.create_index("ix_sync_log_golden", "sync_log", ["target", "golden_id"])
    op.create_table(
        "sync_locks",
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(255), nullable=True),
        sa.Column("acquired_at", TS, nullable=True),
        sa.Column("expires_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("target", name="pk_sync_locks"),
    )


def downgrade() -> None:
    op.drop_table("sync_locks")
    op.drop_index("ix_sync_log_golden", table_name="sync_log")
    op.drop_index("ix_sync_log_run", table_name="sync_log")
    op.drop_table("sync_log")
    op.drop_index("ix_sync_outbox_golden", table_name="sync_outbox")
    op.drop_index("ix_sync_outbox_target_state", table_name="sync_outbox")
    op.drop_table("sync_outbox")
    op.drop_index("ix_sync_records_remote", table_name="sync_records")
    op.drop_table("sync_records")
