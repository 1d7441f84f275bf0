"""Bulk read rows in the records API's shape, so one record reads the same whichever way it was fetched.

Bulk read's CSV gives every value as text: an empty cell for null, ``true``/``false``, numbers as digits,
multi-select values joined by ``;``, the record id in an ``Id`` column and a lookup as the looked-up record's id
only (``Account_Name`` = ``"5725767000000412001"``). The records API gives ``null``, JSON booleans and numbers,
lists, ``id`` and a lookup as ``{"name": ..., "id": ...}``. Bulk read takes ``Lookup.Field`` names in
``query.fields`` (Zoho's own example asks for ``Account_Name.Account_Name``), so :class:`BulkRecordShape` asks
for the looked-up module's name field next to each lookup and folds the two columns back into one lookup value.

Example:
    >>> shape = BulkRecordShape(
    ...     [{"api_name": "Account_Name", "data_type": "lookup", "lookup": {"module": {"api_name": "Accounts"}}},
    ...      {"api_name": "Email", "data_type": "email"}, {"api_name": "Employees", "data_type": "integer"}])
    >>> shape.request_fields(["Email", "Account_Name", "Employees"])
    ['Email', 'Account_Name', 'Employees', 'Account_Name.Account_Name']
    >>> shape.record({"Id": "7", "Email": "", "Account_Name": "57", "Account_Name.Account_Name": "Acme",
    ...               "Employees": "45"})
    {'Email': None, 'Account_Name': {'name': 'Acme', 'id': '57'}, 'Employees': 45, 'id': '7'}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# The field Zoho shows as a record's name in its standard modules (a lookup's ``name`` in the records API).
NAME_FIELDS = {
    "Accounts": "Account_Name",
    "Contacts": "Full_Name",
    "Leads": "Full_Name",
    "Deals": "Deal_Name",
    "Vendors": "Vendor_Name",
    "Products": "Product_Name",
    "Campaigns": "Campaign_Name",
}
_INTEGER = frozenset({"integer", "bigint", "autonumber_integer"})
_DECIMAL = frozenset({"double", "decimal", "currency", "percent"})
_LOOKUP = frozenset({"lookup", "ownerlookup", "userlookup"})


class BulkRecordShape:
    """Turns bulk read CSV rows of one module into records shaped like the records API's, from the module's
    field metadata (``zoho.metadata.fields(module)``).

    Owner and user lookups come back as ``{"name": None, "id": ...}`` (bulk read has no user name column the
    records API's ``name`` would match); a lookup into a module outside :data:`NAME_FIELDS` likewise.
    """

    def __init__(self, fields: Iterable[Mapping[str, Any]]) -> None:
        self.types: dict[str, str] = {}
        self.name_columns: dict[str, str] = {}
        for field in fields:
            api_name = str(field.get("api_name") or "")
            data_type = str(field.get("data_type") or "")
            if not api_name:
                continue
            self.types[api_name] = data_type
            module = (field.get("lookup") or {}).get("module")
            # v2 and v2.1 name the module with a string, later versions with {"api_name", "id"}
            target = module.get("api_name") if isinstance(module, dict) else module
            if data_type == "lookup" and target in NAME_FIELDS:
                self.name_columns[api_name] = f"{api_name}.{NAME_FIELDS[target]}"

    def request_fields(self, wanted: Sequence[str]) -> list[str]:
        """``wanted`` plus the name column of each lookup among them, for the bulk read job's ``query.fields``."""
        extra = [self.name_columns[name] for name in wanted if name in self.name_columns]
        return [*wanted, *(column for column in extra if column not in wanted)]

    def record(self, row: Mapping[str, str]) -> dict[str, Any]:
        """One CSV row as the records API would return the record (the extra name columns folded in)."""
        folded = set(self.name_columns.values())
        record: dict[str, Any] = {}
        record_id: str | None = None
        for column, text in row.items():
            if column in ("Id", "id"):
                record_id = text or None
            elif column not in folded:
                record[column] = self._value(column, text, row)
        record["id"] = record_id
        return record

    def _value(self, column: str, text: str | None, row: Mapping[str, str]) -> Any:
        if text is None or text == "":
            return None
        data_type = self.types.get(column, "")
        if data_type in _LOOKUP:
            name_column = self.name_columns.get(column)
            return {"name": (row.get(name_column) or None) if name_column else None, "id": text}
        if data_type in _INTEGER:
            try:
                return int(text)
            except ValueError:
                return text
        if data_type in _DECIMAL:
            try:
                number = float(text)
            except ValueError:
                return text
            return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
        if data_type == "boolean":
            return text.strip().lower() == "true"
        if data_type == "multiselectpicklist":
            return [part for part in text.split(";") if part]
        return text
