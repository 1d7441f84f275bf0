"""The mirror of Zoho CRM Deals and their ``Stage_History``: typed columns the pipeline reports aggregate in SQL."""

from __future__ import annotations

from sqlalchemy import Column, Date, Float, Index, Integer, String, Table

from leadflow.store.schema.base import Json, Timestamp, metadata

crm_deals = Table(
    "crm_deals",
    metadata,
    Column("crm_id", String(64), primary_key=True),
    Column("deal_name", String(512)),
    Column("pipeline", String(255)),
    Column("stage", String(255)),
    Column("outcome", String(8), nullable=False),  # open | won | lost, from the stage's forecast type
    Column("probability", Float),
    Column("amount", Float),
    Column("currency", String(8)),
    Column("closing_date", Date),
    Column("contact_id", String(64)),  # Contact_Name lookup: the person the Deal is linked to
    Column("account_id", String(64)),
    Column("owner_id", String(64)),
    Column("owner_name", String(255)),
    Column("created_time", Timestamp),
    Column("modified_time", Timestamp),
    Column("stage_since", Timestamp),  # when the Deal arrived at its current stage (last Stage_History entry)
    Column("closed_at", Timestamp),  # when it arrived at a won or lost stage
    Column("fields", Json, nullable=False),
    Column("loaded_at", Timestamp, nullable=False),
    Index("ix_crm_deals_contact_id", "contact_id"),
    Index("ix_crm_deals_outcome_closed", "outcome", "closed_at"),
    Index("ix_crm_deals_modified_time", "modified_time"),
)

# One row per Stage_History entry: the stage a Deal moved to, when, and how long it stayed there.
crm_deal_stages = Table(
    "crm_deal_stages",
    metadata,
    Column("deal_id", String(64), primary_key=True),
    Column("entry_id", String(64), primary_key=True),
    Column("stage", String(255), nullable=False),
    Column("probability", Float),
    Column("amount", Float),
    Column("moved_at", Timestamp, nullable=False),
    Column("duration_days", Integer),  # Zoho's Stage_Duration: filled once the Deal left the stage
)

__all__ = ["crm_deal_stages", "crm_deals"]
