"""Deal links: a Zoho Deal and its GHL opportunity, the stage each side is in and the stage leadflow last wrote
on each side (so its own change coming back is not moved across again).

Revision ID: 0016_deal_links
Revises: 0014_tracking_actions
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_deal_links"
down_revision = "0014_tracking_actions"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "deal_links",
        sa.Column("zoho_deal_id", sa.String(64), nullable=False),
        sa.Column("ghl_opportunity_id", sa.String(64), nullable=False),
        sa.Column("ghl_pipeline_id", sa.String(64), nullable=False),
        sa.Column("golden_person_id", sa.String(64), nullable=False),
        sa.Column("zoho_stage", sa.String(120), nullable=True),
        sa.Column("ghl_stage_id", sa.String(64), nullable=True),
        sa.Column("zoho_written_stage", sa.String(120), nullable=True),
        sa.Column("zoho_written_at", TS, nullable=True),
        sa.Column("ghl_written_stage_id", sa.String(64), nullable=True),
        sa.Column("ghl_written_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("zoho_deal_id", name="pk_deal_links"),
        sa.UniqueConstraint("ghl_opportunity_id", name="uq_deal_links_opportunity"),
    )
    op.create_index("ix_deal_links_person", "deal_links", ["golden_person_id"])


def downgrade() -> None:
    op.drop_index("ix_deal_links_person", table_name="deal_links")
    op.drop_table("deal_links")
