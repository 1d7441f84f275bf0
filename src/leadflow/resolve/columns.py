"""The resolver's input: one row per candidate record (an ingested prospect or a CRM record).

The pipeline builds this table from ``prospects`` and ``crm_records``; the resolver itself only sees
Arrow tables. :func:`conform` adds any missing column as nulls so callers can pass partial tables.
"""

from __future__ import annotations

import pyarrow as pa

# Provenance of a candidate row: ``rid`` is its id in the resolver ("p:<source_record_id>" for a prospect,
# "crm:<module>:<crm_id>" for a CRM record).
PROVENANCE_FIELDS: dict[str, pa.DataType] = {
    "rid": pa.string(),
    "source_record_id": pa.int64(),
    "source_kind": pa.string(),
    "file_name": pa.string(),
    "row_number": pa.int64(),
    "crm_module": pa.string(),
    "crm_id": pa.string(),
    "observed_at": pa.float64(),  # seconds since the epoch: when the value was seen (ingest or Modified_Time)
}

PERSON_FIELDS: dict[str, pa.DataType] = {
    "email": pa.string(),
    "email_status": pa.string(),
    "email_is_role": pa.bool_(),
    "email_is_free": pa.bool_(),
    "email_is_disposable": pa.bool_(),
    "first_name": pa.string(),
    "last_name": pa.string(),
    "first_name_key": pa.string(),
    "last_name_key": pa.string(),
    "title": pa.string(),
    "seniority": pa.string(),
    "department": pa.string(),
    "persona": pa.string(),
    "phone_e164": pa.string(),
    "phone_type": pa.string(),
    "linkedin_slug": pa.string(),
    "linkedin_url": pa.string(),
    "salesnav_id": pa.string(),
    "apollo_contact_id": pa.string(),
    "apollo_account_id": pa.string(),
    "country": pa.string(),
    "state": pa.string(),
    "city": pa.string(),
    "do_not_call": pa.bool_(),
}

COMPANY_FIELDS: dict[str, pa.DataType] = {
    "company_name": pa.string(),
    "company_key": pa.string(),
    "company_domain": pa.string(),
    "company_linkedin_id": pa.string(),
    "website": pa.string(),
    "industry": pa.string(),
    "employees": pa.int64(),
    "annual_revenue": pa.float64(),
    "technologies": pa.string(),  # JSON list as text
    "keywords": pa.string(),  # JSON list as text
}

CANDIDATE_SCHEMA = pa.schema(
    [pa.field(name, kind) for name, kind in {**PROVENANCE_FIELDS, **PERSON_FIELDS, **COMPANY_FIELDS}.items()]
)


def conform(table: pa.Table) -> pa.Table:
    """Return ``table`` with exactly the candidate columns, in order, missing ones filled with nulls.

    Example:
        >>> t = conform(pa.table({"rid": ["p:1"], "email": ["a@b.com"]}))
        >>> t.column("first_name").null_count
        1
    """
    if "rid" not in table.column_names:
        raise ValueError("candidate table needs an 'rid' column")
    columns = []
    for field in CANDIDATE_SCHEMA:
        if field.name in table.column_names:
            columns.append(table.column(field.name).cast(field.type))
        else:
            columns.append(pa.nulls(table.num_rows, type=field.type))
    return pa.Table.from_arrays(columns, schema=CANDIDATE_SCHEMA)
