"""Report facts kept at write time (see :mod:`leadflow.reporting.facts` for what they hold and how they stay
current): one row per person, person × segment, events per day and type, the change log the store's triggers
write, and the facts' state."""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table

from leadflow.store.schema.base import Id, Timestamp, metadata

# The flags and sums every report groups, per person id found in any of the facts' inputs.
report_person_facts = Table(
    "report_person_facts",
    metadata,
    Column("golden_person_id", String(32), primary_key=True),
    Column("rows", Integer, nullable=False),  # source rows clustered into the person
    Column("in_zoho", Integer, nullable=False),
    Column("contacted", Integer, nullable=False),
    Column("engaged", Integer, nullable=False),
    Column("replied", Integer, nullable=False),
    Column("met", Integer, nullable=False),
    Column("converted", Integer, nullable=False),
    Column("bounced", Integer, nullable=False),
    Column("won", Integer, nullable=False),
    Column("deals", Integer, nullable=False),
    Column("amount", Float, nullable=False),
    Column("won_amount", Float, nullable=False),
    Column("from_apollo", Integer, nullable=False),
    Column("from_salesnav", Integer, nullable=False),
    Column("from_linkedin", Integer, nullable=False),
    Column("from_mapped", Integer, nullable=False),
    Column("from_crm", Integer, nullable=False),
    Column("first_code", Integer),
    Column("last_code", Integer),
    sqlite_with_rowid=False,
)

# scores.segments exploded: one row per segment and member.
report_person_segments = Table(
    "report_person_segments",
    metadata,
    Column("segment", String(255), primary_key=True),
    Column("golden_person_id", String(32), primary_key=True),
    Index("ix_report_person_segments_golden_person_id", "golden_person_id"),
    sqlite_with_rowid=False,
)

# Every event (matched to a person or not) counted by its UTC day and type.
report_event_days = Table(
    "report_event_days",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("event_type", String(64), primary_key=True),
    Column("events", Integer, nullable=False),
    sqlite_with_rowid=False,
)

# What changed since the facts were last refreshed, written by triggers on the facts' input tables: ``person``
# (a person's facts), ``event`` (a person's facts and the day and type of an event), ``deal`` (a Deal: whoever it
# is linked to). Emptied by the refresh that applies it.
report_facts_log = Table(
    "report_facts_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(8), nullable=False),
    Column("golden_person_id", String(64)),
    Column("event_type", String(64)),
    Column("occurred_at", Timestamp),
)

# One row (name "facts") once the facts were first built: when, when last refreshed, and the highest change-log id
# applied so far.
report_facts_state = Table(
    "report_facts_state",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("built_at", Timestamp, nullable=False),
    Column("refreshed_at", Timestamp, nullable=False),
    Column("changes_applied", Id, nullable=False),
)

__all__ = [
    "report_event_days",
    "report_facts_log",
    "report_facts_state",
    "report_person_facts",
    "report_person_segments",
]
