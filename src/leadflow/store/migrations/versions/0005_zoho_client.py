"""Zoho client: saved connection, cached access tokens, credit ledger.

Revision ID: 0005_zoho_client
Revises: 0004_scoring
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_zoho_client"
down_revision = "0004_scoring"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "zoho_connections",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("data_centre", sa.String(8), nullable=False),
        sa.Column("accounts_url", sa.String(255), nullable=False),
        sa.Column("api_domain", sa.String(255), nullable=True),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("client_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("refresh_token_encrypted", sa.Text(), nullable=False),
        sa.Column("scopes", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_zoho_connections"),
    )
    op.create_table(
        "zoho_tokens",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=True),
        sa.Column("encrypted", sa.Boolean(), nullable=False),
        sa.Column("api_domain", sa.String(255), nullable=True),
        sa.Column("expires_at", TS, nullable=True),
        sa.Column("refresh_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_zoho_tokens"),
    )
    op.create_table(
        "zoho_credit_ledger",
        sa.Column("bucket", TS, nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", name="pk_zoho_credit_ledger"),
    )


def downgrade() -> None:
    op.drop_table("zoho_credit_ledger")
    op.drop_table("zoho_tokens")
    op.drop_table("zoho_connections")
