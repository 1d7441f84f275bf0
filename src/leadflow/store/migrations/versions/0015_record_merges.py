"""Record merges: the merge outbox (Zoho merge / lead conversion, GHL move-then-delete) and golden id lineage.

Revision ID: 0015_record_merges
Revises: 0012_tracking
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015_record_merges"
down_revision = "0014_tracking_actions"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "record_merges",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("module", sa.String(64), nullable=False),
        sa.Column("golden_id", sa.String(64), nullable=False),
        sa.Column("master_id", sa.String(64), nullable=False),
        sa.Column("loser_ids", JSON, nullable=False),
        sa.Column("retired_ids", JSON, nullable=False),
        sa.Column("keep", JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("result", JSON, nullable=True),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_record_merges"),
        sa.UniqueConstraint("key", name="uq_record_merges_key"),
    )
    op.create_index("ix_record_merges_target_state", "record_merges", ["target", "state"])
    op.create_table(
        "golden_merges",
        sa.Column("retired_id", sa.String(32), nullable=False),
        sa.Column("survivor_id", sa.String(32), nullable=False),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("retired_id", name="pk_golden_merges"),
    )
    op.create_index("ix_golden_merges_survivor", "golden_merges", ["survivor_id"])


def downgrade() -> None:
    op.drop_index("ix_golden_merges_survivor", table_name="golden_merges")
    op.drop_table("golden_merges")
    op.drop_index("ix_record_merges_target_state", table_name="record_merges")
    op.drop_table("record_merges")
