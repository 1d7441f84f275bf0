"""Bulk write and bulk read: uploaded zips, job requests, the job state machine and the result files.

No HTTP here and no record store: rows are written through a :class:`RowWriter` (the backend's own
per-record validation and upsert path) and read through COQL's record-source callables. Jobs run on one
background worker thread, in order; a job moves ADDED -> IN PROGRESS -> COMPLETED (or FAILED), then its
callback, if any, is POSTed.

Example:
    >>> data = make_zip("leads.csv", [["Last_Name"], ["Ng"]])
    >>> upload = read_upload(data, file_id="1", created_time="2026-01-01T00:00:00+00:00")
    >>> (upload.csv_name, upload.header, upload.rows)
    ('leads.csv', ['Last_Name'], [['Ng']])
"""

from __future__ import annotations

import csv
import io
import logging
import queue
import threading
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from leadflow_emulators.zoho.coql import BoolOp, Column, Condition, CoqlError, Operand, Predicate, Scalar
from leadflow_emulators.zoho.coql_eval import (
    Binder,
    FieldInfo,
    FieldLike,
    FieldsFn,
    GetRecordFn,
    RecordsFn,
    Resolved,
    compile_condition,
)

MAX_ROWS = 25_000
MAX_FILE_BYTES = 25 * 1024 * 1024
READ_PAGE_SIZE = 200_000
MAX_READ_PAGE = 50
MAX_READ_CRITERIA = 25
WRITE_CHUNK = 1000

Operation = Literal["insert", "update", "upsert"]
log = logging.getLogger(__name__)


class BulkError(Exception):
    """A bulk request Zoho refuses: HTTP status plus the flat error body."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "details": self.details, "message": self.message, "status": "error"}


# ---- uploads -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """One uploaded zip's CSV, parsed once at upload time."""

    file_id: str
    csv_name: str
    header: list[str]
    rows: list[list[str]]
    created_time: str


def make_zip(csv_name: str, rows: Iterable[Sequence[Any]]) -> bytes:
    """A zip holding one CSV file (used for result files, and by tests and benchmarks to build uploads)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerows(rows)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(csv_name, text.getvalue())
    return buffer.getvalue()


def read_upload(data: bytes, *, file_id: str, created_time: str) -> Upload:
    """Validate and parse an uploaded zip: one CSV, a header row, at most 25,000 rows and 25 MB."""
    if len(data) > MAX_FILE_BYTES:
        raise BulkError(400, "FILE_TOO_LARGE", "File size too large to process", {"max_size": MAX_FILE_BYTES})
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise BulkError(400, "INVALID_FILE_FORMAT", "invalid file format. only zip format is supported") from None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) != 1 or not members[0].filename.lower().endswith(".csv"):
            raise BulkError(400, "FILE_NOT_SUPPORTED", "File not supported for bulk write")
        member = members[0]
        if member.file_size > MAX_FILE_BYTES:
            raise BulkError(400, "FILE_TOO_LARGE", "File size too large to process", {"max_size": MAX_FILE_BYTES})
        try:
            text = archive.read(member).decode("utf-8-sig")
        except (UnicodeDecodeError, zipfile.BadZipFile, RuntimeError):
            raise BulkError(400, "INVALID_FILE_FORMAT", "the file could not be read as UTF-8 CSV") from None
    table = list(csv.reader(io.StringIO(text)))
    while table and not any(cell.strip() for cell in table[-1]):
        table.pop()
    if not table:
        raise BulkError(400, "INVALID_FILE_FORMAT", "the CSV file has no header row")
    header, rows = table[0], table[1:]
    if len(rows) > MAX_ROWS:
        raise BulkError(400, "LIMIT_EXCEEDED", "the file has more rows than allowed", {"limit": MAX_ROWS})
    return Upload(file_id, member.filename.rsplit("/", 1)[-1], header, rows, created_time)


# ---- bulk write requests ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnMapping:
    """One ``field_mappings`` entry: CSV column ``index`` (or a ``default_value``) into field ``api_name``."""

    api_name: str
    index: int | None
    find_by: str | None = None
    default: Any = None


@dataclass(frozen=True)
class WriteSpec:
    operation: Operation
    module: str
    module_id: str
    upload: Upload
    mappings: tuple[ColumnMapping, ...]
    find_by: str | None
    ignore_empty: bool
    callback: dict[str, str] | None
    raw_resource: dict[str, Any]


def _callback(body: Mapping[str, Any]) -> dict[str, str] | None:
    callback = body.get("callback")
    if callback is None:
        return None
    if not isinstance(callback, Mapping) or not isinstance(callback.get("url"), str) or not callback["url"]:
        raise BulkError(400, "INVALID_DATA", "invalid callback url", {"api_name": "callback"})
    method = str(callback.get("method", "post")).lower()
    if method != "post":
        raise BulkError(
            400, "INVALID_CALLBACK_METHOD", "the callback method is invalid", {"supported_callback_methods": ["post"]}
        )
    return {"url": str(callback["url"]), "method": "post"}


def _module_name(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("api_name")
    return value if isinstance(value, str) and value else None


def parse_write_request(
    body: Any,
    *,
    fields: FieldsFn,
    module_id: Callable[[str], str],
    uploads: Mapping[str, Upload],
    mandatory: Callable[[str], Sequence[str]],
) -> WriteSpec:
    """Validate a ``POST /crm/bulk/v8/write`` body against the module's fields and the uploaded file."""
    if not isinstance(body, Mapping) or not body:
        raise BulkError(400, "INVALID_DATA", "the request body is empty or not a JSON object")
    operation = body.get("operation")
    if operation is None:
        raise BulkError(
            400,
            "MANDATORY_NOT_FOUND",
            "required key operation is not found in request body.",
            {"api_name": "operation"},
        )
    if operation not in ("insert", "update", "upsert"):
        raise BulkError(400, "INVALID_DATA", "invalid operation", {"api_name": "operation"})
    callback = _callback(body)
    resources = body.get("resource")
    if not isinstance(resources, list) or not resources:
        raise BulkError(
            400, "MANDATORY_NOT_FOUND", "required key resource is not found in request body.", {"api_name": "resource"}
        )
    if len(resources) > 1:
        raise BulkError(400, "LIMIT_EXCEEDED", "only one resource per job is supported", {"limit": 1})
    resource = resources[0]
    if not isinstance(resource, Mapping):
        raise BulkError(400, "INVALID_DATA", "invalid resource", {"api_name": "resource"})
    if resource.get("type", "data") != "data":
        raise BulkError(400, "INVALID_DATA", "invalid resource type", {"api_name": "type"})
    module = _module_name(resource.get("module"))
    if module is None:
        raise BulkError(
            400, "MANDATORY_NOT_FOUND", "required key module is not found in request body.", {"api_name": "module"}
        )
    module_fields = fields(module)
    if module_fields is None:
        raise BulkError(400, "MODULE_NOT_AVAILABLE", f"Requested module '{module}' is not available.", {})
    file_id = resource.get("file_id")
    upload = uploads.get(str(file_id)) if file_id is not None else None
    if upload is None:
        raise BulkError(400, "INVALID_FILE_ID", "improper file id", {"api_name": "file_id"})
    mappings = _mappings(resource.get("field_mappings"), module_fields, upload)
    find_by = resource.get("find_by")
    if isinstance(find_by, list):
        find_by = find_by[0] if find_by else None
    mapped = {m.api_name for m in mappings}
    if operation in ("update", "upsert"):
        if not find_by:
            raise BulkError(
                400,
                "MANDATORY_NOT_FOUND",
                "required key find_by is not found in request body.",
                {"api_name": "find_by"},
            )
        if find_by != "id" and find_by not in module_fields:
            raise BulkError(400, "INVALID_DATA", f"invalid find_by field {find_by}", {"api_name": "find_by"})
        if find_by not in mapped:
            raise BulkError(400, "INVALID_DATA", "the find_by field is not mapped", {"api_name": find_by})
    if operation == "insert":
        missing = [name for name in mandatory(module) if name not in mapped]
        if missing:
            raise BulkError(
                400,
                "MANDATORY_FIELDS_NOT_MAPPED",
                "All mandatory fields are not mapped for the layout",
                {"api_names": missing},
            )
    return WriteSpec(
        operation,
        module,
        module_id(module),
        upload,
        mappings,
        str(find_by) if find_by else None,
        bool(resource.get("ignore_empty", body.get("ignore_empty", True))),
        callback,
        dict(resource),
    )


def _mappings(raw: Any, module_fields: Mapping[str, FieldLike], upload: Upload) -> tuple[ColumnMapping, ...]:
    if raw is None:
        # Without mappings Zoho maps the CSV header names onto field API names.
        raw = [{"api_name": name, "index": index} for index, name in enumerate(upload.header)]
    if not isinstance(raw, list) or not raw:
        raise BulkError(400, "INVALID_DATA", "invalid field_mappings", {"api_name": "field_mappings"})
    mappings: list[ColumnMapping] = []
    for entry in raw:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("api_name"), str):
            raise BulkError(400, "INVALID_DATA", "invalid field_mappings", {"api_name": "field_mappings"})
        api_name = entry["api_name"]
        if api_name != "id" and api_name not in module_fields:
            raise BulkError(
                400, "INVALID_FIELD", f"invalid mapping. invalid api_name {api_name}.", {"api_name": api_name}
            )
        default = entry.get("default_value")
        index = entry.get("index")
        if index is None and default is None:
            raise BulkError(
                400,
                "MISSING_REQUIRED_KEY",
                f"required key index for field {api_name} is not found in request body.",
                {"api_name": api_name},
            )
        if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
            raise BulkError(400, "INVALID_DATA", "index must be an integer", {"api_name": api_name})
        if index is not None and not 0 <= index < len(upload.header):
            raise BulkError(
                400, "COLUMN_INDEX_NOT_FOUND", f"column index {index} is not in the file", {"api_name": api_name}
            )
        value = default.get("value") if isinstance(default, Mapping) else default
        find_by = entry.get("find_by")
        mappings.append(ColumnMapping(api_name, index, str(find_by) if find_by else None, value))
    return tuple(mappings)


# ---- bulk write execution ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowOutcome:
    """What the record writer did with one row."""

    ok: bool
    record_id: str | None = None
    action: Literal["insert", "update"] | None = None
    errors: tuple[tuple[str, str], ...] = ()  # (code, api_name)


class RowWriter(Protocol):
    """The backend's write path: one outcome per record, in order, with the REST API's own validation."""

    def __call__(
        self, module: str, operation: Operation, records: list[dict[str, Any]], find_by: str | None
    ) -> list[RowOutcome]: ...


# (module, field) -> {normalized value: record id}; built once per lookup mapping of a job.
LookupIndex = Callable[[str, str], Mapping[str, str]]


def lookup_key(value: Any) -> str:
    """How lookup ``find_by`` values match: trimmed, case-insensitive."""
    return str(value).strip().lower()


def rows_to_records(
    spec: WriteSpec, fields: Mapping[str, FieldLike], lookup_index: LookupIndex
) -> tuple[list[dict[str, Any]], dict[int, list[tuple[str, str]]]]:
    """CSV rows as record dicts (strings; the writer coerces), plus errors found while resolving lookups."""
    records: list[dict[str, Any]] = []
    problems: dict[int, list[tuple[str, str]]] = {}
    plain = [(m.api_name, m.index, m.default) for m in spec.mappings if not m.find_by]
    lookups = [m for m in spec.mappings if m.find_by]
    indexes: dict[str, Mapping[str, str]] = {}
    for mapping in lookups:
        info = fields.get(mapping.api_name)
        target = info.lookup_module if info is not None else None
        indexes[mapping.api_name] = lookup_index(target, str(mapping.find_by)) if target else {}
    ignore_empty = spec.ignore_empty
    for number, row in enumerate(spec.upload.rows):
        record: dict[str, Any] = {}
        width = len(row)
        for api_name, index, default in plain:
            value = row[index] if index is not None and index < width else ""
            if value == "":
                if default is not None:
                    record[api_name] = default
                elif not ignore_empty and spec.operation != "insert":
                    record[api_name] = None
                continue
            record[api_name] = value
        for mapping in lookups:
            value = row[mapping.index] if mapping.index is not None and mapping.index < len(row) else ""
            if value == "":
                continue
            found = indexes[mapping.api_name].get(lookup_key(value))
            if found is None:
                problems.setdefault(number, []).append(("INVALID_DATA", mapping.api_name))
            else:
                record[mapping.api_name] = {"id": found}
        records.append(record)
    return records, problems


@dataclass
class WriteJob:
    """A bulk write job and, once done, its counts and result file."""

    id: str
    spec: WriteSpec
    created_time: str
    created_by: dict[str, str]
    state: str = "ADDED"
    added: int = 0
    updated: int = 0
    skipped: int = 0
    result_zip: bytes | None = None
    error: str | None = None

    def body(self, download_url: str | None) -> dict[str, Any]:
        """``GET /crm/bulk/v8/write/{id}``."""
        resource: dict[str, Any] = {
            "status": self.state,
            "type": "data",
            "module": {"api_name": self.spec.module, "id": self.spec.module_id},
            "field_mappings": [_mapping_json(m) for m in self.spec.mappings],
            "file": {"status": self.state, "name": self.spec.upload.csv_name},
        }
        if self.spec.find_by:
            resource["find_by"] = self.spec.find_by
        if self.state in ("COMPLETED", "IN PROGRESS"):
            resource["file"].update(
                {
                    "added_count": self.added,
                    "skipped_count": self.skipped,
                    "updated_count": self.updated,
                    "total_count": len(self.spec.upload.rows),
                }
            )
        body: dict[str, Any] = {
            "status": self.state,
            "character_encoding": "UTF-8",
            "resource": [resource],
            "id": self.id,
            "created_by": self.created_by,
            "operation": self.spec.operation,
            "created_time": self.created_time,
        }
        if self.spec.callback:
            body["callback"] = self.spec.callback
        if self.state == "COMPLETED" and download_url:
            body["result"] = {"download_url": download_url}
        return body


def _mapping_json(mapping: ColumnMapping) -> dict[str, Any]:
    body: dict[str, Any] = {"api_name": mapping.api_name}
    if mapping.index is not None:
        body["index"] = mapping.index
    if mapping.find_by:
        body["find_by"] = mapping.find_by
    if mapping.default is not None:
        body["default_value"] = {"value": mapping.default}
    return body


def run_write_job(job: WriteJob, *, writer: RowWriter, fields: FieldsFn, lookup_index: LookupIndex) -> None:
    """Write every row through ``writer`` in chunks and build the result zip."""
    spec = job.spec
    module_fields = fields(spec.module) or {}
    records, problems = rows_to_records(spec, module_fields, lookup_index)
    statuses: list[tuple[str, str, str]] = []
    for start in range(0, len(records), WRITE_CHUNK):
        chunk = list(range(start, min(start + WRITE_CHUNK, len(records))))
        to_write = [i for i in chunk if i not in problems]
        outcomes = writer(spec.module, spec.operation, [records[i] for i in to_write], spec.find_by) if to_write else []
        by_row = dict(zip(to_write, outcomes, strict=True))
        for i in chunk:
            outcome = by_row.get(i)
            if outcome is None or not outcome.ok:
                errors = list(problems.get(i, ()))
                if outcome is not None:
                    errors.extend(outcome.errors)
                job.skipped += 1
                statuses.append(("", "SKIPPED", ":".join(f"{code}-{column}" for code, column in errors)))
            elif outcome.action == "update":
                job.updated += 1
                statuses.append((outcome.record_id or "", "UPDATED", ""))
            else:
                job.added += 1
                statuses.append((outcome.record_id or "", "ADDED", ""))
    header = [*spec.upload.header, "RECORD_ID", "STATUS", "ERRORS"]
    rows = ([*row, *status] for row, status in zip(spec.upload.rows, statuses, strict=True))
    job.result_zip = make_zip(f"{job.id}.csv", [header, *rows])


# ---- bulk read ------------------------------------------------------------------------------------------------

_COMPARATORS: dict[str, tuple[str, str, bool]] = {
    # comparator: (predicate kind, op, negated)
    "equal": ("compare", "=", False),
    "not_equal": ("compare", "!=", False),
    "less_than": ("compare", "<", False),
    "less_equal": ("compare", "<=", False),
    "greater_than": ("compare", ">", False),
    "greater_equal": ("compare", ">=", False),
    "in": ("in", "in", False),
    "not_in": ("in", "not in", True),
    "between": ("between", "between", False),
    "not_between": ("between", "not between", True),
    "contains": ("like", "like", False),
    "not_contains": ("like", "not like", True),
    "starts_with": ("like", "like", False),
    "ends_with": ("like", "like", False),
}


@dataclass(frozen=True)
class ReadSpec:
    module: str
    module_id: str
    fields: tuple[str, ...]
    condition: Condition | None
    page: int
    callback: dict[str, str] | None
    raw_query: dict[str, Any]


def _criteria_error(message: str, **details: Any) -> BulkError:
    return BulkError(400, "INVALID_CRITERIA", message, details)


def _criteria(raw: Any, count: list[int]) -> Condition:
    if not isinstance(raw, Mapping):
        raise _criteria_error("invalid criteria")
    group = raw.get("group")
    if group is not None:
        operator = str(raw.get("group_operator", "")).lower()
        if operator not in ("and", "or"):
            raise BulkError(400, "GROUP_OPERATOR_NOT_SUPPORTED", "the group operator is not supported", {})
        if not isinstance(group, list) or len(group) < 2:
            raise _criteria_error("a group needs at least two criteria")
        conditions = [_criteria(item, count) for item in group]
        combined = conditions[0]
        for condition in conditions[1:]:
            combined = BoolOp(operator, combined, condition)  # type: ignore[arg-type]
        return combined
    count[0] += 1
    if count[0] > MAX_READ_CRITERIA:
        raise BulkError(400, "CRITERIA_LIMIT_EXCEEDED", "too many criteria", {"limit": MAX_READ_CRITERIA})
    field_ref = raw.get("field")
    api_name = field_ref.get("api_name") if isinstance(field_ref, Mapping) else raw.get("api_name")
    comparator = raw.get("comparator")
    if not isinstance(api_name, str) or comparator not in _COMPARATORS:
        raise _criteria_error("invalid criteria", api_name=api_name, comparator=comparator)
    kind, op, negated = _COMPARATORS[comparator]
    value = raw.get("value")
    if kind in ("in", "between"):
        values = tuple(value) if isinstance(value, list) else (value,)
        if kind == "between" and len(values) != 2:
            raise _criteria_error("between needs two values", api_name=api_name)
    else:
        if isinstance(value, list | Mapping) or value is None:
            raise BulkError(400, "VALUE_TYPE_NOT_SUPPORTED", "the value type is not supported", {"api_name": api_name})
        values = (value,)
    if kind == "like":
        text = str(value)
        pattern = {"contains": f"%{text}%", "not_contains": f"%{text}%", "starts_with": f"{text}%"}.get(
            comparator, f"%{text}"
        )
        values = (pattern,)
    scalars: tuple[Scalar, ...] = tuple(v if isinstance(v, str | int | float | bool) else str(v) for v in values)
    return Predicate(kind, Column(tuple(api_name.split("."))), op, negated, scalars)  # type: ignore[arg-type]


def parse_read_request(body: Any, *, fields: FieldsFn, module_id: Callable[[str], str]) -> ReadSpec:
    """Validate a ``POST /crm/bulk/v8/read`` body."""
    if not isinstance(body, Mapping) or not body:
        raise BulkError(400, "REQUEST_BODY_IS_EMPTY", "the request body is empty", {})
    callback = _callback(body)
    query = body.get("query")
    if not isinstance(query, Mapping):
        raise BulkError(400, "MANDATORY_NOT_FOUND", "required key query is not found", {"api_name": "query"})
    module = _module_name(query.get("module"))
    if module is None:
        raise BulkError(400, "MANDATORY_NOT_FOUND", "required key module is not found", {"api_name": "module"})
    module_fields = fields(module)
    if module_fields is None:
        raise BulkError(400, "MODULE_NOT_AVAILABLE", f"Requested module '{module}' is not available.", {})
    requested = query.get("fields")
    if requested is None:
        names = tuple(name for name in module_fields if name != "id")
    elif isinstance(requested, list) and all(isinstance(name, str) for name in requested):
        names = tuple(name for name in requested if name.lower() != "id")
    else:
        raise BulkError(400, "INVALID_DATA", "fields must be a list of API names", {"api_name": "fields"})
    for name in names:
        if name.split(".")[0] not in module_fields:
            raise BulkError(400, "FIELD_NOT_AVAILABLE", f"the field {name} is not available", {"api_name": name})
    page = query.get("page", 1)
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise BulkError(400, "INVALID_DATA", "invalid page", {"api_name": "page"})
    if page > MAX_READ_PAGE:
        raise BulkError(400, "PAGE_RANGE_EXCEEDED", "the page is out of range", {"max_limit": MAX_READ_PAGE})
    raw_criteria = query.get("criteria")
    condition = _criteria(raw_criteria, [0]) if raw_criteria else None
    return ReadSpec(module, module_id(module), names, condition, page, callback, dict(query))


@dataclass
class ReadJob:
    id: str
    spec: ReadSpec
    created_time: str
    created_by: dict[str, str]
    state: str = "ADDED"
    count: int = 0
    more_records: bool = False
    result_zip: bytes | None = None
    error: str | None = None

    def body(self) -> dict[str, Any]:
        """``GET /crm/bulk/v8/read/{id}`` (the reply wraps it in ``data``)."""
        query = {
            **self.spec.raw_query,
            "module": {"api_name": self.spec.module, "id": self.spec.module_id},
            "page": self.spec.page,
        }
        body: dict[str, Any] = {
            "id": self.id,
            "operation": "read",
            "state": self.state,
            "query": query,
            "created_by": self.created_by,
            "created_time": self.created_time,
            "file_type": "csv",
        }
        if self.state == "COMPLETED":
            result: dict[str, Any] = {
                "page": self.spec.page,
                "count": self.count,
                "download_url": f"/crm/bulk/v8/read/{self.id}/result",
                "per_page": READ_PAGE_SIZE,
                "more_records": self.more_records,
            }
            body["result"] = result
        return body


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Mapping):
        return str(value.get("id", value.get("name", "")))
    if isinstance(value, list):
        return ";".join(_csv_value(item.get("name") if isinstance(item, Mapping) else item) for item in value)
    return str(value)


def run_read_job(job: ReadJob, *, fields: FieldsFn, records: RecordsFn, get_record: GetRecordFn) -> None:
    """Filter, order by id, cut the requested page and build the result zip."""
    spec = job.spec
    columns = [Column(tuple(name.split("."))) for name in spec.fields]
    compiler = Binder(spec.module, fields, get_record)
    try:
        resolved = [compiler.column(c, "select") for c in columns]
        test = compile_condition(spec.condition, _where_resolver(compiler)) if spec.condition else None
    except CoqlError as exc:
        raise BulkError(400, "INVALID_CRITERIA", exc.message, exc.details) from None
    matched = [r for r in records(spec.module) if test is None or test(r)]
    matched.sort(key=lambda r: int(r.get("id") or 0))
    start = (spec.page - 1) * READ_PAGE_SIZE
    page = matched[start : start + READ_PAGE_SIZE]
    job.count = len(page)
    job.more_records = len(matched) > start + READ_PAGE_SIZE
    header = ["Id", *spec.fields]
    rows = ([str(r.get("id", "")), *(_csv_value(c.getter(r)) for c in resolved)] for r in page)
    job.result_zip = make_zip(f"{job.id}.csv", [header, *rows])


def _where_resolver(binder: Binder) -> Callable[[Operand], Resolved]:
    def resolve(operand: Operand) -> Resolved:
        if not isinstance(operand, Column):
            raise CoqlError("INVALID_QUERY", "aggregate not allowed", {"clause": "where"})
        return binder.column(operand, "where")

    return resolve


def validate_read_spec(spec: ReadSpec, *, fields: FieldsFn, get_record: GetRecordFn) -> None:
    """Check the criteria against field types now, so a bad request fails at creation and not in the job."""
    compiler = Binder(spec.module, fields, get_record)
    try:
        for name in spec.fields:
            compiler.column(Column(tuple(name.split("."))), "select")
        if spec.condition is not None:
            compile_condition(spec.condition, _where_resolver(compiler))
    except CoqlError as exc:
        code = "INVALID_CRITERIA" if exc.details.get("clause") != "select" else "FIELD_NOT_AVAILABLE"
        raise BulkError(400, code, exc.message, exc.details) from None


# ---- the worker -----------------------------------------------------------------------------------------------

Notifier = Callable[[str, dict[str, Any]], None]


@dataclass
class _Task:
    run: Callable[[], None]
    done: threading.Event = field(default_factory=threading.Event)


class JobRunner:
    """One daemon thread that runs queued jobs in order; ``wait_idle`` lets tests and benchmarks sync."""

    def __init__(self) -> None:
        self._queue: queue.Queue[_Task | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._pending = 0
        self._idle = threading.Condition(self._lock)
        self._go = threading.Event()
        self._go.set()

    def pause(self) -> None:
        """Hold queued jobs in ADDED until ``resume`` (tests observe the states this way)."""
        self._go.clear()

    def resume(self) -> None:
        self._go.set()

    def submit(self, run: Callable[[], None]) -> None:
        with self._lock:
            self._pending += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="zoho-bulk-jobs", daemon=True)
                self._thread.start()
        self._queue.put(_Task(run))

    def _loop(self) -> None:
        while True:
            task = self._queue.get()
            if task is None:
                return
            self._go.wait()
            try:
                task.run()
            except Exception:  # a failed job is recorded by its own runner; never kill the worker
                log.exception("bulk job crashed")
            finally:
                with self._lock:
                    self._pending -= 1
                    self._idle.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until every submitted job has finished; False on timeout."""
        with self._lock:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self) -> None:
        thread = self._thread
        self._go.set()
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout=5)


__all__ = [
    "BulkError",
    "ColumnMapping",
    "FieldInfo",
    "JobRunner",
    "ReadJob",
    "ReadSpec",
    "RowOutcome",
    "RowWriter",
    "Upload",
    "WriteJob",
    "WriteSpec",
    "make_zip",
    "parse_read_request",
    "parse_write_request",
    "read_upload",
    "run_read_job",
    "run_write_job",
]
