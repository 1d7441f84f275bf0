"""Bulk read: ``POST /crm/bulk/v8/read`` requests, read jobs and their result zips (CSV, 200,000 per page).

Criteria (``group``/``group_operator``, ``field``/``comparator``/``value``) become COQL predicates and are
evaluated by COQL's compiled closures, so both APIs compare values the same way.

Example:
    >>> from leadflow_emulators.zoho.coql_eval import FieldInfo
    >>> fields = {"Email": FieldInfo("Email", "email")}
    >>> spec = parse_read_request({"query": {"module": "Leads", "fields": ["Email"]}},
    ...                           fields=lambda m: fields, module_id=lambda m: "1")
    >>> (spec.module, spec.fields, spec.page)
    ('Leads', ('Email',), 1)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from leadflow_emulators.zoho.bulk import BulkError, make_zip, module_name, parse_callback
from leadflow_emulators.zoho.coql import BoolOp, Column, Condition, CoqlError, Operand, Predicate, Scalar
from leadflow_emulators.zoho.coql_eval import Binder, FieldsFn, GetRecordFn, RecordsFn, Resolved, compile_condition

READ_PAGE_SIZE = 200_000  # Zoho's; the emulator's own is ZohoLimits.bulk_read_page_size
MAX_READ_PAGE = 50  # likewise ZohoLimits.bulk_read_max_page
MAX_READ_CRITERIA = 25


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
    per_page: int = READ_PAGE_SIZE


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


def parse_read_request(
    body: Any,
    *,
    fields: FieldsFn,
    module_id: Callable[[str], str],
    per_page: int = READ_PAGE_SIZE,
    max_page: int = MAX_READ_PAGE,
) -> ReadSpec:
    """Validate a ``POST /crm/bulk/v8/read`` body; the job's pages hold ``per_page`` records, up to ``max_page``."""
    if not isinstance(body, Mapping) or not body:
        raise BulkError(400, "REQUEST_BODY_IS_EMPTY", "the request body is empty", {})
    callback = parse_callback(body)
    query = body.get("query")
    if not isinstance(query, Mapping):
        raise BulkError(400, "MANDATORY_NOT_FOUND", "required key query is not found", {"api_name": "query"})
    module = module_name(query.get("module"))
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
    if page > max_page:
        raise BulkError(400, "PAGE_RANGE_EXCEEDED", "the page is out of range", {"max_limit": max_page})
    raw_criteria = query.get("criteria")
    condition = _criteria(raw_criteria, [0]) if raw_criteria else None
    return ReadSpec(module, module_id(module), names, condition, page, callback, dict(query), per_page)


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
                "per_page": self.spec.per_page,
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
    start = (spec.page - 1) * spec.per_page
    page = matched[start : start + spec.per_page]
    job.count = len(page)
    job.more_records = len(matched) > start + spec.per_page
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
