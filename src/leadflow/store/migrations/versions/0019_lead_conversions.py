"""Leads leadflow wrote for people later matched to an existing Contact: converted into it exactly once.

Revision ID: 0019_lead_conversions
Revises: 0012_tracking
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_lead_conversions"
down_revision = "0016_deal_links"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "lead_conversions",
        sa.Column("lead_id", sa.String(64), nullable=False),
        sa.Column("contact_id", sa.String(64), nullable=False),
        sa.Column("golden_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("lead_id", name="pk_lead_conversions"),
    )
    op.create_index("ix_lead_conversions_state", "lead_conversions", ["state"])


def downgrade() -> None:
    op.drop_index("ix_lead_conversions_state", table_name="lead_conversions")
    op.drop_table("lead_conversions")
