"""Reports: the mirror of Zoho Deals and their Stage_History, and the indexes the report queries use.

Revision ID: 0013_report_deals
Revises: 0012_tracking
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013_report_deals"
down_revision = "0012_tracking"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "crm_deals",
        sa.Column("crm_id", sa.String(64), nullable=False),
        sa.Column("deal_name", sa.String(512), nullable=True),
        sa.Column("pipeline", sa.String(255), nullable=True),
        sa.Column("stage", sa.String(255), nullable=True),
        sa.Column("outcome", sa.String(8), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("currency", sa.String(8), nullable=True),
        sa.Column("closing_date", sa.Date(), nullable=True),
        sa.Column("contact_id", sa.String(64), nullable=True),
        sa.Column("account_id", sa.String(64), nullable=True),
        sa.Column("owner_id", sa.String(64), nullable=True),
        sa.Column("owner_name", sa.String(255), nullable=True),
        sa.Column("created_time", TS, nullable=True),
        sa.Column("modified_time", TS, nullable=True),
        sa.Column("stage_since", TS, nullable=True),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("fields", JSON, nullable=False),
        sa.Column("loaded_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("crm_id", name="pk_crm_deals"),
    )
    op.create_index("ix_crm_deals_contact_id", "crm_deals", ["contact_id"])
    op.create_index("ix_crm_deals_outcome_closed", "crm_deals", ["outcome", "closed_at"])
    op.create_index("ix_crm_deals_modified_time", "crm_deals", ["modified_time"])
    op.create_table(
        "crm_deal_stages",
        sa.Column("deal_id", sa.String(64), nullable=False),
        sa.Column("entry_id", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(255), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("moved_at", TS, nullable=False),
        sa.Column("duration_days", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("deal_id", "entry_id", name="pk_crm_deal_stages"),
    )
    op.create_index(
        "ix_engagement_events_type_time_person", "engagement_events", ["event_type", "occurred_at", "golden_person_id"]
    )
    op.create_index(
        "ix_engagement_events_person_type_time", "engagement_events", ["golden_person_id", "event_type", "occurred_at"]
    )
    op.create_index("ix_source_records_ingested_at", "source_records", ["ingested_at"])


def downgrade() -> None:
    op.drop_index("ix_source_records_ingested_at", table_name="source_records")
    op.drop_index("ix_engagement_events_person_type_time", table_name="engagement_events")
    op.drop_index("ix_engagement_events_type_time_person", table_name="engagement_events")
    op.drop_table("crm_deal_stages")
    op.drop_index("ix_crm_deals_modified_time", table_name="crm_deals")
    op.drop_index("ix_crm_deals_outcome_closed", table_name="crm_deals")
    op.drop_index("ix_crm_deals_contact_id", table_name="crm_deals")
    op.drop_table("crm_deals")
