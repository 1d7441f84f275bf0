"""COQL aggregates: ``group by`` (up to 4 columns) with COUNT, SUM, AVG, MIN and MAX, ``having`` and ordering.

Groups are built in one pass over the matching records; aggregates used only in ``having`` or ``order by``
are computed per group too and left out of the reply.

Example:
    >>> from leadflow_emulators.zoho.coql import parse
    >>> from leadflow_emulators.zoho.coql_eval import FieldInfo, execute
    >>> fields = {"Stage": FieldInfo("Stage", "picklist"), "Amount": FieldInfo("Amount", "currency")}
    >>> rows = [{"id": "1", "Stage": "Won", "Amount": 5.0}, {"id": "2", "Stage": "Won", "Amount": 7.0}]
    >>> execute(parse("select Stage, SUM(Amount) from Deals group by Stage"), fields=lambda m: fields,
    ...         records=lambda m: rows, get_record=lambda m, i: None).data
    [{'Stage': 'Won', 'SUM(Amount)': 12.0}]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from leadflow_emulators.zoho.coql import Aggregate, BoolOp, Column, Condition, CoqlError, Operand, Predicate, Query
from leadflow_emulators.zoho.coql_eval import (
    _KEYS,
    _NUMBERS,
    Binder,
    CoqlResult,
    FieldInfo,
    FieldLike,
    Getter,
    Record,
    RecordsFn,
    Resolved,
    Test,
    _category,
    _column_only,
    _lookup_id,
    _number_key,
    _order,
    _output,
    _sort_key,
    _text_key,
    compile_condition,
)


def _aggregate_value(aggregate: Aggregate, resolved: Resolved | None, members: list[Record]) -> Any:
    if resolved is None:
        return len(members)
    name = resolved.field
    values = [r.get(name) for r in members] if name is not None else [resolved.getter(r) for r in members]
    present = [v for v in values if v is not None and v != "" and v != [] and v != {}]
    if aggregate.fn == "COUNT":
        return len(present)
    category = _category(resolved.info)
    if aggregate.fn in ("SUM", "AVG"):
        converted: list[float | None] = [v if type(v) in _NUMBERS else _number_key(v) for v in present]
        numbers: list[float] = [n for n in converted if n is not None]
        if aggregate.fn == "SUM":
            total = sum(numbers)
            return int(total) if resolved.info.data_type in ("integer", "bigint", "long") else total
        return sum(numbers) / len(numbers) if numbers else None
    if not present:
        return None
    key = _KEYS.get(category, _text_key)
    chosen = (min if aggregate.fn == "MIN" else max)(present, key=key)
    return chosen


def execute_aggregate(query: Query, compiler: Binder, records: RecordsFn) -> CoqlResult:
    """A ``group by`` and/or aggregate query: one row per group, ``having``, ``order by`` and the page."""
    group_cols = [compiler.column(c, "group by") for c in query.group_by]
    group_names = {c.text.lower() for c in query.group_by} | {g.key.lower() for g in group_cols}
    outputs: list[tuple[str, Operand, Resolved | None]] = []
    for item in query.select:
        if isinstance(item.expr, Aggregate):
            aggregate = item.expr
            resolved = compiler.column(aggregate.column, "select") if aggregate.column else None
            if resolved and aggregate.fn in ("SUM", "AVG") and _category(resolved.info) != "number":
                raise CoqlError(
                    "INVALID_QUERY",
                    "data type not supported",
                    {"column_name": aggregate.column.text if aggregate.column else "*", "function": aggregate.fn},
                )
            outputs.append((item.key, aggregate, resolved))
        else:
            resolved = compiler.column(item.expr, "select")
            if item.expr.text.lower() not in group_names and resolved.key.lower() not in group_names:
                raise CoqlError(
                    "INVALID_QUERY",
                    "column given seems to be invalid",
                    {"column_name": item.expr.text, "clause": "select", "reason": "column is not in group by"},
                )
            outputs.append((item.alias or resolved.key, item.expr, resolved))
    test = compile_condition(query.where, lambda o: _column_only(compiler, o, "where")) if query.where else None
    groups = _group(records(query.module), test, group_cols)
    if not query.group_by and not groups:
        groups[()] = []
    rows: list[dict[str, Any]] = []
    extra_aggregates = _extra_aggregates(query)
    for members in groups.values():
        row: dict[str, Any] = {}
        first = members[0] if members else {}
        for out_key, expr, resolved in outputs:
            if isinstance(expr, Aggregate):
                row[out_key] = _aggregate_value(expr, resolved, members)
            elif resolved is not None:
                row[out_key] = _output(resolved.getter(first), resolved.info)
        hidden = {
            a.text: _aggregate_value(a, compiler.column(a.column, "having") if a.column else None, members)
            for a in extra_aggregates
        }
        rows.append({**row, **{f"\x00{k}": v for k, v in hidden.items()}})
    resolve_group = _group_resolver(query, compiler, outputs)
    if query.having is not None:
        having = compile_condition(query.having, resolve_group)
        rows = [r for r in rows if having(r)]
    keys = [(_sort_key(resolve_group(o.expr)), o.descending) for o in query.order_by]
    _order(rows, keys)
    page = rows[query.offset : query.offset + query.limit]
    data = [{k: v for k, v in row.items() if not k.startswith("\x00")} for row in page]
    return CoqlResult(data, len(rows) > query.offset + query.limit)


def _group(rows: Iterable[Record], test: Test | None, columns: list[Resolved]) -> dict[tuple[Any, ...], list[Record]]:
    """Matching records by the tuple of their group-by values (one dict pass, no per-record tuple for one column)."""
    single: dict[Any, list[Record]] = {}
    if len(columns) == 1:
        part = _group_part(columns[0])
        for record in rows:
            if test is None or test(record):
                key = part(record)
                members = single.get(key)
                if members is None:
                    single[key] = [record]
                else:
                    members.append(record)
        return {(key,): members for key, members in single.items()}
    groups: dict[tuple[Any, ...], list[Record]] = {}
    parts = [_group_part(column) for column in columns]
    for record in rows:
        if test is None or test(record):
            groups.setdefault(tuple([part(record) for part in parts]), []).append(record)
    return groups


def _group_part(resolved: Resolved) -> Getter:
    getter = resolved.getter
    if _category(resolved.info) == "lookup":
        return lambda record: _lookup_id(getter(record))
    name = resolved.field
    if name is not None:
        return lambda record: v if type(v := record.get(name)) in _PLAIN or v is None else _hashable(v)
    return lambda record: _hashable(getter(record))


def _hashable(value: Any) -> Any:
    if value is None or type(value) in _PLAIN:
        return value
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, Mapping):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


_PLAIN = frozenset({str, int, float, bool})


def _extra_aggregates(query: Query) -> list[Aggregate]:
    """Aggregates used in having/order by but not selected: computed per group and hidden from the reply."""
    found: list[Aggregate] = []

    def walk(condition: Condition | None) -> None:
        if isinstance(condition, BoolOp):
            walk(condition.left)
            walk(condition.right)
        elif isinstance(condition, Predicate) and isinstance(condition.operand, Aggregate):
            found.append(condition.operand)

    walk(query.having)
    found.extend(o.expr for o in query.order_by if isinstance(o.expr, Aggregate))
    return [a for a in found if a not in query.aggregates]


def _group_resolver(
    query: Query, compiler: Binder, outputs: list[tuple[str, Operand, Resolved | None]]
) -> Callable[[Operand], Resolved]:
    """Resolve having/order-by operands against the per-group rows built from the select list."""

    def resolve(operand: Operand) -> Resolved:
        for out_key, expr, resolved in outputs:
            alias_hit = isinstance(operand, Column) and operand.path == (out_key,)
            if (
                expr == operand
                or alias_hit
                or (
                    isinstance(operand, Column)
                    and resolved is not None
                    and operand.text.lower() == resolved.key.lower()
                )
            ):
                return Resolved(_row_getter(out_key), _aggregate_info(expr, resolved), out_key)
        if isinstance(operand, Aggregate):
            resolved = compiler.column(operand.column, "having") if operand.column else None
            hidden = f"\x00{operand.text}"
            return Resolved(_row_getter(hidden), _aggregate_info(operand, resolved), operand.text)
        raise CoqlError(
            "INVALID_QUERY",
            "column given seems to be invalid",
            {"column_name": operand.text, "clause": "order by", "reason": "column is not in group by"},
        )

    return resolve


def _row_getter(key: str) -> Getter:
    return lambda row: row.get(key)


def _aggregate_info(expr: Operand, resolved: Resolved | None) -> FieldLike:
    if isinstance(expr, Aggregate) and (expr.fn in ("COUNT", "SUM", "AVG") or resolved is None):
        return FieldInfo(expr.text, "double")
    assert resolved is not None
    return resolved.info
