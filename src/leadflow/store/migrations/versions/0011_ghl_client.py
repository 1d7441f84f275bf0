"""GoHighLevel client: OAuth tokens (rotating refresh tokens) and the per-location request ledger.

Revision ID: 0011_ghl_client
Revises: 0008_review_decisions
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_ghl_client"
down_revision = "0008_review_decisions"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ghl_tokens",
        sa.Column("key", sa.String(96), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("user_type", sa.String(16), nullable=False),
        sa.Column("location_id", sa.String(64), nullable=True),
        sa.Column("company_id", sa.String(64), nullable=True),
        sa.Column("access_token", sa.Text(), nullable=True),
        sa.Column("refresh_token", sa.Text(), nullable=True),
        sa.Column("encrypted", sa.Boolean(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("expires_at", TS, nullable=True),
        sa.Column("refresh_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_ghl_tokens"),
    )
    op.create_table(
        "ghl_request_ledger",
        sa.Column("location_id", sa.String(64), nullable=False),
        sa.Column("bucket", TS, nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("location_id", "bucket", name="pk_ghl_request_ledger"),
    )


def downgrade() -> None:
    op.drop_table("ghl_request_ledger")
    op.drop_table("ghl_tokens")
