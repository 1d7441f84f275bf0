"""Resolve's tables: golden companies and people, which rows formed them, and the mirror of Zoho records."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, ForeignKey, Index, Integer, String, Table

from leadflow.store.schema.base import Id, Json, Timestamp, metadata

golden_companies = Table(
    "golden_companies",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(512)),
    Column("domain", String(255)),
    Column("company_key", String(512)),
    Column("industry", String(255)),
    Column("employees", Integer),
    Column("annual_revenue", Float),
    Column("country", String(2)),
    Column("technologies", Json),
    Column("keywords", Json),
    Column("crm_account_id", String(64)),
    Column("provenance", Json, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Index("ix_golden_companies_domain", "domain"),
)

golden_people = Table(
    "golden_people",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("company_id", String(32), ForeignKey("golden_companies.id")),
    Column("email", String(320)),
    Column("email_status", String(16)),
    Column("email_is_role", Boolean),
    Column("email_is_free", Boolean),
    Column("email_is_disposable", Boolean),
    Column("emails", Json, nullable=False),
    Column("first_name", String(255)),
    Column("last_name", String(255)),
    Column("first_name_key", String(255)),
    Column("last_name_key", String(255)),
    Column("title", String(512)),
    Column("seniority", String(32)),
    Column("department", String(64)),
    Column("persona", String(64)),
    Column("phone_e164", String(32)),
    Column("phone_type", String(16)),
    Column("linkedin_slug", String(255)),
    Column("linkedin_url", String(512)),
    Column("salesnav_id", String(128)),
    Column("apollo_contact_id", String(64)),
    Column("apollo_account_id", String(64)),
    Column("company_name", String(512)),
    Column("country", String(2)),
    Column("state", String(128)),
    Column("city", String(255)),
    Column("do_not_call", Boolean),
    Column("crm_module", String(16)),
    Column("crm_id", String(64)),
    Column("provenance", Json, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Index("ix_golden_people_email", "email"),
    Index("ix_golden_people_crm", "crm_module", "crm_id"),
    Index("ix_golden_people_company_id", "company_id"),
)

cluster_members = Table(
    "cluster_members",
    metadata,
    Column("source_record_id", Id, ForeignKey("source_records.id"), primary_key=True, autoincrement=False),
    Column("golden_person_id", String(32), ForeignKey("golden_people.id"), nullable=False),
    Column("match_weight", Float),
    Column("match_reason", String(32), nullable=False),
    Column("partner_source_record_id", Id),
    Column("match_detail", Json),
    Column("run_id", Id, ForeignKey("runs.id")),
    # the partner when it is a mirrored CRM record (resolve --against-crm), not a source row
    Column("partner_crm_module", String(16)),
    Column("partner_crm_id", String(64)),
    Index("ix_cluster_members_golden_person_id", "golden_person_id"),
)

# A mirrored CRM person record (Lead or Contact) matched into a golden person, and why: like cluster_members.
crm_cluster_members = Table(
    "crm_cluster_members",
    metadata,
    Column("crm_module", String(16), primary_key=True),
    Column("crm_id", String(64), primary_key=True),
    Column("golden_person_id", String(32), ForeignKey("golden_people.id"), nullable=False),
    Column("match_weight", Float),
    Column("match_reason", String(32), nullable=False),
    Column("partner_source_record_id", Id),
    Column("partner_crm_module", String(16)),
    Column("partner_crm_id", String(64)),
    Column("match_detail", Json),
    Column("run_id", Id, ForeignKey("runs.id")),
    Index("ix_crm_cluster_members_golden_person_id", "golden_person_id"),
)

crm_records = Table(
    "crm_records",
    metadata,
    Column("module", String(16), primary_key=True),
    Column("crm_id", String(64), primary_key=True),
    Column("fields", Json, nullable=False),
    Column("modified_time", Timestamp),
    Column("email", String(320)),
    Column("first_name", String(255)),
    Column("last_name", String(255)),
    Column("first_name_key", String(255)),
    Column("last_name_key", String(255)),
    Column("title", String(512)),
    Column("phone_e164", String(32)),
    Column("linkedin_slug", String(255)),
    Column("company_name", String(512)),
    Column("company_key", String(512)),
    Column("company_domain", String(255)),
    Column("country", String(2)),
    Column("city", String(255)),
    Column("account_id", String(64)),
    Column("loaded_at", Timestamp, nullable=False),
    Index("ix_crm_records_email", "email"),
    Index("ix_crm_records_company_domain", "company_domain"),
)

__all__ = ["cluster_members", "crm_cluster_members", "crm_records", "golden_companies", "golden_people"]
