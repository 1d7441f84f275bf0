"""COQL parsing: Zoho's select-only query language turned into a small typed syntax tree.

The grammar lives in ``coql.lark`` (lark, LALR). :func:`parse` raises :class:`CoqlError` carrying Zoho's
own codes (``SYNTAX_ERROR``, ``LIMIT_EXCEEDED``, ``DUPLICATE_DATA``) so the HTTP layer only renders it.
Evaluation against records is in :mod:`leadflow_emulators.zoho.coql_eval`.

Example:
    >>> q = parse("select Last_Name from Leads where Email is not null order by Last_Name limit 5, 10")
    >>> (q.module, q.offset, q.limit)
    ('Leads', 5, 10)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import lark

MAX_SELECT_COLUMNS = 50
MAX_CRITERIA = 25
MAX_IN_VALUES = 50
MAX_ORDER_BY = 10
MAX_GROUP_BY = 4
MAX_AGGREGATES = 5
MAX_LIMIT = 2000
MAX_OFFSET_PLUS_LIMIT = 100_000
DEFAULT_LIMIT = 200
MAX_RELATIONS = 2

AggregateFn = Literal["COUNT", "SUM", "AVG", "MIN", "MAX"]
PredicateKind = Literal["compare", "like", "in", "between", "null"]
Scalar = str | float | int | bool


class CoqlError(Exception):
    """A query Zoho would refuse, with the wire ``code``, ``message`` and ``details`` of its 400 reply.

    Example:
        >>> CoqlError("SYNTAX_ERROR", "error occurred while parsing the query", {"clause": "from"}).code
        'SYNTAX_ERROR'
    """

    status_code = 400

    def __init__(self, code: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(f"{code}: {message} {details}")
        self.code = code
        self.message = message
        self.details = details

    def body(self) -> dict[str, Any]:
        """The JSON body Zoho sends for this error."""
        return {"code": self.code, "details": self.details, "message": self.message, "status": "error"}


def syntax_error(*, clause: str | None = None, line: int = 1, column: int = 1, near: str = "") -> CoqlError:
    """A ``SYNTAX_ERROR`` naming either the clause or the position of the offending token."""
    details: dict[str, Any] = {"clause": clause} if clause else {"line": line, "column": column, "near": near}
    return CoqlError("SYNTAX_ERROR", "error occurred while parsing the query", details)


def limit_exceeded(clause: str, limit: int, **extra: Any) -> CoqlError:
    """A ``LIMIT_EXCEEDED`` for one of COQL's documented maxima."""
    return CoqlError(
        "LIMIT_EXCEEDED", f"limit exceeded in {clause} clause", {"clause": clause, "limit": limit, **extra}
    )


@dataclass(frozen=True)
class Column:
    """A field reference, ``("Account_Name", "Industry")`` for ``Account_Name.Industry``."""

    path: tuple[str, ...]

    @property
    def text(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Aggregate:
    """``COUNT(*)``, ``SUM(Amount)`` ...; ``column`` is None for ``*``."""

    fn: AggregateFn
    column: Column | None

    @property
    def text(self) -> str:
        return f"{self.fn}({self.column.text if self.column else '*'})"


Operand = Column | Aggregate


@dataclass(frozen=True)
class SelectItem:
    expr: Operand
    alias: str | None

    @property
    def key(self) -> str:
        """The key of this column in each returned row."""
        return self.alias or self.expr.text


@dataclass(frozen=True)
class Predicate:
    """One criterion. ``values`` holds the literal(s): one for compare/like, the list for in, two for between."""

    kind: PredicateKind
    operand: Operand
    op: str
    negated: bool
    values: tuple[Scalar, ...]


@dataclass(frozen=True)
class BoolOp:
    """``left AND right`` / ``left OR right``; Zoho wants brackets around any longer chain."""

    op: Literal["and", "or"]
    left: Condition
    right: Condition


Condition = Predicate | BoolOp


@dataclass(frozen=True)
class OrderItem:
    expr: Operand
    descending: bool


@dataclass(frozen=True)
class Query:
    """A parsed select query with limits applied."""

    select: tuple[SelectItem, ...]
    module: str
    where: Condition | None = None
    group_by: tuple[Column, ...] = ()
    having: Condition | None = None
    order_by: tuple[OrderItem, ...] = ()
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    aggregates: tuple[Aggregate, ...] = field(default=())

    @property
    def is_aggregate(self) -> bool:
        return bool(self.aggregates or self.group_by)


def credits_for(query: Query) -> int:
    """API credits Zoho charges for a COQL call: 1, 2 or 3 by ``limit`` up to 200, 1000, 2000.

    Example:
        >>> credits_for(parse("select id from Leads limit 500"))
        2
    """
    if query.limit <= 200:
        return 1
    return 2 if query.limit <= 1000 else 3


@lru_cache(maxsize=1)
def _parser() -> lark.Lark:
    grammar = (Path(__file__).with_name("coql.lark")).read_text(encoding="utf-8")
    return lark.Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def parse(text: str) -> Query:
    """Parse a ``select_query``; raise :class:`CoqlError` when Zoho would.

    Example:
        >>> parse("select COUNT(id) from Deals group by Stage").group_by[0].text
        'Stage'
    """
    if not isinstance(text, str) or not text.strip():
        raise syntax_error(clause="select")
    try:
        tree = _parser().parse(text)
    except lark.UnexpectedInput as exc:
        raise _located_syntax_error(text, exc) from None
    return _Builder(text).query(tree)


def _located_syntax_error(text: str, exc: lark.UnexpectedInput) -> CoqlError:
    if isinstance(exc, lark.UnexpectedToken) and exc.token.type == "$END":
        near = text.strip().split()[-1] if text.strip() else ""
        lines = text.rstrip().splitlines() or [""]
        return syntax_error(line=len(lines), column=len(lines[-1]), near=near)
    line = getattr(exc, "line", 1) or 1
    column = getattr(exc, "column", 1) or 1
    token = getattr(exc, "token", None)
    near = str(token) if token is not None else text.splitlines()[line - 1][column - 1 : column + 15].split(" ")[0]
    return syntax_error(line=line, column=column, near=near)


def _unquote(token: str) -> str:
    """The value of a quoted literal: ``''`` (doubled quote) and backslash escapes both accepted."""
    quote, body = token[0], token[1:-1]
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            out.append(body[index + 1])
            index += 2
        elif char == quote and body[index + 1 : index + 2] == quote:
            out.append(quote)
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


class _Builder:
    """Turns the lark tree into the dataclasses above, enforcing COQL's structural limits."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.criteria = 0

    def query(self, tree: lark.Tree[Any]) -> Query:
        parts = {child.data: child for child in tree.children if isinstance(child, lark.Tree)}
        select = tuple(self.select_item(item) for item in parts["select_list"].children)
        if len(select) > MAX_SELECT_COLUMNS:
            raise limit_exceeded("select", MAX_SELECT_COLUMNS)
        module = str(parts["module"].children[0])
        where = self.condition(parts["where_clause"].children[0]) if "where_clause" in parts else None
        if self.criteria > MAX_CRITERIA:
            raise limit_exceeded("where", MAX_CRITERIA)
        group_by = tuple(self.column(c) for c in parts["group_clause"].children) if "group_clause" in parts else ()
        if len(group_by) > MAX_GROUP_BY:
            raise limit_exceeded("group by", MAX_GROUP_BY)
        _no_duplicates("group by", [c.text.lower() for c in group_by])
        having = self.condition(parts["having_clause"].children[0]) if "having_clause" in parts else None
        order_by = tuple(self.order_item(o) for o in parts["order_clause"].children) if "order_clause" in parts else ()
        if len(order_by) > MAX_ORDER_BY:
            raise limit_exceeded("order by", MAX_ORDER_BY)
        _no_duplicates("order by", [o.expr.text.lower() for o in order_by])
        limit, offset = DEFAULT_LIMIT, 0
        for name in ("limit_offset", "limit_comma"):
            if name in parts:
                numbers = [int(str(t)) for t in parts[name].children]
                if name == "limit_comma":
                    offset, limit = numbers
                else:
                    limit, offset = numbers[0], (numbers[1] if len(numbers) > 1 else 0)
        if limit < 1:
            raise CoqlError("INVALID_QUERY", "invalid value given for limit", {"clause": "limit", "limit": limit})
        if limit > MAX_LIMIT:
            raise limit_exceeded("limit", MAX_LIMIT)
        if offset + limit > MAX_OFFSET_PLUS_LIMIT:
            raise limit_exceeded("offset", MAX_OFFSET_PLUS_LIMIT, reason="offset + limit exceeds the maximum")
        aggregates = tuple(s.expr for s in select if isinstance(s.expr, Aggregate))
        if len(aggregates) > MAX_AGGREGATES:
            raise limit_exceeded("select", MAX_AGGREGATES, reason="too many aggregate functions")
        _no_duplicates("select", [a.text.lower() for a in aggregates])
        aliases = [s.alias.lower() for s in select if s.alias]
        if len(set(aliases)) != len(aliases):
            raise CoqlError("DUPLICATE_ALIAS", "duplicate alias given", {"clause": "select"})
        return Query(select, module, where, group_by, having, order_by, limit, offset, aggregates)

    def select_item(self, tree: lark.Tree[Any]) -> SelectItem:
        expr = self.operand(tree.children[0])
        alias = None
        if len(tree.children) > 1:
            token = str(tree.children[1].children[0])
            alias = _unquote(token) if token[0] in "'\"" else token
        return SelectItem(expr, alias)

    def operand(self, tree: lark.Tree[Any]) -> Operand:
        if tree.data == "aggregate":
            fn = str(tree.children[0]).upper()
            arg = tree.children[1]
            column = self.column(arg) if isinstance(arg, lark.Tree) else None
            if column is None and fn != "COUNT":
                raise syntax_error(clause="select")
            return Aggregate(fn, column)  # type: ignore[arg-type]
        return self.column(tree)

    def column(self, tree: lark.Tree[Any]) -> Column:
        if tree.data == "quoted_column":
            return Column((_unquote(str(tree.children[0])),))
        path = tuple(str(t) for t in tree.children)
        if len(path) > MAX_RELATIONS + 1:
            raise CoqlError(
                "INVALID_QUERY",
                "column given seems to be invalid",
                {"column_name": ".".join(path), "reason": "at most two relations are supported"},
            )
        return Column(path)

    def order_item(self, tree: lark.Tree[Any]) -> OrderItem:
        expr = self.operand(tree.children[0])
        descending = len(tree.children) > 1 and str(tree.children[1]).lower() == "desc"
        return OrderItem(expr, descending)

    def condition(self, tree: lark.Tree[Any]) -> Condition:
        if tree.data == "chain":
            terms = tree.children[0::2]
            ops = tree.children[1::2]
            if len(terms) == 1:
                return self.condition(terms[0])
            if len(terms) > 2:
                third = ops[1]
                assert isinstance(third, lark.Token)
                raise syntax_error(line=third.line or 1, column=third.column or 1, near=str(third))
            left, right = (self.condition(t) for t in terms)
            return BoolOp(str(ops[0]).lower(), left, right)  # type: ignore[arg-type]
        return self.predicate(tree)

    def predicate(self, tree: lark.Tree[Any]) -> Predicate:
        self.criteria += 1
        children = list(tree.children)
        operand = self.operand(children.pop(0))
        negated = False
        if children and isinstance(children[0], lark.Token) and children[0].type == "NOT":
            negated = True
            children.pop(0)
        kind = tree.data
        if kind == "compare":
            op = str(children[0])
            op = "!=" if op == "<>" else op
            return Predicate("compare", operand, op, False, (self.value(children[1]),))
        if kind == "like":
            return Predicate("like", operand, "not like" if negated else "like", negated, (self.value(children[0]),))
        if kind == "in_list":
            values = tuple(self.value(v) for v in children)
            if len(values) > MAX_IN_VALUES:
                raise limit_exceeded("where", MAX_IN_VALUES, operator="in", column_name=operand.text)
            return Predicate("in", operand, "not in" if negated else "in", negated, values)
        if kind == "between":
            low, high = self.value(children[0]), self.value(children[2])
            return Predicate("between", operand, "not between" if negated else "between", negated, (low, high))
        return Predicate("null", operand, "is not null" if negated else "is null", negated, ())

    def value(self, tree: lark.Tree[Any]) -> Scalar:
        token = str(tree.children[0])
        if tree.data == "string":
            return _unquote(token)
        if tree.data == "number":
            return float(token) if any(ch in token for ch in ".eE") else int(token)
        return tree.data == "true"


def _no_duplicates(clause: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise CoqlError("DUPLICATE_DATA", "duplicate data given", {"clause": clause, "column_name": name})
        seen.add(name)
