"""Resolve: golden companies and people, cluster members, the mirror of Zoho CRM records.

Revision ID: 0003_resolve
Revises: 0002_ingest
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_resolve"
down_revision = "0002_ingest"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "golden_companies",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(512), nullable=True),
        sa.Column("domain", sa.String(255), nullable=True),
        sa.Column("company_key", sa.String(512), nullable=True),
        sa.Column("industry", sa.String(255), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("annual_revenue", sa.Float(), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("technologies", JSON, nullable=True),
        sa.Column("keywords", JSON, nullable=True),
        sa.Column("crm_account_id", sa.String(64), nullable=True),
        sa.Column("provenance", JSON, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_golden_companies"),
    )
    op.create_index("ix_golden_companies_domain", "golden_companies", ["domain"])
    op.create_table(
        "golden_people",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("company_id", sa.String(32), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("email_status", sa.String(16), nullable=True),
        sa.Column("email_is_role", sa.Boolean(), nullable=True),
        sa.Column("email_is_free", sa.Boolean(), nullable=True),
        sa.Column("email_is_disposable", sa.Boolean(), nullable=True),
        sa.Column("emails", JSON, nullable=False),
        sa.Column("first_name", sa.String(255), nullable=True),
        sa.Column("last_name", sa.String(255), nullable=True),
        sa.Column("first_name_key", sa.String(255), nullable=True),
        sa.Column("last_name_key", sa.String(255), nullable=True),
        sa.Column("title", sa.String(512), nullable=True),
        sa.Column("seniority", sa.String(32), nullable=True),
        sa.Column("department", sa.String(64), nullable=True),
        sa.Column("persona", sa.String(64), nullable=True),
        sa.Column("phone_e164", sa.String(32), nullable=True),
        sa.Column("phone_type", sa.String(16), nullable=True),
        sa.Column("linkedin_slug", sa.String(255), nullable=True),
        sa.Column("linkedin_url", sa.String(512), nullable=True),
        sa.Column("salesnav_id", sa.String(128), nullable=True),
        sa.Column("apollo_contact_id", sa.String(64), nullable=True),
        sa.Column("apollo_account_id", sa.String(64), nullable=True),
        sa.Column("company_name", sa.String(512), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("state", sa.String(128), nullable=True),
        sa.Column("city", sa.String(255), nullable=True),
        sa.Column("do_not_call", sa.Boolean(), nullable=True),
        sa.Column("crm_module", sa.String(16), nullable=True),
        sa.Column("crm_id", sa.String(64), nullable=True),
        sa.Column("provenance", JSON, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["golden_companies.id"], name="fk_golden_people_company_id_golden_companies"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_golden_people"),
    )
    op.create_index("ix_golden_people_email", "golden_people", ["email"])
    op.create_index("ix_golden_people_crm", "golden_people", ["crm_module", "crm_id"])
    op.create_index("ix_golden_people_company_id", "golden_people", ["company_id"])
    op.create_table(
        "cluster_members",
        sa.Column("source_record_id", ID, autoincrement=False, nullable=False),
        sa.Column("golden_person_id", sa.String(32), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=True),
        sa.Column("match_reason", sa.String(32), nullable=False),
        sa.Column("partner_source_record_id", ID, nullable=True),
        sa.Column("match_detail", JSON, nullable=True),
        sa.Column("run_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["source_record_id"], ["source_records.id"], name="fk_cluster_members_source_record_id_source_records"
        ),
        sa.ForeignKeyConstraint(
            ["golden_person_id"], ["golden_people.id"], name="fk_cluster_members_golden_person_id_golden_people"
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_cluster_members_run_id_runs"),
        sa.PrimaryKeyConstraint("source_record_id", name="pk_cluster_members"),
    )
    op.create_index("ix_cluster_members_golden_person_id", "cluster_members", ["golden_person_id"])
    op.create_table(
        "crm_records",
        sa.Column("module", sa.String(16), nullable=False),
        sa.Column("crm_id", sa.String(64), nullable=False),
        sa.Column("fields", JSON, nullable=False),
        sa.Column("modified_time", TS, nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("first_name", sa.String(255), nullable=True),
        sa.Column("last_name", sa.String(255), nullable=True),
        sa.Column("first_name_key", sa.String(255), nullable=True),
        sa.Column("last_name_key", sa.String(255), nullable=True),
        sa.Column("title", sa.String(512), nullable=True),
        sa.Column("phone_e164", sa.String(32), nullable=True),
        sa.Column("linkedin_slug", sa.String(255), nullable=True),
        sa.Column("company_name", sa.String(512), nullable=True),
        sa.Column("company_key", sa.String(512), nullable=True),
        sa.Column("company_domain", sa.String(255), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("city", sa.String(255), nullable=True),
        sa.Column("account_id", sa.String(64), nullable=True),
        sa.Column("loaded_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("module", "crm_id", name="pk_crm_records"),
    )
    op.create_index("ix_crm_records_email", "crm_records", ["email"])
    op.create_index("ix_crm_records_company_domain", "crm_records", ["company_domain"])


def downgrade() -> None:
    op.drop_index("ix_crm_records_company_domain", table_name="crm_records")
    op.drop_index("ix_crm_records_email", table_name="crm_records")
    op.drop_table("crm_records")
    op.drop_index("ix_cluster_members_golden_person_id", table_name="cluster_members")
    op.drop_table("cluster_members")
    op.drop_index("ix_golden_people_company_id", table_name="golden_people")
    op.drop_index("ix_golden_people_crm", table_name="golden_people")
    op.drop_index("ix_golden_people_email", table_name="golden_people")
    op.drop_table("golden_people")
    op.drop_index("ix_golden_companies_domain", table_name="golden_companies")
    op.drop_table("golden_companies")
