"""Scoring: engagement events, scores and record tags.

Revision ID: 0004_scoring
Revises: 0003_resolve (re-chained after merging resolve; was 0001_foundation)
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_scoring"
down_revision = "0003_resolve"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "engagement_events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("golden_person_id", sa.String(32), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("vendor_event_id", sa.String(255), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_engagement_events"),
        sa.UniqueConstraint("vendor_event_id", name="uq_engagement_events_vendor_event_id"),
    )
    op.create_index("ix_engagement_events_person_time", "engagement_events", ["golden_person_id", "occurred_at"])
    op.create_index("ix_engagement_events_email", "engagement_events", ["email"])
    op.create_table(
        "scores",
        sa.Column("golden_person_id", sa.String(32), nullable=False),
        sa.Column("fit", sa.Float(), nullable=True),
        sa.Column("persona_influence", sa.Float(), nullable=True),
        sa.Column("engagement", sa.Float(), nullable=True),
        sa.Column("fit_coverage", sa.Float(), nullable=False),
        sa.Column("persona_coverage", sa.Float(), nullable=False),
        sa.Column("engagement_coverage", sa.Float(), nullable=False),
        sa.Column("persona", sa.String(64), nullable=True),
        sa.Column("grade", sa.String(2), nullable=True),
        sa.Column("priority", sa.Boolean(), nullable=False),
        sa.Column("suppressed", sa.Boolean(), nullable=False),
        sa.Column("suppression_reasons", JSON, nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("segments", JSON, nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("computed_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_scores_run_id_runs"),
        sa.PrimaryKeyConstraint("golden_person_id", name="pk_scores"),
    )
    op.create_index("ix_scores_grade", "scores", ["grade"])
    op.create_table(
        "record_tags",
        sa.Column("golden_person_id", sa.String(32), nullable=False),
        sa.Column("target", sa.String(8), nullable=False),
        sa.Column("desired", JSON, nullable=False),
        sa.Column("applied", JSON, nullable=False),
        sa.Column("custom_fields", JSON, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("golden_person_id", "target", name="pk_record_tags"),
    )


def downgrade() -> None:
    op.drop_table("record_tags")
    op.drop_index("ix_scores_grade", table_name="scores")
    op.drop_table("scores")
    op.drop_index("ix_engagement_events_email", table_name="engagement_events")
    op.drop_index("ix_engagement_events_person_time", table_name="engagement_events")
    op.drop_table("engagement_events")
