"""Fill the CRM mirror: Zoho records (module, record dict) → normalized match columns → ``crm_records``.

The fetch is wired by the sync stage (:func:`leadflow.pipeline.sync.mirror_crm`, :mod:`leadflow.pipeline.crm_fetch`):
a module's first load through a bulk read job when it holds more than ``[sync] mirror_bulk_read_above`` records
(the records API below that), every later load through the records API from ``Modified_Time`` >
:func:`leadflow.store.crm.latest_modified_time`. Records arrive here in the records API's shape either way
(bulk read's CSV rows are typed back by :class:`leadflow.zoho.bulk_records.BulkRecordShape`: lookups as
``{"name", "id"}``, numbers, booleans, nulls), so one Zoho record gives the same mirror row, raw ``fields``
included, whichever way it was read. This module only turns records into mirror rows with the same
normalization ingest applies to prospects, so CRM records and prospects compare like for like.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from leadflow.errors import LeadflowError
from leadflow.normalize.company import company_display, company_key, domain_from_email, domain_from_url
from leadflow.normalize.email import normalize_email
from leadflow.normalize.geo import country_code
from leadflow.normalize.linkedin import linkedin_slug
from leadflow.normalize.names import clean_person_name, first_name_key, name_key
from leadflow.normalize.phone import normalize_phone
from leadflow.store.crm import MODULES, upsert_crm_rows

LINKEDIN_FIELDS = ("LinkedIn", "LinkedIn_URL", "Linkedin_URL", "LinkedIn_Profile", "Linkedin")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Mapping):  # lookups such as Account_Name: {"name": ..., "id": ...}
        value = value.get("name")
    text = str(value).strip()
    return text or None


def _lookup_id(value: Any) -> str | None:
    return str(value["id"]) if isinstance(value, Mapping) and value.get("id") else None


def _modified(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def match_columns(module: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """Normalized match columns of one Zoho record.

    Example:
        >>> match_columns("Leads", {"Email": " Bob@Acme.COM", "First_Name": "Bob", "Company": "Acme, Inc."})[
        ...     "first_name_key"]
        'robert'
    """
    if module not in MODULES:
        raise LeadflowError(f"crm_records mirrors {', '.join(MODULES)}, not {module!r}")
    country = country_code(
        _text(record.get("Country") or record.get("Mailing_Country") or record.get("Billing_Country"))
    )
    if module == "Accounts":
        name = _text(record.get("Account_Name"))
        return {
            "company_name": company_display(name),
            "company_key": company_key(name),
            "company_domain": domain_from_url(_text(record.get("Website"))),
            "country": country,
            "city": _text(record.get("Billing_City") or record.get("City")),
        }
    email = normalize_email(_text(record.get("Email"))).email
    company = _text(record.get("Company") if module == "Leads" else record.get("Account_Name"))
    phone = None
    for name in ("Mobile", "Phone"):
        phone = normalize_phone(_text(record.get(name)), country).e164
        if phone:
            break
    slug = None
    for name in LINKEDIN_FIELDS:
        slug = linkedin_slug(_text(record.get(name)))
        if slug:
            break
    first = clean_person_name(_text(record.get("First_Name")))
    last = clean_person_name(_text(record.get("Last_Name")))
    return {
        "email": email,
        "first_name": first,
        "last_name": last,
        "first_name_key": first_name_key(first),
        "last_name_key": name_key(last),
        "title": _text(record.get("Title") or record.get("Designation")),
        "phone_e164": phone,
        "linkedin_slug": slug,
        "company_name": company_display(company),
        "company_key": company_key(company),
        "company_domain": domain_from_url(_text(record.get("Website"))) or domain_from_email(email),
        "country": country,
        "city": _text(record.get("City") or record.get("Mailing_City")),
        "account_id": _lookup_id(record.get("Account_Name")) if module == "Contacts" else None,
    }


def mirror_rows(records: Iterable[tuple[str, Mapping[str, Any]]]) -> Iterator[dict[str, Any]]:
    """``crm_records`` rows for ``(module, record)`` pairs as the Zoho client returns them."""
    for module, record in records:
        crm_id = _text(record.get("id"))
        if crm_id is None:
            raise LeadflowError(f"a {module} record without an id cannot be mirrored")
        yield {
            **match_columns(module, record),
            "module": module,
            "crm_id": crm_id,
            "fields": json.loads(json.dumps(dict(record), default=str)),
            "modified_time": _modified(record.get("Modified_Time")),
        }


def load_crm_records(connection: Connection, records: Iterable[tuple[str, Mapping[str, Any]]]) -> int:
    """Mirror Zoho records into ``crm_records`` (insert or update by module and id), in the caller's transaction.

    Example:
        >>> # with engine.begin() as c: load_crm_records(c, (("Leads", r) for r in zoho.leads.iter()))
    """
    return upsert_crm_rows(connection, mirror_rows(records))
