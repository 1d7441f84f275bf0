"""Location custom field definitions (contact and opportunity models) and the values stored on records.

A definition has GHL's shape: ``id``, ``name``, ``fieldKey`` (``contact.<slug>``), ``dataType``,
``placeholder``, ``position``, ``picklistOptions``, ``model``, ``locationId``. Values arrive as
``[{"id" | "key", "field_value" | "value"}]`` and are checked against the definition's data type.

Example:
    >>> slug("Lead Score (2026)")
    'lead_score_2026'
"""

from __future__ import annotations

import re
from typing import Any

from leadflow_emulators.ghl.exceptions import GhlError
from leadflow_emulators.ghl.models.core import Core
from leadflow_emulators.ghl.models.documents import Doc

DATA_TYPES = frozenset(
    {
        "TEXT",
        "LARGE_TEXT",
        "NUMERICAL",
        "PHONE",
        "MONETORY",
        "CHECKBOX",
        "SINGLE_OPTIONS",
        "MULTIPLE_OPTIONS",
        "FLOAT",
        "TIME",
        "DATE",
        "TEXTBOX_LIST",
        "FILE_UPLOAD",
        "SIGNATURE",
        "RADIO",
        "EMAIL",
    }
)
_OPTION_TYPES = frozenset({"SINGLE_OPTIONS", "MULTIPLE_OPTIONS", "CHECKBOX", "RADIO"})
_NUMBER_TYPES = frozenset({"NUMERICAL", "MONETORY", "FLOAT"})
_LIST_TYPES = frozenset({"MULTIPLE_OPTIONS", "CHECKBOX"})


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


class CustomFields:
    def __init__(self, core: Core) -> None:
        self.core = core

    def all(self, model: str = "all") -> list[Doc]:
        fields = self.core.docs.all("custom_field")
        return [f for f in fields if model in ("all", "", None) or f["model"] == model]

    def get(self, id_or_key: str) -> Doc:
        found = self.core.docs.get("custom_field", id_or_key)
        if found is None:
            found = next((f for f in self.core.docs.all("custom_field") if f["fieldKey"] == id_or_key), None)
        if found is None:
            raise GhlError.not_found("Custom field")
        return found

    def create(self, body: dict[str, Any]) -> Doc:
        name, data_type = body.get("name"), body.get("dataType")
        problems = []
        if not name:
            problems.append("name should not be empty")
        if data_type not in DATA_TYPES:
            problems.append(f"dataType must be one of the following values: {', '.join(sorted(DATA_TYPES))}")
        if problems:
            raise GhlError.unprocessable(problems)
        model = body.get("model") or "contact"
        field_key = body.get("fieldKey") or f"{model}.{slug(str(name))}"
        if any(f["fieldKey"] == field_key for f in self.core.docs.all("custom_field")):
            raise GhlError.bad_request(f"Custom field with key {field_key} already exists")
        options = body.get("options") or body.get("picklistOptions") or []
        doc: Doc = {
            "id": body.get("id") or self.core.ids.next_id(),
            "name": name,
            "fieldKey": field_key,
            "placeholder": body.get("placeholder", ""),
            "dataType": data_type,
            "position": body.get("position", 0),
            "picklistOptions": list(options) if data_type in _OPTION_TYPES else [],
            "isAllowedCustomOption": False,
            "locationId": self.core.location_id,
            "model": model,
        }
        return self.core.docs.put("custom_field", doc)

    def update(self, id_or_key: str, body: dict[str, Any]) -> Doc:
        doc = dict(self.get(id_or_key))
        for key in ("name", "placeholder", "position"):
            if key in body:
                doc[key] = body[key]
        if "options" in body or "picklistOptions" in body:
            doc["picklistOptions"] = list(body.get("options") or body.get("picklistOptions") or [])
        return self.core.docs.put("custom_field", doc)

    def delete(self, id_or_key: str) -> None:
        self.core.docs.delete("custom_field", self.get(id_or_key)["id"])

    def resolve_values(self, items: list[dict[str, Any]], model: str) -> dict[str, Any]:
        """``{field id: value}`` from a request's ``customFields`` list; 400/422 for unknown fields or values."""
        values: dict[str, Any] = {}
        for index, item in enumerate(items):
            ref = item.get("id") or item.get("key")
            if not isinstance(ref, str):
                raise GhlError.unprocessable([f"customFields.{index}.id must be a string"])
            try:
                field = self.get(ref if item.get("id") else self._key(ref, model))
            except GhlError:
                raise GhlError.bad_request(f"Custom field {ref} does not exist in this location") from None
            value = item.get("field_value", item.get("value"))
            values[field["id"]] = self._check(field, value, index)
        return values

    @staticmethod
    def _key(key: str, model: str) -> str:
        return key if "." in key else f"{model}.{key}"

    @staticmethod
    def _check(field: Doc, value: Any, index: int) -> Any:
        data_type = field["dataType"]
        if value is None or value == "":
            return None
        if data_type in _NUMBER_TYPES:
            try:
                return float(value) if data_type != "NUMERICAL" or "." in str(value) else int(value)
            except (TypeError, ValueError):
                raise GhlError.unprocessable([f"customFields.{index}.field_value must be a number"]) from None
        if data_type in _LIST_TYPES:
            items = value if isinstance(value, list) else [value]
            unknown = [v for v in items if field["picklistOptions"] and v not in field["picklistOptions"]]
            if unknown:
                raise GhlError.unprocessable([f"customFields.{index}.field_value has invalid options: {unknown}"])
            return list(items)
        if data_type in _OPTION_TYPES and field["picklistOptions"] and value not in field["picklistOptions"]:
            raise GhlError.unprocessable(
                [f"customFields.{index}.field_value must be one of {field['picklistOptions']}"]
            )
        return value

    @staticmethod
    def render(values: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"id": field_id, "value": value} for field_id, value in values.items() if value is not None]
