"""The columns scoring reads, with their Arrow types (CONTRACTS §2 names; company fields joined in)."""

from __future__ import annotations

import pyarrow as pa

PEOPLE_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("email", pa.string()),
        pa.field("emails", pa.list_(pa.string())),
        pa.field("email_is_role", pa.bool_()),
        pa.field("email_is_free", pa.bool_()),
        pa.field("do_not_call", pa.bool_()),
        pa.field("title", pa.string()),
        pa.field("seniority", pa.string()),
        pa.field("department", pa.string()),
        pa.field("persona", pa.string()),
        pa.field("country", pa.string()),
        pa.field("company_domain", pa.string()),
        pa.field("industry", pa.string()),
        pa.field("employees", pa.int64()),
        pa.field("annual_revenue", pa.float64()),
        pa.field("company_country", pa.string()),
        pa.field("technologies", pa.list_(pa.string())),
        pa.field("keywords", pa.list_(pa.string())),
    ]
)
"""One row per golden person: ``golden_people`` fields plus its company's (``company_*``, industry, size ...)."""

EVENTS_SCHEMA = pa.schema(
    [
        pa.field("golden_person_id", pa.string()),
        pa.field("email", pa.string()),
        pa.field("event_type", pa.string(), nullable=False),
        pa.field("occurred_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)
"""``engagement_events`` rows; an event without ``golden_person_id`` is matched on any of a person's emails."""


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with exactly ``schema``'s columns: missing ones are added as nulls, others cast, extras kept out.

    Example:
        >>> conform(pa.table({"id": ["gp_1"]}), PEOPLE_SCHEMA).column("industry").null_count
        1
    """
    columns = []
    for field in schema:
        if field.name in table.column_names:
            columns.append(table.column(field.name).cast(field.type))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=schema.with_metadata(None).remove_metadata())


def empty_events() -> pa.Table:
    return EVENTS_SCHEMA.empty_table()
