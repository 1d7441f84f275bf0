"""From golden rows to the field values a target module should hold: mapping, null guard, hashing.

Pure functions over plain dicts: the plan builds desired payloads with them, the runner compares what
the target answered with them.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

ACCOUNT_LOOKUP = "$account"  # placeholder for the remote id of the person's company record, filled at send time


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
    if scope == "link":  # the person's record id at another target (a cross-link)
        return (person.get("link") or {}).get(column)
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
        >>> content_hash("people", {"a": 1, "b": 2}) == content_hash("people", {"b": 2, "a": 1})
        True
    """
    text = json.dumps([module, fields], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
