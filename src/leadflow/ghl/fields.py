"""Custom fields of the location: definitions (list, get, create, update, delete) and ``ensure`` by name.

Values are written on a contact as ``customFields: [{"id": ..., "field_value": ...}]`` and read back as
``customFields: [{"id": ..., "value": ...}]``; :func:`values_by_id` reads them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from leadflow.ghl.api import GhlApi

DataType = Literal[
    "TEXT", "LARGE_TEXT", "NUMERICAL", "MONETORY", "CHECKBOX", "SINGLE_OPTIONS", "MULTIPLE_OPTIONS", "DATE"
]
Model = Literal["contact", "opportunity"]


@dataclass(frozen=True)
class CustomFieldSpec:
    """A custom field leadflow needs (created when missing, matched by name and model).

    Example:
        >>> CustomFieldSpec("Leadflow ID", "TEXT").model
        'contact'
    """

    name: str
    data_type: DataType
    model: Model = "contact"
    options: Sequence[str] = field(default_factory=tuple)


class CustomFieldsApi:
    """Custom field definitions of the location.

    Example:
        >>> ids = ghl.fields.ensure([CustomFieldSpec("Leadflow ID", "TEXT")])  # doctest: +SKIP
        >>> ids["Leadflow ID"]  # doctest: +SKIP
        'Zk3kdi2...'
    """

    def __init__(self, api: GhlApi) -> None:
        self.api = api

    def _path(self, suffix: str = "") -> str:
        return f"/locations/{self.api.location_id}/customFields{suffix}"

    def definitions(self, *, model: Literal["contact", "opportunity", "all"] = "all") -> list[dict[str, Any]]:
        body = self.api.call("GET", self._path(), params={"model": model})
        return [dict(item) for item in (body or {}).get("customFields") or []]

    def get(self, id_or_key: str) -> dict[str, Any]:
        body = self.api.call("GET", self._path(f"/{id_or_key}"))
        return dict((body or {}).get("customField") or {})

    def create(self, spec: CustomFieldSpec) -> dict[str, Any]:
        payload: dict[str, Any] = {"name": spec.name, "dataType": spec.data_type, "model": spec.model}
        if spec.options:
            payload["options"] = list(spec.options)
        body = self.api.call("POST", self._path(), json=payload)
        return dict((body or {}).get("customField") or {})

    def update(self, field_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        body = self.api.call("PUT", self._path(f"/{field_id}"), json=dict(changes), idempotent=True)
        return dict((body or {}).get("customField") or {})

    def delete(self, field_id: str) -> None:
        self.api.call("DELETE", self._path(f"/{field_id}"))

    def ensure(self, specs: Sequence[CustomFieldSpec]) -> dict[str, str]:
        """Field name -> id for every spec, creating only the missing ones (a lost create is found by the
        next list, never created twice by a retry of this method)."""
        existing = {
            (str(f.get("name")), str(f.get("model") or "contact")): str(f["id"])
            for f in self.definitions()
            if f.get("id")
        }
        ids: dict[str, str] = {}
        for spec in specs:
            known = existing.get((spec.name, spec.model))
            if known is None:
                known = str(self.create(spec).get("id") or "")
            ids[spec.name] = known
        return ids


def values_by_id(contact: Mapping[str, Any]) -> dict[str, Any]:
    """A contact's custom field values as ``{field id: value}`` (either shape GHL uses).

    Example:
        >>> values_by_id({"customFields": [{"id": "f1", "value": "gp_1"}, {"id": "f2", "field_value": 3}]})
        {'f1': 'gp_1', 'f2': 3}
    """
    values: dict[str, Any] = {}
    for item in contact.get("customFields") or []:
        if isinstance(item, Mapping) and item.get("id"):
            values[str(item["id"])] = item.get("value", item.get("field_value"))
    return values
