"""Why CRM records joined golden people: crm_cluster_members, and cluster_members naming a CRM partner.

Revision ID: 0007_crm_match_detail
Revises: 0006_sync
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007_crm_match_detail"
down_revision = "0006_sync"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("cluster_members", sa.Column("partner_crm_module", sa.String(16), nullable=True))
    op.add_column("cluster_members", sa.Column("partner_crm_id", sa.String(64), nullable=True))
    op.create_table(
        "crm_cluster_members",
        sa.Column("crm_module", sa.String(16), nullable=False),
        sa.Column("crm_id", sa.String(64), nullable=False),
        sa.Column("golden_person_id", sa.String(32), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=True),
        sa.Column("match_reason", sa.String(32), nullable=False),
        sa.Column("partner_source_record_id", ID, nullable=True),
        sa.Column("partner_crm_module", sa.String(16), nullable=True),
        sa.Column("partner_crm_id", sa.String(64), nullable=True),
        sa.Column("match_detail", JSON, nullable=True),
        sa.Column("run_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["golden_person_id"], ["golden_people.id"], name="fk_crm_cluster_members_golden_person_id_golden_people"
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_crm_cluster_members_run_id_runs"),
        sa.PrimaryKeyConstraint("crm_module", "crm_id", name="pk_crm_cluster_members"),
    )
    op.create_index("ix_crm_cluster_members_golden_person_id", "crm_cluster_members", ["golden_person_id"])


def downgrade() -> None:
    op.drop_index("ix_crm_cluster_members_golden_person_id", table_name="crm_cluster_members")
    op.drop_table("crm_cluster_members")
    with op.batch_alter_table("cluster_members") as batch:
        batch.drop_column("partner_crm_id")
        batch.drop_column("partner_crm_module")
