"""The review queue's rank: how likely each pair is one person (log2 odds), the strongest evidence in words, and
every piece of evidence (``leadflow review list`` orders by it, ``review show`` prints it).

Revision ID: 0021_review_rank
Revises: 0020_report_facts
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0021_review_rank"
down_revision = "0020_report_facts"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("review_pairs") as batch:
        batch.add_column(sa.Column("rank_weight", sa.Float(), nullable=True))
        batch.add_column(sa.Column("rank_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("rank_evidence", JSON, nullable=True))
    op.create_index("ix_review_pairs_rank_weight", "review_pairs", ["rank_weight"])


def downgrade() -> None:
    op.drop_index("ix_review_pairs_rank_weight", table_name="review_pairs")
    with op.batch_alter_table("review_pairs") as batch:
        batch.drop_column("rank_evidence")
        batch.drop_column("rank_reason")
        batch.drop_column("rank_weight")
