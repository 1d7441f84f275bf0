"""Value checks and coercions per Zoho data type, with Zoho's error codes and ``details``.

``coerce(field, value, json_path)`` returns the stored form of a value or raises ``RecordError``.
Lookups are checked for existence by the caller (it knows the other modules' records).

Example:
    >>> from leadflow_emulators.zoho.models.metadata import FieldMeta
    >>> coerce(FieldMeta("No_of_Employees", "integer"), "42", "$.data[0].No_of_Employees")
    42
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from leadflow_emulators.common.clock import iso
from leadflow_emulators.zoho.models.metadata import FieldMeta
from leadflow_emulators.zoho.models.results import RecordError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9+\-() .x#*/ext]*[0-9][0-9+\-() .x#*/ext]*$", re.IGNORECASE)
_INTEGER = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_INT_LIMITS = {"integer": 2_147_483_647, "bigint": 9_223_372_036_854_775_807}


def _invalid(field: FieldMeta, path: str, **extra: Any) -> RecordError:
    return RecordError("INVALID_DATA", "invalid data", {**extra, "api_name": field.api_name, "json_path": path})


def _type_error(field: FieldMeta, path: str) -> RecordError:
    return _invalid(field, path, expected_data_type=field.data_type)


def _text(field: FieldMeta, value: Any, path: str) -> str:
    if type(value) is str and len(value) <= field.length:  # the common case, checked first
        return value
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _type_error(field, path)
    text = value if isinstance(value, str) else str(value)
    if len(text) > field.length:
        raise _invalid(field, path, maximum_length=field.length)
    return text


def _email(field: FieldMeta, value: Any, path: str) -> str:
    text = _text(field, value, path)
    if text and not _EMAIL.match(text):
        raise _type_error(field, path)
    return text


def _phone(field: FieldMeta, value: Any, path: str) -> str:
    text = _text(field, value, path)
    if text and not _PHONE.match(text):
        raise _type_error(field, path)
    return text


def _integer(field: FieldMeta, value: Any, path: str) -> int:
    if isinstance(value, bool):
        raise _type_error(field, path)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and _INTEGER.match(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int):
        raise _type_error(field, path)
    if abs(value) > _INT_LIMITS.get(field.data_type, _INT_LIMITS["integer"]):
        raise _invalid(field, path, maximum_length=field.length)
    return value


def _number(field: FieldMeta, value: Any, path: str) -> float:
    if isinstance(value, bool):
        raise _type_error(field, path)
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        value = float(value.strip())
    if not isinstance(value, int | float):
        raise _type_error(field, path)
    number = float(value)
    if number != number or abs(number) >= 10**field.length:  # NaN or too many digits
        raise _type_error(field, path)
    return number


def _boolean(field: FieldMeta, value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _type_error(field, path)


def _date(field: FieldMeta, value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _type_error(field, path)
    try:
        return date.fromisoformat(value).isoformat() if len(value) == 10 else _fail()
    except ValueError:
        raise _type_error(field, path) from None


def _fail() -> str:
    raise ValueError("bad length")


def parse_datetime(value: str) -> datetime:
    """Zoho's strict datetime: ``YYYY-MM-DDTHH:MM:SS`` with an offset (``Z`` accepted)."""
    if len(value) < 19 or value[10] != "T":
        raise ValueError(f"not a Zoho datetime: {value!r}")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"datetime without an offset: {value!r}")
    return moment


def _datetime(field: FieldMeta, value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _type_error(field, path)
    try:
        return iso(parse_datetime(value).astimezone(UTC))
    except ValueError:
        raise _type_error(field, path) from None


def _picklist(field: FieldMeta, value: Any, path: str) -> str | None:
    if not isinstance(value, str):
        raise _type_error(field, path)
    if value in ("", "-None-"):
        return None
    if field.pick_list_values and value not in field.pick_list_values:
        raise _invalid(field, path, supported_values=[v for v in field.pick_list_values if v != "-None-"])
    return value


def _multiselect(field: FieldMeta, value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        value = [part for part in value.split(";") if part]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _type_error(field, path)
    if field.pick_list_values:
        for item in value:
            if item not in field.pick_list_values:
                raise _invalid(field, path, supported_values=[v for v in field.pick_list_values if v != "-None-"])
    return list(value)


def lookup_id(field: FieldMeta, value: Any, path: str) -> str:
    """The id inside a lookup value: ``{"id": ...}`` or a bare id, as a string or a number."""
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, bool) or value is None:
        raise _type_error(field, path)
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not value.isdigit():
        raise _invalid(field, path, expected_data_type=field.data_type)
    return value


PARTICIPANT_TYPES = ("contact", "lead", "user", "email")


def _participants(field: FieldMeta, value: Any, path: str) -> list[dict[str, Any]]:
    """An Event's ``Participants``: ``[{"type": "contact"|"lead"|"user"|"email", "participant": id or address}]``.

    Whether an id exists is checked by the backend's event rules; here only the shape.
    """
    if not isinstance(value, list):
        raise _invalid(field, path, expected_data_type="jsonarray")
    out = []
    for number, item in enumerate(value):
        kind = item.get("type") if isinstance(item, dict) else None
        who = item.get("participant") if isinstance(item, dict) else None
        if kind not in PARTICIPANT_TYPES or who in (None, ""):
            raise _invalid(field, f"{path}[{number}]", supported_values=list(PARTICIPANT_TYPES))
        if kind == "email" and not _EMAIL.match(str(who)):
            raise _invalid(field, f"{path}[{number}].participant")
        out.append({"type": kind, "participant": str(who), "invited": bool(item.get("invited", False))})
    return out


_COERCERS: dict[str, Callable[[FieldMeta, Any, str], Any]] = {
    "text": _text,
    "textarea": _text,
    "website": _text,
    "autonumber": _text,
    "email": _email,
    "phone": _phone,
    "integer": _integer,
    "bigint": _integer,
    "double": _number,
    "currency": _number,
    "percent": _number,
    "decimal": _number,
    "boolean": _boolean,
    "date": _date,
    "datetime": _datetime,
    "picklist": _picklist,
    "multiselectpicklist": _multiselect,
    "multiselectlookup": _participants,  # the only multi-select lookup the emulator has: Events' Participants
}


def _unsupported(field: FieldMeta, value: Any, path: str) -> Any:
    raise _type_error(field, path)


def coercer_for(field: FieldMeta) -> Callable[[FieldMeta, Any, str], Any]:
    """The checking function for a field's data type (values must not be None)."""
    return _COERCERS.get(field.data_type, _unsupported)


def coerce(field: FieldMeta, value: Any, path: str) -> Any:
    """The stored form of ``value`` for ``field`` (lookups excluded), or ``RecordError``."""
    if value is None:
        return None
    coercer = _COERCERS.get(field.data_type)
    if coercer is None:
        raise _type_error(field, path)
    return coercer(field, value, path)


def normalize_key(value: Any) -> str:
    """The duplicate-check key of a value: case-insensitive, trimmed."""
    if isinstance(value, dict):
        value = value.get("id")
    return str(value).strip().lower()
