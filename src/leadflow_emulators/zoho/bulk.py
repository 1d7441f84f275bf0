"""Bulk write: uploaded zips, ``POST /crm/bulk/v8/write`` requests, write jobs and their result zips.

No HTTP here and no record store: rows are written through a :class:`RowWriter` (the backend's own
per-record validation and upsert path). Jobs run on :class:`~leadflow_emulators.common.jobs.JobRunner`;
a job moves ADDED -> IN PROGRESS -> COMPLETED (or FAILED). Bulk read lives in ``bulk_read``.

Example:
    >>> data = make_zip("leads.csv", [["Last_Name"], ["Ng"]])
    >>> upload = read_upload(data, file_id="1", created_time="2026-01-01T00:00:00+00:00")
    >>> (upload.csv_name, upload.header, upload.rows)
    ('leads.csv', ['Last_Name'], [['Ng']])
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from leadflow_emulators.zoho.coql_eval import FieldLike, FieldsFn

MAX_ROWS = 25_000
MAX_FILE_BYTES = 25 * 1024 * 1024
WRITE_CHUNK = 1000

Operation = Literal["insert", "update", "upsert"]


class BulkError(Exception):
    """A bulk request Zoho refuses: HTTP status plus the flat error body (bulk write and bulk read)."""

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


def parse_callback(body: Mapping[str, Any]) -> dict[str, str] | None:
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


def module_name(value: Any) -> str | None:
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
    callback = parse_callback(body)
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
    module = module_name(resource.get("module"))
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


def _header_mapping(header: str, index: int) -> dict[str, Any]:
    field, _, target = header.partition(".")
    if not target:
        return {"api_name": header, "index": index}
    if target.lower() == "id":
        return {"api_name": field, "index": index}
    return {"api_name": field, "index": index, "find_by": target}


def _mappings(raw: Any, module_fields: Mapping[str, FieldLike], upload: Upload) -> tuple[ColumnMapping, ...]:
    if raw is None:
        # Without mappings Zoho maps the CSV header names onto field API names; a lookup column is named
        # ``Account_Name.id`` (an id) or ``Account_Name.Account_Name`` (found by that field of the target).
        raw = [_header_mapping(name.strip(), index) for index, name in enumerate(upload.header)]
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


RESULT_COLUMNS = 3  # Zoho's result file repeats the first three mapped columns of the upload


def format_errors(errors: Sequence[tuple[str, str]]) -> str:
    """Zoho's ERRORS cell: ``CODE-column`` per code, columns of one code joined by ``,``, codes by ``:``.

    Example:
        >>> format_errors([("MANDATORY_NOT_FOUND", "Company"), ("MANDATORY_NOT_FOUND", "Last_Name"),
        ...                ("DUPLICATE_DATA", "Email")])
        'MANDATORY_NOT_FOUND-Company,Last_Name:DUPLICATE_DATA-Email'
    """
    by_code: dict[str, list[str]] = {}
    for code, column in errors:
        columns = by_code.setdefault(code, [])
        if column not in columns:
            columns.append(column)
    return ":".join(f"{code}-{','.join(columns)}" for code, columns in by_code.items())


def result_csv_name(spec: WriteSpec) -> str:
    """``{module}-{uploaded file name}.csv``, as Zoho names the CSV inside the result zip."""
    stem = spec.upload.csv_name.rsplit(".", 1)[0]
    return f"{spec.module}-{stem}.csv"


def run_write_job(job: WriteJob, *, writer: RowWriter, fields: FieldsFn, lookup_index: LookupIndex) -> None:
    """Write every row through ``writer`` in chunks and build the result zip.

    The result CSV holds the first three mapped columns of the upload, then ``RECORD_ID``, ``STATUS``
    (``ADDED``, ``UPDATED``, ``SKIPPED``) and ``ERRORS`` naming the upload's column headers.
    """
    spec = job.spec
    module_fields = fields(spec.module) or {}
    records, problems = rows_to_records(spec, module_fields, lookup_index)
    header_of = {m.api_name: spec.upload.header[m.index] for m in spec.mappings if m.index is not None}
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
                named = [(code, header_of.get(column, column)) for code, column in errors]
                statuses.append(("", "SKIPPED", format_errors(named)))
            elif outcome.action == "update":
                job.updated += 1
                statuses.append((outcome.record_id or "", "UPDATED", ""))
            else:
                job.added += 1
                statuses.append((outcome.record_id or "", "ADDED", ""))
    shown = sorted({m.index for m in spec.mappings if m.index is not None})[:RESULT_COLUMNS]
    header = [*(spec.upload.header[i] for i in shown), "RECORD_ID", "STATUS", "ERRORS"]
    rows = (
        [*(row[i] if i < len(row) else "" for i in shown), *status]
        for row, status in zip(spec.upload.rows, statuses, strict=True)
    )
    job.result_zip = make_zip(result_csv_name(spec), [header, *rows])
