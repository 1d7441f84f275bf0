"""From golden rows to the field values a target module should hold: mapping, null guard, hashing.

Pure functions over plain dicts: the plan builds desired payloads with them, the runner compares what
the target answered with them.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

ACCOUNT_LOOKUP = "$account"  # placeholder for the Zoho id of the person's company Account, filled at send time

FieldType = Literal["text", "textarea", "double", "integer", "boolean"]


@dataclass(frozen=True)
class FieldSpec:
    """A custom field leadflow needs in a module (created by the client's ``ensure_fields``)."""

    api_name: str
    label: str
    data_type: FieldType
    length: int | None = None
    unique: bool = False


# The custom fields leadflow owns; any mapping target named like these is created when missing.
LEADFLOW_FIELDS: dict[str, FieldSpec] = {
    spec.api_name: spec
    for spec in (
        FieldSpec("Leadflow_ID", "Leadflow ID", "text", length=64, unique=True),
        FieldSpec("Leadflow_Fit", "Leadflow Fit", "double"),
        FieldSpec("Leadflow_Persona", "Leadflow Persona", "double"),
        FieldSpec("Leadflow_Engagement", "Leadflow Engagement", "double"),
        FieldSpec("Leadflow_Grade", "Leadflow Grade", "text", length=8),
        FieldSpec("Leadflow_Priority", "Leadflow Priority", "boolean"),
        FieldSpec("Leadflow_Suppressed", "Leadflow Suppressed", "boolean"),
        FieldSpec("Leadflow_Score_Summary", "Leadflow Score Summary", "textarea", length=2000),
    )
}

# Zoho's lengths of the standard text fields leadflow writes by default: longer values are "invalid" and
# never sent, instead of coming back as INVALID_DATA.
TEXT_LIMITS: dict[str, int] = {
    "First_Name": 40,
    "Last_Name": 80,
    "Email": 100,
    "Designation": 100,
    "Title": 100,
    "Phone": 30,
    "Mobile": 30,
    "Company": 200,
    "Account_Name": 200,
    "Website": 255,
    "Country": 100,
    "State": 100,
    "City": 100,
    "Mailing_Country": 100,
    "Mailing_State": 100,
    "Mailing_City": 100,
    "Billing_Country": 100,
    "Leadflow_ID": 64,
    "Leadflow_Grade": 8,
    "Leadflow_Score_Summary": 2000,
}

MANDATORY: dict[str, tuple[str, ...]] = {
    "Leads": ("Last_Name",),
    "Contacts": ("Last_Name",),
    "Accounts": ("Account_Name",),
}


def custom_field_specs(fields: list[str], external_id_field: str) -> list[FieldSpec]:
    """The leadflow-owned fields among ``fields`` plus the unique external-id field."""
    specs = [LEADFLOW_FIELDS[name] for name in fields if name in LEADFLOW_FIELDS and name != external_id_field]
    external = LEADFLOW_FIELDS.get(external_id_field) or FieldSpec(
        external_id_field, external_id_field, "text", 64, True
    )
    return [external, *specs]


def resolve_source(
    source: str, person: Mapping[str, Any], company: Mapping[str, Any] | None, score: Mapping[str, Any]
) -> Any:
    """The value of a mapping source: ``column`` of the person, ``company.column`` or ``score.column``;
    ``a | b`` takes the first of them that is not empty.

    Example:
        >>> resolve_source("company.name | company_name", {"company_name": "Acme"}, None, {})
        'Acme'
    """
    for alternative in source.split("|"):
        value = _one_source(alternative.strip(), person, company, score)
        if value not in (None, "", []):
            return value
    return None


def _one_source(
    source: str, person: Mapping[str, Any], company: Mapping[str, Any] | None, score: Mapping[str, Any]
) -> Any:
    scope, dot, column = source.partition(".")
    if not dot:
        return person.get(source)
    if scope == "company":
        return (company or {}).get(column)
    if scope == "score":
        return score.get(column)
    return person.get(source)


def clean_value(value: Any) -> Any:
    """A JSON-stable form: floats rounded, dates as ISO text, lists and dicts kept, blank text as None."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        rounded = round(value, 4)
        return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded
    if isinstance(value, int):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, list | tuple):
        items = [clean_value(v) for v in value]
        return ", ".join(str(v) for v in items if v is not None) or None
    return value


def comparable(value: Any) -> Any:
    """A form in which a value we sent and the value the target returns compare equal."""
    if isinstance(value, Mapping):
        return str(value.get("id")) if value.get("id") is not None else None
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return round(float(value), 4)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return round(float(text), 4) if text.replace(".", "", 1).lstrip("-").isdigit() else text
        except ValueError:
            return text
    if isinstance(value, list):
        return tuple(comparable(v) for v in value)
    return value


def is_empty(value: Any) -> bool:
    return comparable(value) is None


def content_hash(module: str, fields: Mapping[str, Any]) -> str:
    """sha256 of the module and its field values, key order independent.

    Example:
        >>> content_hash("Leads", {"a": 1, "b": 2}) == content_hash("Leads", {"b": 2, "a": 1})
        True
    """
    text = json.dumps([module, fields], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def problems(module: str, fields: Mapping[str, Any]) -> list[str]:
    """Why a payload would be refused (mandatory field missing, text too long); empty when sendable."""
    found = [f"{name} is required" for name in MANDATORY.get(module, ()) if is_empty(fields.get(name))]
    for name, limit in TEXT_LIMITS.items():
        value = fields.get(name)
        if isinstance(value, str) and len(value) > limit:
            found.append(f"{name} is longer than {limit} characters")
    return found
