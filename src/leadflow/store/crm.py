"""The mirror of Zoho CRM Leads, Contacts and Accounts: raw fields plus normalized match columns.

The pipeline fetches records (bulk read for the first load, a ``Modified_Time`` cursor after), computes the match
columns (``leadflow.pipeline.crm_mirror``) and writes them with :func:`upsert_crm_rows`; resolve reads them back
with :func:`crm_candidates`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from leadflow.errors import LeadflowError
from leadflow.resolve.columns import CANDIDATE_SCHEMA
from leadflow.store.kv import delete_value, get_value, set_value
from leadflow.store.runs import utcnow
from leadflow.store.schema import crm_records

MODULES = ("Leads", "Contacts", "Accounts")
BATCH = 2_000


def upsert_crm_rows(connection: Connection, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert or update mirrored records given as rows of ``crm_records`` (module, crm_id, fields, match columns).

    Runs in the caller's transaction, so a cursor can advance with it. Returns how many rows were written.
    """
    dialect_insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    names = [c.name for c in crm_records.columns]
    now = utcnow()
    written = 0
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        if not batch:
            return
        statement = dialect_insert(crm_records)
        updates = {c.name: statement.excluded[c.name] for c in crm_records.columns if not c.primary_key}
        connection.execute(
            statement.on_conflict_do_update(index_elements=["module", "crm_id"], set_=updates), list(batch)
        )
        batch.clear()

    for row in rows:
        if row.get("module") not in MODULES:
            raise LeadflowError(f"crm_records mirrors {', '.join(MODULES)}, not {row.get('module')!r}")
        if not row.get("crm_id"):
            raise LeadflowError(f"a {row['module']} record without an id cannot be mirrored")
        batch.append({**{name: row.get(name) for name in names}, "loaded_at": row.get("loaded_at") or now})
        written += 1
        if len(batch) >= BATCH:
            flush()
    flush()
    return written


def latest_modified_time(connection: Connection, *, module: str) -> datetime | None:
    """The newest ``Modified_Time`` mirrored for ``module`` (where an incremental fetch resumes)."""
    return connection.execute(
        select(func.max(crm_records.c.modified_time)).where(crm_records.c.module == module)
    ).scalar_one_or_none()


_LOADING = "crm_mirror:loading:"


@dataclass(frozen=True)
class UnfinishedLoad:
    """A mirror load of a module that started and did not finish: where it read from (``None``: everything)."""

    since: datetime | None


def start_load(connection: Connection, *, module: str, since: datetime | None) -> None:
    """Note that a load of ``module`` from ``since`` begins. Its chunks commit one by one, so until
    :func:`finish_load` the newest mirrored ``Modified_Time`` is no cursor (records come in id order)."""
    set_value(connection, key=_LOADING + module, value={"since": since.isoformat() if since else None})


def finish_load(connection: Connection, *, module: str) -> None:
    delete_value(connection, key=_LOADING + module)


def unfinished_load(connection: Connection, *, module: str) -> UnfinishedLoad | None:
    """The load of ``module`` that was under way when a run stopped, to be done again from the same point."""
    value = get_value(connection, key=_LOADING + module)
    if not isinstance(value, dict):
        return None
    since = value.get("since")
    return UnfinishedLoad(datetime.fromisoformat(since) if isinstance(since, str) else None)


def crm_candidates(connection: Connection) -> tuple[pa.Table, pa.Table]:
    """(people, accounts) as resolver candidate tables: Leads and Contacts, then Accounts.

    A Contact linked to a mirrored Account takes that Account's name, match key and domain as its company.
    """
    people: dict[str, list[Any]] = {name: [] for name in CANDIDATE_SCHEMA.names}
    accounts: dict[str, list[Any]] = {name: [] for name in CANDIDATE_SCHEMA.names}
    person_fields = [
        "email", "first_name", "last_name", "first_name_key", "last_name_key", "title", "phone_e164",
        "linkedin_slug", "company_name", "company_key", "company_domain", "country", "city",
    ]  # fmt: skip
    # A Contact's company is its Account lookup, not its email's domain: the Email field is one leadflow writes,
    # so a company read from it would move whenever the sync changed an address (and resolve would not settle).
    account_company = {
        row.crm_id: (row.company_name, row.company_key, row.company_domain)
        for row in connection.execute(
            select(
                crm_records.c.crm_id,
                crm_records.c.company_name,
                crm_records.c.company_key,
                crm_records.c.company_domain,
            ).where(crm_records.c.module == "Accounts")
        )
    }
    for row in connection.execute(select(crm_records).order_by(crm_records.c.module, crm_records.c.crm_id)).mappings():
        target = accounts if row["module"] == "Accounts" else people
        values: dict[str, Any] = dict.fromkeys(CANDIDATE_SCHEMA.names)
        values.update({name: row[name] for name in person_fields})
        if row["module"] == "Contacts" and row["account_id"] in account_company:
            name, key, domain = account_company[row["account_id"]]
            values.update(company_name=name or row["company_name"], company_key=key or row["company_key"])
            values["company_domain"] = domain
        modified = row["modified_time"]
        fields = row["fields"] or {}
        values.update(
            rid=f"crm:{row['module']}:{row['crm_id']}",
            source_kind="crm",
            crm_module=row["module"],
            crm_id=row["crm_id"],
            observed_at=modified.timestamp() if modified else None,
            industry=_text(fields.get("Industry")),
            employees=_int(fields.get("Employees") or fields.get("No_of_Employees")),
            annual_revenue=_float(fields.get("Annual_Revenue")),
        )
        for name, value in values.items():
            target[name].append(value)
    return (
        pa.table(people, schema=CANDIDATE_SCHEMA),
        pa.table(accounts, schema=CANDIDATE_SCHEMA),
    )


def leadflow_ids(connection: Connection) -> dict[str, str]:
    """``crm:<module>:<id>`` → the golden id a CRM record carries in its ``Leadflow_ID`` field (set by sync)."""
    result: dict[str, str] = {}
    for module, crm_id, fields in connection.execute(
        select(crm_records.c.module, crm_records.c.crm_id, crm_records.c.fields)
    ):
        value = (fields or {}).get("Leadflow_ID")
        if isinstance(value, str) and value.startswith("gp_"):
            result[f"crm:{module}:{crm_id}"] = value
    return result


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
