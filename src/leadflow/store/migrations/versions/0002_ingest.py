"""Ingest: the ``prospects`` table (normalized source rows).

Revision ID: 0002_ingest
Revises: 0001_foundation
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_ingest"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "prospects",
        sa.Column("source_record_id", ID, autoincrement=False, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("source_kind", sa.String(32), nullable=False),
        sa.Column("file_name", sa.String(512), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("email_status", sa.String(16), nullable=False),
        sa.Column("email_is_role", sa.Boolean(), nullable=False),
        sa.Column("email_is_free", sa.Boolean(), nullable=False),
        sa.Column("email_is_disposable", sa.Boolean(), nullable=False),
        sa.Column("other_emails", JSON, nullable=False),
        sa.Column("first_name", sa.Text(), nullable=True),
        sa.Column("last_name", sa.Text(), nullable=True),
        sa.Column("first_name_key", sa.Text(), nullable=True),
        sa.Column("last_name_key", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("seniority", sa.String(32), nullable=True),
        sa.Column("department", sa.String(32), nullable=True),
        sa.Column("persona", sa.String(32), nullable=False),
        sa.Column("phone_e164", sa.String(32), nullable=True),
        sa.Column("phone_type", sa.String(16), nullable=False),
        sa.Column("linkedin_slug", sa.Text(), nullable=True),
        sa.Column("linkedin_url", sa.Text(), nullable=True),
        sa.Column("salesnav_id", sa.Text(), nullable=True),
        sa.Column("apollo_contact_id", sa.Text(), nullable=True),
        sa.Column("apollo_account_id", sa.Text(), nullable=True),
        sa.Column("company_name", sa.Text(), nullable=True),
        sa.Column("company_key", sa.Text(), nullable=True),
        sa.Column("company_domain", sa.Text(), nullable=True),
        sa.Column("company_linkedin_id", sa.Text(), nullable=True),
        sa.Column("company_linkedin_slug", sa.Text(), nullable=True),
        sa.Column("website", sa.Text(), nullable=True),
        sa.Column("industry", sa.Text(), nullable=True),
        sa.Column("employees", sa.BigInteger(), nullable=True),
        sa.Column("annual_revenue", sa.Float(), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("technologies", JSON, nullable=False),
        sa.Column("keywords", JSON, nullable=False),
        sa.Column("do_not_call", sa.Boolean(), nullable=False),
        sa.Column("extras", JSON, nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_prospects_run_id_runs"),
        sa.ForeignKeyConstraint(
            ["source_record_id"], ["source_records.id"], name="fk_prospects_source_record_id_source_records"
        ),
        sa.PrimaryKeyConstraint("source_record_id", name="pk_prospects"),
    )
    op.create_index("ix_prospects_run_id", "prospects", ["run_id"])
    op.create_index("ix_prospects_email", "prospects", ["email"])
    op.create_index("ix_prospects_linkedin_slug", "prospects", ["linkedin_slug"])
    op.create_index("ix_prospects_salesnav_id", "prospects", ["salesnav_id"])


def downgrade() -> None:
    op.drop_index("ix_prospects_salesnav_id", table_name="prospects")
    op.drop_index("ix_prospects_linkedin_slug", table_name="prospects")
    op.drop_index("ix_prospects_email", table_name="prospects")
    op.drop_index("ix_prospects_run_id", table_name="prospects")
    op.drop_table("prospects")
