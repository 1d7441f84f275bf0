"""The review queue: review_pairs (uncertain pairs of the last resolve) and review_decisions (must/cannot link).

Revision ID: 0008_review_decisions
Revises: 0007_crm_match_detail
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008_review_decisions"
down_revision = "0007_crm_match_detail"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "review_pairs",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("rid_l", sa.String(96), nullable=False),
        sa.Column("rid_r", sa.String(96), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=True),
        sa.Column("match_probability", sa.Float(), nullable=True),
        sa.Column("detail", JSON, nullable=True),
        sa.Column("run_id", ID, nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_review_pairs_run_id_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_review_pairs"),
        sa.UniqueConstraint("rid_l", "rid_r", name="uq_review_pairs_rid_l"),
    )
    op.create_table(
        "review_decisions",
        sa.Column("rid_l", sa.String(96), nullable=False),
        sa.Column("rid_r", sa.String(96), nullable=False),
        sa.Column("decision", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(16), nullable=True),
        sa.Column("match_weight", sa.Float(), nullable=True),
        sa.Column("detail", JSON, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("rid_l", "rid_r", name="pk_review_decisions"),
    )
    op.create_index("ix_review_decisions_decision", "review_decisions", ["decision"])


def downgrade() -> None:
    op.drop_index("ix_review_decisions_decision", table_name="review_decisions")
    op.drop_table("review_decisions")
    op.drop_table("review_pairs")
