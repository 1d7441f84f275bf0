"""Find and merge: ``POST /{module}/{master_id}/actions/merge`` folds up to two records into a master.

The master keeps its own values except the fields listed in ``master_record_fields``, each taken from
the record named in its ``_data``. Every record that points at a merged record (notes, tasks, calls,
events, deals, contacts, stage history: any lookup or multi-module link to the module) is moved to
the master, tags are carried over, and the merged records go to the recycle bin. Records of another
module are never merged (a Contact into a Lead is refused with NOT_ALLOWED).

Example:
    >>> from leadflow_emulators.zoho.models import ZohoBackend
    >>> backend = ZohoBackend()
    >>> a, b = (r.id for r in backend.insert("Leads", [{"Last_Name": "A"}, {"Last_Name": "B", "Email": "b@x.io"}]))
    >>> merge_records(backend, "Leads", a, [b], {"Email": b})["Email"]
    'b@x.io'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.results import RecordError

if TYPE_CHECKING:
    from leadflow_emulators.zoho.models.backend import ZohoBackend

MAX_MERGED = 2  # Zoho merges at most three records: the master and two others
MERGEABLE = ("Leads", "Contacts", "Accounts", "Deals")


def _path(index: int, key: str) -> str:
    return f"$.merge[0].data[{index}].{key}"


def _check_children(backend: ZohoBackend, module: str, master_id: str, child_ids: list[str]) -> None:
    if not child_ids:
        raise RecordError(
            "MANDATORY_NOT_FOUND", "required field not found", {"api_name": "data", "json_path": "$.merge[0].data"}
        )
    if len(child_ids) > MAX_MERGED:
        raise RecordError(
            "LIMIT_EXCEEDED",
            "limit exceeded",
            {"api_name": "data", "json_path": "$.merge[0].data", "maximum_length": MAX_MERGED},
        )
    for index, child_id in enumerate(child_ids):
        if child_id == master_id or child_ids.index(child_id) != index:
            raise RecordError("INVALID_DATA", "invalid data", {"api_name": "id", "json_path": _path(index, "id")})
        if backend.get_stored(module, child_id) is not None:
            continue
        elsewhere = any(
            backend.get_stored(other.api_name, child_id) is not None
            for other in backend.modules()
            if other.api_name != module
        )
        if elsewhere:
            raise RecordError(
                "NOT_ALLOWED",
                "records of different modules cannot be merged",
                {"api_name": "id", "json_path": _path(index, "id")},
            )
        raise RecordError(
            "INVALID_DATA", "the id given seems to be invalid", {"api_name": "id", "json_path": _path(index, "id")}
        )


def _master_values(
    backend: ZohoBackend, module: str, master_id: str, child_ids: list[str], sources: dict[str, str]
) -> dict[str, Any]:
    fields = backend.fields(module)
    allowed = {master_id, *child_ids}
    values: dict[str, Any] = {}
    for number, (name, source) in enumerate(sources.items()):
        path = f"$.merge[0].master_record_fields[{number}]"
        field = fields.get(name)
        if field is None or field.read_only:
            raise RecordError("INVALID_DATA", "invalid data", {"api_name": "api_name", "json_path": f"{path}.api_name"})
        if source not in allowed:
            raise RecordError("INVALID_DATA", "invalid data", {"api_name": "id", "json_path": f"{path}._data[0].id"})
        stored = backend.get_stored(module, source)
        assert stored is not None
        values[name] = stored.get(name)
    return values


def _links_to(backend: ZohoBackend, module: str) -> list[tuple[str, str]]:
    """(module, field) pairs whose values can point at a record of ``module``."""
    out = []
    for meta in backend.modules():
        for name, field in meta.fields.items():
            points_here = field.lookup_module == module or module in field.multi_module
            if points_here or (name == "Who_Id" and module == "Contacts"):
                out.append((meta.api_name, name))
    return out


def _points_at(record: dict[str, Any], field: str, module: str) -> bool:
    value = record.get(field)
    if field == "Parent_Id":
        return isinstance(value, dict) and (value.get("module") or {}).get("api_name") == module
    if field == "What_Id":
        return record.get("$se_module") == module
    return True


def merge_records(
    backend: ZohoBackend, module: str, master_id: str, child_ids: list[str], sources: dict[str, str]
) -> dict[str, Any]:
    """Merge ``child_ids`` into ``master_id``; returns the master as stored. RecordError when refused."""
    meta = backend.module(module, index=0)
    if meta.api_name not in MERGEABLE and not meta.custom_module:
        raise ZohoError(400, "NOT_ALLOWED", "merge is not supported for this module", {"resource_path_index": 0})
    uid = backend.directory.current_user_id
    with backend.transaction():
        if backend.get_stored(meta.api_name, master_id) is None:
            raise ZohoError(400, "INVALID_DATA", "the id given seems to be invalid", {"resource_path_index": 1})
        _check_children(backend, meta.api_name, master_id, child_ids)
        changes = _master_values(backend, meta.api_name, master_id, child_ids, sources)
        master = backend.get_stored(meta.api_name, master_id)
        assert master is not None
        tags = list(master.get("Tag") or [])
        for child_id in child_ids:
            child = backend.get_stored(meta.api_name, child_id)
            assert child is not None
            tags += [tag for tag in child.get("Tag") or [] if tag["id"] not in {t["id"] for t in tags}]
            for linking_module, field in _links_to(backend, meta.api_name):
                for record_id in backend.find(linking_module, field, child_id):
                    record = backend.get_stored(linking_module, record_id)
                    if record is None or not _points_at(record, field, meta.api_name):
                        continue
                    moved = dict(record[field], id=master_id)
                    backend._modify(backend.module(linking_module), record_id, {field: moved}, uid)
        if tags != list(master.get("Tag") or []):
            changes["Tag"] = tags
        merged = backend._modify(meta, master_id, changes, uid)
        backend.delete(meta.api_name, child_ids, user_id=uid)
        backend.count(meta.api_name, "merged", len(child_ids))
        return merged
