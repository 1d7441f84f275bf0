"""Where the CRM mirror reads a module from: a bulk read job for a big first load, the records API otherwise.

A bulk read job costs 50 credits whatever its size and returns up to 200,000 records per page; the records API
costs 1 credit per call of 200 records and cannot page past 100,000. The two cost the same at 10,000 records
(50 pages), the default of ``[sync] mirror_bulk_read_above``. So the first load of a module (nothing mirrored
yet) goes through bulk read when the module holds more records than that (``actions/count``, 1 credit), and
every later load pages the records API from the newest mirrored ``Modified_Time`` (``If-Modified-Since``).
Either way the records come out in the records API's shape (:class:`leadflow.zoho.bulk_records.BulkRecordShape`),
so the mirror rows are the same.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from leadflow.errors import LeadflowError
from leadflow.log import get_logger
from leadflow.zoho.bulk_records import BulkRecordShape
from leadflow.zoho.client import ZohoClient

Method = Literal["bulk read", "records API"]


@dataclass(frozen=True)
class ModuleFetch:
    """How one module is read: the method, the record count that decided it (``None``: not asked) and the
    records (lazily; a bulk read page is read row by row out of its zip)."""

    module: str
    method: Method
    count: int | None
    records: Iterator[dict[str, Any]]


def fetch_module(
    zoho: ZohoClient,
    module: str,
    wanted: Sequence[str],
    *,
    since: datetime | None,
    bulk_read_above: int,
    fields_meta: Sequence[Mapping[str, Any]],
) -> ModuleFetch:
    """The records of ``module`` to mirror: changed since ``since``, or all of them when ``since`` is None.

    Example:
        >>> fetch = fetch_module(zoho, "Leads", ["Email", "Modified_Time"], since=None, bulk_read_above=10_000,
        ...                      fields_meta=zoho.metadata.fields("Leads"))  # doctest: +SKIP
        >>> fetch.method, fetch.count
        ('bulk read', 12040)
    """
    if since is not None:
        return ModuleFetch(module, "records API", None, zoho.module(module).iter(wanted, modified_since=since))
    count = zoho.module(module).count()
    if count <= bulk_read_above:
        return ModuleFetch(module, "records API", count, zoho.module(module).iter(wanted))
    shape = BulkRecordShape(fields_meta)
    rows = zoho.bulk.read(module, shape.request_fields(wanted))
    return ModuleFetch(module, "bulk read", count, (shape.record(row) for row in rows))


def owner_names(zoho: ZohoClient) -> dict[str, str]:
    """Zoho user id → full name, from the users list (one call): a bulk read gives an owner's id only.

    Without the users scope the map is empty (logged): records stay filterable by owner id.
    """
    names: dict[str, str] = {}
    try:
        for user in zoho.users.iter("AllUsers"):
            if user.get("id") and user.get("full_name"):
                names[str(user["id"])] = str(user["full_name"])
    except LeadflowError as exc:
        get_logger(__name__).warning("Zoho users' names unavailable", error=str(exc))
    return names


def unnamed_owner(record: Mapping[str, Any]) -> bool:
    owner = record.get("Owner")
    return isinstance(owner, Mapping) and bool(owner.get("id")) and not owner.get("name")


def with_owner(record: dict[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """The record with its ``Owner`` lookup as ``{"name", "id"}`` (the name looked up when the read lacked it),
    so a record mirrors the same whichever way it was read."""
    owner = record.get("Owner")
    if not isinstance(owner, Mapping) or not owner.get("id"):
        return record
    owner_id = str(owner["id"])
    return {**record, "Owner": {"name": owner.get("name") or names.get(owner_id), "id": owner_id}}
