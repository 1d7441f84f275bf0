"""Tracking actions: the outbox of effects events call for in Zoho (Notes, Tasks, Calls, Events, opt-outs,
conversions), one row per effect under a deterministic key.

Revision ID: 0014_tracking_actions
Revises: 0012_tracking
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014_tracking_actions"
down_revision = "0012_tracking"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tracking_actions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("event_key", sa.String(255), nullable=False),
        sa.Column("golden_person_id", sa.String(64), nullable=False),
        sa.Column("module", sa.String(64), nullable=True),
        sa.Column("record_id", sa.String(64), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("check_first", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("remote_id", sa.String(64), nullable=True),
        sa.Column("result", JSON, nullable=True),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("done_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_tracking_actions"),
        sa.UniqueConstraint("key", name="uq_tracking_actions_key"),
    )
    op.create_index("ix_tracking_actions_state_next", "tracking_actions", ["state", "next_attempt_at"])
    op.create_index("ix_tracking_actions_person", "tracking_actions", ["golden_person_id"])


def downgrade() -> None:
    op.drop_index("ix_tracking_actions_person", table_name="tracking_actions")
    op.drop_index("ix_tracking_actions_state_next", table_name="tracking_actions")
    op.drop_table("tracking_actions")
