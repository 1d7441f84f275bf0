"""COQL evaluation over any record source: field metadata and records come in as callables.

The where clause is compiled once per query into nested Python closures (one per criterion), so a query
over 100,000 records walks no syntax tree per record. Comparison rules follow Zoho: text compares without
case, ``like`` supports ``%`` anywhere, numbers/dates/datetimes order, lookups compare by id, multi-select
picklists and ``Tag`` match when any of their values matches, and empty values count as null.

Example:
    >>> from leadflow_emulators.zoho.coql import parse
    >>> fields = {"id": FieldInfo("id", "bigint"), "Last_Name": FieldInfo("Last_Name", "text")}
    >>> rows = [{"id": "2", "Last_Name": "Ng"}, {"id": "1", "Last_Name": "Li"}]
    >>> result = execute(parse("select Last_Name from Leads where Last_Name like 'n%'"),
    ...                  fields=lambda m: fields, records=lambda m: rows, get_record=lambda m, i: None)
    >>> result.body()
    {'data': [{'Last_Name': 'Ng', 'id': '2'}], 'info': {'count': 1, 'more_records': False}}
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from leadflow_emulators.zoho.coql import (
    Aggregate,
    BoolOp,
    Column,
    Condition,
    CoqlError,
    Operand,
    Predicate,
    Query,
    Scalar,
)

Record = Mapping[str, Any]
Getter = Callable[[Record], Any]
Test = Callable[[Record], bool]

TEXT_TYPES = frozenset({"text", "email", "phone", "website", "picklist", "autonumber", "formula", "textarea"})
NUMBER_TYPES = frozenset({"integer", "bigint", "long", "double", "currency", "decimal", "percent"})
LOOKUP_TYPES = frozenset({"lookup", "ownerlookup", "userlookup"})
MULTI_TYPES = frozenset({"multiselectpicklist", "tag"})
ORDERED_TYPES = NUMBER_TYPES | {"date", "datetime"}

_ALLOWED_OPS: dict[str, frozenset[str]] = {
    "text": frozenset({"=", "!=", "like", "in", "null"}),
    "number": frozenset({"=", "!=", "<", ">", "<=", ">=", "between", "in", "null"}),
    "boolean": frozenset({"=", "!=", "null"}),
    "lookup": frozenset({"=", "!=", "in", "null"}),
    "multi": frozenset({"=", "!=", "like", "in", "null"}),
}


class FieldLike(Protocol):
    """Any field description with these attributes (the backend's field metadata fits)."""

    @property
    def api_name(self) -> str: ...

    @property
    def data_type(self) -> str: ...

    @property
    def lookup_module(self) -> str | None: ...


@dataclass(frozen=True)
class FieldInfo:
    """What COQL needs to know of a field: its Zoho ``data_type`` and, for lookups, the target module."""

    api_name: str
    data_type: str
    lookup_module: str | None = None


FieldsFn = Callable[[str], Mapping[str, FieldLike] | None]
RecordsFn = Callable[[str], Iterable[Record]]
GetRecordFn = Callable[[str, str], Record | None]


@dataclass(frozen=True)
class CoqlResult:
    """The rows of one COQL page and whether more match beyond it."""

    data: list[dict[str, Any]]
    more_records: bool

    def body(self) -> dict[str, Any]:
        """Zoho's reply body (the HTTP layer answers 204 instead when ``data`` is empty)."""
        return {"data": self.data, "info": {"count": len(self.data), "more_records": self.more_records}}


def _category(info: FieldLike) -> str:
    data_type = "tag" if info.api_name == "Tag" else info.data_type
    if data_type in NUMBER_TYPES:
        return "number"
    if data_type in ("date", "datetime"):
        return data_type
    if data_type == "boolean":
        return "boolean"
    if data_type in LOOKUP_TYPES:
        return "lookup"
    if data_type in MULTI_TYPES:
        return "multi"
    return "text"


def _is_null(value: Any) -> bool:
    if value is None:
        return True
    kind = type(value)
    return not value if kind is str or kind is list or kind is dict else False


def _lookup_id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    return None if _is_null(value) else str(value)


def _datetime_key(value: Any) -> float | None:
    if _is_null(value):
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _as_number(value: Any) -> int | float:
    """A number from an int, float or numeric string; integral strings stay exact ints (19-digit ids)."""
    if type(value) is int or type(value) is float:
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        return float(text)


def _number_key(value: Any) -> int | float | None:
    if _is_null(value) or isinstance(value, bool):
        return None
    try:
        return _as_number(value)
    except (TypeError, ValueError):
        return None


def _text_key(value: Any) -> str | None:
    if type(value) is str:
        return value.lower() if value else None
    return None if _is_null(value) else str(value).lower()


def _date_key(value: Any) -> str | None:
    return None if _is_null(value) else str(value)[:10]


def _bool_key(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, bool) else str(value).lower() == "true"


def _multi_key(value: Any) -> frozenset[str]:
    if _is_null(value):
        return frozenset()
    items = value if isinstance(value, list) else str(value).split(";")
    names = (item.get("name") if isinstance(item, Mapping) else item for item in items)
    return frozenset(str(name).lower() for name in names if not _is_null(name))


_KEYS: dict[str, Callable[[Any], Any]] = {
    "number": _number_key,
    "date": _date_key,
    "datetime": _datetime_key,
    "boolean": _bool_key,
    "lookup": _lookup_id,
    "text": _text_key,
}


def _like_matcher(pattern: str) -> Callable[[str], bool]:
    body = pattern.lower()
    inner = body.strip("%")
    if "%" not in inner:
        if body.startswith("%") and body.endswith("%") and len(body) > 1:
            return lambda v: inner in v
        if body.endswith("%"):
            return lambda v: v.startswith(inner)
        if body.startswith("%"):
            return lambda v: v.endswith(inner)
        return lambda v: v == body
    regex = re.compile(".*".join(re.escape(part) for part in body.split("%")), re.DOTALL)
    return lambda v: regex.fullmatch(v) is not None


@dataclass(frozen=True)
class Resolved:
    """A column bound to the query's module: how to read it from a record, its type, its output key."""

    getter: Getter
    info: FieldLike
    key: str
    field: str | None = None  # set when the column is a plain field of the record (no lookup hop)


class Binder:
    """Binds column references of one module to getters (following lookups, caching fetched records).

    Example:
        >>> binder = Binder("Leads", lambda m: {"Email": FieldInfo("Email", "email")}, lambda m, i: None)
        >>> binder.column(Column(("Email",)), "select").getter({"Email": "a@x.io"})
        'a@x.io'
    """

    def __init__(self, module: str, fields: FieldsFn, get_record: GetRecordFn) -> None:
        self.fields = fields
        self.get_record = get_record
        self.cache: dict[tuple[str, str], Record | None] = {}
        base = fields(module)
        if base is None:
            raise CoqlError("INVALID_QUERY", "invalid module given", {"module": module, "reason": "invalid module"})
        self.base = base

    def _field(self, module_fields: Mapping[str, FieldLike], name: str, column: Column, clause: str) -> FieldLike:
        info = module_fields.get(name)
        if info is None:
            lowered = name.lower()
            info = next((f for api, f in module_fields.items() if api.lower() == lowered), None)
        if info is None and name.lower() == "id":
            info = FieldInfo("id", "bigint")
        if info is None:
            raise CoqlError(
                "INVALID_QUERY", "column given seems to be invalid", {"column_name": column.text, "clause": clause}
            )
        return info

    def _fetch(self, module: str, record_id: str) -> Record | None:
        key = (module, record_id)
        if key not in self.cache:
            self.cache[key] = self.get_record(module, record_id)
        return self.cache[key]

    def column(self, column: Column, clause: str) -> Resolved:
        if len(column.path) == 2 and column.path[0].lower() == "tag" and column.path[1].lower() in ("name", "id"):
            return _tag_part(column.path[1].lower())
        module_fields = self.base
        getters: list[tuple[str, str | None]] = []
        names: list[str] = []
        info: FieldLike = FieldInfo("", "")
        for position, name in enumerate(column.path):
            info = self._field(module_fields, name, column, clause)
            names.append(info.api_name)
            last = position == len(column.path) - 1
            if last:
                getters.append((info.api_name, None))
                break
            if _category(info) != "lookup" or not info.lookup_module:
                raise CoqlError(
                    "INVALID_QUERY",
                    "column given seems to be invalid",
                    {"column_name": column.text, "clause": clause, "reason": f"{info.api_name} is not a lookup"},
                )
            getters.append((info.api_name, info.lookup_module))
            target = self.fields(info.lookup_module)
            if target is None:
                raise CoqlError(
                    "INVALID_QUERY", "column given seems to be invalid", {"column_name": column.text, "clause": clause}
                )
            module_fields = target
        simple = getters[0][0] if len(getters) == 1 else None
        return Resolved(self._chain(getters), info, ".".join(names), simple)

    def _chain(self, steps: list[tuple[str, str | None]]) -> Getter:
        name, _ = steps[-1]
        if len(steps) == 1:
            return lambda record: record.get(name)
        hops = steps[:-1]
        fetch = self._fetch

        def getter(record: Record) -> Any:
            current: Record | None = record
            for field_name, module in hops:
                target_id = _lookup_id(current.get(field_name)) if current is not None else None
                if target_id is None or module is None:
                    return None
                current = fetch(module, target_id)
            return current.get(name) if current is not None else None

        return getter


def _tag_part(part: str) -> Resolved:
    """``Tag.name`` / ``Tag.id``: the list of that part of the record's tags, matched like a multi-select."""

    def getter(record: Record) -> list[Any]:
        tags = record.get("Tag") or []
        return [tag.get(part) for tag in tags if isinstance(tag, Mapping)]

    return Resolved(getter, FieldInfo(f"Tag.{part}", "tag"), f"Tag.{part}")


def _literal(value: Scalar, category: str, info: FieldLike, column: str) -> Any:
    def invalid() -> CoqlError:
        return CoqlError(
            "INVALID_QUERY",
            "value given seems to be invalid for the column",
            {"column_name": column, "expected_data_type": info.data_type},
        )

    if category == "number":
        if isinstance(value, bool):
            raise invalid()
        try:
            return _as_number(value)
        except ValueError:
            raise invalid() from None
    if category == "date":
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise invalid() from None
    if category == "datetime":
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            raise invalid() from None
        if parsed.tzinfo is None:
            raise invalid()
        return parsed.timestamp()
    if category == "boolean":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
        raise invalid()
    if category == "lookup":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).lower()


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


def compile_predicate(predicate: Predicate, getter: Getter, info: FieldLike, column: str) -> Test:
    """One criterion as a closure over a record, values converted to the field's type up front."""
    category = _category(info)
    op_family = {"compare": predicate.op, "like": "like", "in": "in", "between": "between", "null": "null"}[
        predicate.kind
    ]
    allowed = _ALLOWED_OPS.get(category, _ALLOWED_OPS["number"])
    if op_family not in allowed or (info.data_type == "textarea" and predicate.kind != "null"):
        raise CoqlError(
            "INVALID_QUERY",
            "data type not supported",
            {"column_name": column, "operator": predicate.op, "data_type": info.data_type},
        )
    if predicate.kind == "null":
        if category == "multi":
            return (
                (lambda r: bool(_multi_key(getter(r)))) if predicate.negated else (lambda r: not _multi_key(getter(r)))
            )
        return (lambda r: not _is_null(getter(r))) if predicate.negated else (lambda r: _is_null(getter(r)))
    if category == "multi":
        return _multi_predicate(predicate, getter)
    key = _KEYS[category]
    literals = [_literal(v, category, info, column) for v in predicate.values]
    if predicate.kind == "compare":
        target, compare = literals[0], _COMPARE[predicate.op]
        if predicate.op == "!=":
            return lambda r: key(getter(r)) != target
        if predicate.op == "=":
            return lambda r: key(getter(r)) == target

        def ordered(r: Record) -> bool:
            current = key(getter(r))
            return current is not None and compare(current, target)

        return ordered
    if predicate.kind == "in":
        members = frozenset(literals)
        if predicate.negated:
            return lambda r: key(getter(r)) not in members
        return lambda r: key(getter(r)) in members
    if predicate.kind == "between":
        low, high = literals

        def between(r: Record) -> bool:
            current = key(getter(r))
            return current is not None and low <= current <= high

        if predicate.negated:
            return lambda r: not between(r)
        return between
    match = _like_matcher(str(predicate.values[0]))

    def like(r: Record) -> bool:
        current = key(getter(r))
        return current is not None and match(current)

    if predicate.negated:
        return lambda r: not like(r)
    return like


def _multi_predicate(predicate: Predicate, getter: Getter) -> Test:
    literals = [str(v).lower() for v in predicate.values]
    if predicate.kind == "like":
        match = _like_matcher(literals[0])
        hit: Test = lambda r: any(match(v) for v in _multi_key(getter(r)))  # noqa: E731
    elif predicate.kind == "in":
        wanted = frozenset(literals)
        hit = lambda r: not wanted.isdisjoint(_multi_key(getter(r)))  # noqa: E731
    elif ";" in literals[0]:
        exact = frozenset(part.strip() for part in literals[0].split(";"))
        hit = lambda r: _multi_key(getter(r)) == exact  # noqa: E731
    else:
        single = literals[0]
        hit = lambda r: single in _multi_key(getter(r))  # noqa: E731
    if predicate.negated or predicate.op == "!=":
        return lambda r: not hit(r)
    return hit


def compile_condition(condition: Condition, resolve: Callable[[Operand], Resolved]) -> Test:
    """The where (or having) tree as a single closure."""
    if isinstance(condition, BoolOp):
        left = compile_condition(condition.left, resolve)
        right = compile_condition(condition.right, resolve)
        if condition.op == "and":
            return lambda r: left(r) and right(r)
        return lambda r: left(r) or right(r)
    resolved = resolve(condition.operand)
    test = compile_predicate(condition, resolved.getter, resolved.info, condition.operand.text)
    if resolved.field is not None:
        return _fast_predicate(condition, resolved.field, resolved.info, condition.operand.text) or test
    return test


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


def _fast_predicate(predicate: Predicate, name: str, info: FieldLike, column: str) -> Test | None:
    """Specialised closures for the hot cases (plain text or number fields): one call per record.

    Same results as :func:`compile_predicate` (which has already validated the predicate); values of an
    unexpected type fall back to the generic key functions.
    """
    category = _category(info)
    if predicate.kind == "null" and category != "multi":
        if predicate.negated:
            return lambda r: (v := r.get(name)) is not None and v != "" and v != [] and v != {}
        return lambda r: (v := r.get(name)) is None or v == "" or v == [] or v == {}
    if category not in ("text", "number") or predicate.kind not in ("compare", "in", "like"):
        return None
    literals = [_literal(v, category, info, column) for v in predicate.values]
    if category == "text":
        text_key = _text_key
        if predicate.kind == "like":
            match = _like_matcher(str(predicate.values[0]))

            def like(r: Record) -> bool:
                v = r.get(name)
                v = v.lower() if type(v) is str and v else text_key(v)
                return v is not None and match(v)

            return (lambda r: not like(r)) if predicate.negated else like
        if predicate.kind == "in":
            members = frozenset(literals)
            if predicate.negated:
                return lambda r: (v.lower() if type(v := r.get(name)) is str and v else text_key(v)) not in members
            return lambda r: (v.lower() if type(v := r.get(name)) is str and v else text_key(v)) in members
        target = literals[0]
        if target == "" or predicate.op not in ("=", "!="):
            return None
        if predicate.op == "=":
            return lambda r: (v.lower() if type(v := r.get(name)) is str and v else text_key(v)) == target
        return lambda r: (v.lower() if type(v := r.get(name)) is str and v else text_key(v)) != target
    number_key = _number_key
    if predicate.kind == "in":
        numbers = frozenset(literals)
        if predicate.negated:
            return lambda r: (v if type(v := r.get(name)) in _NUMBERS else number_key(v)) not in numbers
        return lambda r: (v if type(v := r.get(name)) in _NUMBERS else number_key(v)) in numbers
    if predicate.kind != "compare":
        return None
    target = literals[0]
    if predicate.op == "=":
        return lambda r: (v if type(v := r.get(name)) in _NUMBERS else number_key(v)) == target
    if predicate.op == "!=":
        return lambda r: (v if type(v := r.get(name)) in _NUMBERS else number_key(v)) != target
    compare = _OPERATORS[predicate.op]

    def ordered(r: Record) -> bool:
        v = r.get(name)
        if type(v) not in _NUMBERS:
            v = number_key(v)
            if v is None:
                return False
        return compare(v, target)

    return ordered


_NUMBERS = frozenset({int, float})


def _sort_key(resolved: Resolved) -> Callable[[Record], tuple[bool, Any]]:
    category = _category(resolved.info)
    getter = resolved.getter
    if category == "multi":
        return lambda r: (not _multi_key(getter(r)), sorted(_multi_key(getter(r))))
    if resolved.info.api_name == "id":
        return lambda r: (False, int(getter(r) or 0))
    key = _KEYS[category]

    def sort_key(r: Record) -> tuple[bool, Any]:
        value = key(getter(r))
        return (value is None, value if value is not None else 0)

    return sort_key


def _output(value: Any, info: FieldLike) -> Any:
    if _category(info) == "lookup" and info.api_name != "id":
        target = _lookup_id(value)
        return None if target is None else {"id": target}
    return value


def _order(rows: list[Any], keys: list[tuple[Callable[[Any], Any], bool]]) -> None:
    for sort_key, descending in reversed(keys):
        rows.sort(key=sort_key, reverse=descending)


# (module, field, value) -> the records whose field equals value, compared as the backend's index does
# (trimmed, case-insensitive): a superset of what COQL's ``=`` matches, so the full test still runs on them.
# None when the value is too common for the index to beat a scan of the module's cached sorted view.
IndexFn = Callable[[str, str, str], list[Record] | None]
_INDEXED_CATEGORIES = frozenset({"text", "lookup"})


def _candidates(condition: Condition, binder: Binder, index: IndexFn, module: str) -> list[Record] | None:
    """Records an indexed ``=``/``in`` criterion narrows the query to, or None when a full scan is needed."""
    if isinstance(condition, BoolOp):
        left = _candidates(condition.left, binder, index, module)
        right = _candidates(condition.right, binder, index, module)
        if condition.op == "and":
            options = [c for c in (left, right) if c is not None]
            return min(options, key=len) if options else None
        if left is None or right is None:
            return None
        merged = {str(r.get("id")): r for r in left}
        merged.update((str(r.get("id")), r) for r in right)
        return list(merged.values())
    if not isinstance(condition.operand, Column) or condition.negated:
        return None
    if condition.kind != "in" and not (condition.kind == "compare" and condition.op == "="):
        return None
    resolved = binder.column(condition.operand, "where")
    if resolved.field is None or (_category(resolved.info) not in _INDEXED_CATEGORIES and resolved.field != "id"):
        return None
    found: dict[str, Record] = {}
    for value in condition.values:
        if isinstance(value, bool):
            return None
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        hits = index(module, resolved.field, text)
        if hits is None:
            return None
        for record in hits:
            found[str(record.get("id"))] = record
    return list(found.values())


def execute(
    query: Query,
    *,
    fields: FieldsFn,
    records: RecordsFn,
    get_record: GetRecordFn,
    sorted_by_id: bool = False,
    index: IndexFn | None = None,
) -> CoqlResult:
    """Run a parsed query; raise :class:`CoqlError` (``INVALID_QUERY``) for unknown columns or bad values.

    ``sorted_by_id``: the source yields records in ascending id order already (Zoho's default order), so
    only ``order by`` keys are sorted (stable sorts keep id order among ties). ``index``: equality lookups
    on plain text and lookup fields; a where clause whose ``and`` holds such an ``=``/``in`` criterion then
    tests only the records the index returns instead of scanning the module.
    """
    compiler = Binder(query.module, fields, get_record)
    if query.is_aggregate:
        # Imported here: the aggregate module builds on this one's key functions and closures.
        from leadflow_emulators.zoho.coql_aggregate import execute_aggregate

        return execute_aggregate(query, compiler, records)
    selected = [(item, compiler.column(item.expr, "select")) for item in query.select if isinstance(item.expr, Column)]
    test = compile_condition(query.where, lambda o: _column_only(compiler, o, "where")) if query.where else None
    narrowed = _candidates(query.where, compiler, index, query.module) if index and query.where else None
    if narrowed is not None:
        narrowed.sort(key=lambda r: int(r.get("id") or 0))
    source = narrowed if narrowed is not None else records(query.module)
    matched = [r for r in source if test(r)] if test else list(source)
    keys: list[tuple[Callable[[Any], Any], bool]] = [
        (_sort_key(_column_only(compiler, o.expr, "order by")), o.descending) for o in query.order_by
    ]
    if not sorted_by_id:
        keys.append((_sort_key(compiler.column(Column(("id",)), "order by")), False))
    _order(matched, keys)
    page = matched[query.offset : query.offset + query.limit]
    data = []
    for record in page:
        row = {
            item.alias or resolved.key: _output(resolved.getter(record), resolved.info) for item, resolved in selected
        }
        row["id"] = str(record.get("id"))
        data.append(row)
    return CoqlResult(data, len(matched) > query.offset + query.limit)


def _column_only(compiler: Binder, operand: Operand, clause: str) -> Resolved:
    if isinstance(operand, Aggregate):
        raise CoqlError(
            "INVALID_QUERY", "aggregate function not allowed here", {"clause": clause, "column_name": operand.text}
        )
    return compiler.column(operand, clause)
