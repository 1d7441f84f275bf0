"""Parse a segment rule with a real grammar (lark) and compile it to a DuckDB SQL condition.

Field names come from a whitelist and are quoted; literals become query parameters. Nothing is evaluated.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from leadflow.segments.fields import FIELDS, Kind

_TOKEN_NAMES = {
    "SIGNED_NUMBER": "a number",
    "STRING": "a quoted text",
    "NAME": "a field name",
    "_TRUE": "true",
    "_FALSE": "false",
    "COMPARATOR": "a comparison (>=, ==, ...)",
    "_AND": "and",
    "_OR": "or",
    "_NOT": "not",
    "_IN": "in",
    "_IS": "is",
    "_NULL": "null",
    "_CONTAINS": "contains",
    "LSQB": "[",
    "RSQB": "]",
    "LPAR": "(",
    "RPAR": ")",
    "COMMA": ",",
    "$END": "the end of the rule",
}


class RuleError(ValueError):
    """A rule that cannot be used; ``line`` and ``column`` (1-based) point into the rule text."""

    def __init__(self, message: str, *, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass
class SqlParams:
    """Parameters gathered while compiling; names are unique per compilation."""

    values: dict[str, Any]
    prefix: str = "s"

    def add(self, value: Any) -> str:
        name = f"{self.prefix}{len(self.values)}"
        self.values[name] = value
        return f"${name}"


@cache
def _parser() -> Lark:
    grammar = resources.files("leadflow.segments").joinpath("rule.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def parse_rule(text: str) -> Tree[Token]:
    """Parse ``text``; raises :class:`RuleError` at the offending line and column.

    Example:
        >>> str(parse_rule("fit >= 70").data)
        'start'
    """
    try:
        return _parser().parse(text)
    except UnexpectedInput as exc:
        if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
            lines = text.split("\n")  # point just past the last character
            raise RuleError(_describe(exc, text), line=len(lines), column=len(lines[-1]) + 1) from None
        raise RuleError(_describe(exc, text), line=max(exc.line, 1), column=max(exc.column, 1)) from None


def _describe(exc: UnexpectedInput, text: str) -> str:
    if isinstance(exc, UnexpectedEOF):
        return "the rule ends too early"
    if isinstance(exc, UnexpectedCharacters):
        position = exc.pos_in_stream or 0
        char = text[position] if position < len(text) else ""
        return f"unexpected character {char!r}"
    if isinstance(exc, UnexpectedToken):
        expected = sorted({_TOKEN_NAMES.get(name, name.lower()) for name in exc.expected})
        if exc.token.type == "$END":
            return f"the rule ends too early; expected {' or '.join(expected)}"
        return f"unexpected {str(exc.token)!r}; expected {' or '.join(expected)}"
    return str(exc).splitlines()[0]


@dataclass(frozen=True)
class CompiledRule:
    sql: str
    fields: frozenset[str]


def compile_rule(text: str, params: SqlParams, *, regions: dict[str, list[str]] | None = None) -> CompiledRule:
    """The rule as a SQL boolean over the whitelisted columns (never NULL: unknown values compare false).

    ``regions`` lets ``country in ["DACH"]`` stand for its countries.

    Example:
        >>> params = SqlParams({})
        >>> sql = compile_rule('country in ["DE"]', params).sql
        >>> '"country"' in sql, "DE" in sql
        (True, False)
        >>> params.values
        {'s0': 'de'}
    """
    compiler = _Compiler(params, {text_key(k): [text_key(c) for c in v] for k, v in (regions or {}).items()})
    sql = compiler.condition(parse_rule(text).children[0])
    return CompiledRule(sql=f"({sql})", fields=frozenset(compiler.used))


class _Compiler:
    def __init__(self, params: SqlParams, regions: dict[str, list[str]]) -> None:
        self.params = params
        self.regions = regions
        self.used: set[str] = set()

    def condition(self, node: Tree[Token] | Token) -> str:
        assert isinstance(node, Tree)
        rule = node.data
        if rule == "or_expr":
            return "(" + " OR ".join(self.condition(child) for child in node.children) + ")"
        if rule == "and_expr":
            return "(" + " AND ".join(self.condition(child) for child in node.children) + ")"
        if rule == "negation":
            return f"(NOT {self.condition(node.children[0])})"
        return f"coalesce({self.predicate(node)}, FALSE)"

    def predicate(self, node: Tree[Token]) -> str:
        field_node = node.children[0]
        assert isinstance(field_node, Tree)
        name, kind, column = self.field(field_node)
        rule = node.data
        if rule == "truth":
            self.expect(kind, {Kind.BOOL}, field_node, f"{name} is a {kind}; compare it, e.g. {name} >= 50")
            return column
        if rule == "is_null":
            return f"({column} IS NULL)"
        if rule == "is_not_null":
            return f"({column} IS NOT NULL)"
        if rule == "compare":
            operator = str(node.children[1])
            value_node = node.children[2]
            assert isinstance(value_node, Tree)
            operator = "=" if operator == "==" else ("<>" if operator == "!=" else operator)
            if kind == Kind.LIST:
                raise self.error(field_node, f"{name} is a list; use contains or in")
            if kind in (Kind.TEXT, Kind.BOOL) and operator not in ("=", "<>"):
                raise self.error(node.children[1], f"{name} is {kind}: only == and != compare it")
            return f"({self.lhs(column, kind)} {operator} {self.literal(value_node, kind)})"
        if rule in ("member", "not_member"):
            values_node = node.children[1]
            assert isinstance(values_node, Tree)
            items = [child for child in values_node.children if isinstance(child, Tree)]
            if not items:
                return "FALSE" if rule == "member" else "TRUE"
            item_kind = Kind.TEXT if kind == Kind.LIST else kind
            literals = [self.literal(item, item_kind, expand=name == "country") for item in items]
            joined = ", ".join(literals)
            if kind == Kind.LIST:
                test = f"list_has_any(list_transform({column}, lambda x: {_text_key('x')}), [{joined}])"
            else:
                test = f"({self.lhs(column, kind)} IN ({joined}))"
            return test if rule == "member" else f"(NOT {test})"
        if rule == "contains":
            value_node = node.children[1]
            assert isinstance(value_node, Tree)
            if kind == Kind.TEXT:
                return f"contains({_text_key(column)}, {self.literal(value_node, Kind.TEXT)})"
            self.expect(kind, {Kind.LIST}, field_node, f"{name} is a {kind}; contains works on lists and text")
            lowered = f"list_transform({column}, lambda x: {_text_key('x')})"
            return f"list_contains({lowered}, {self.literal(value_node, Kind.TEXT)})"
        raise self.error(node, f"unsupported expression {rule}")

    def field(self, node: Tree[Token]) -> tuple[str, Kind, str]:
        token = node.children[0]
        assert isinstance(token, Token)
        name = str(token)
        spec = FIELDS.get(name) or FIELDS.get(name.lower())
        if spec is None:
            close = difflib.get_close_matches(name.lower(), FIELDS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; known fields: {', '.join(FIELDS)}"
            raise RuleError(f"unknown field {name!r}{hint}", line=token.line or 1, column=token.column or 1)
        self.used.add(spec.name)
        return spec.name, spec.kind, '"' + spec.name.replace('"', '""') + '"'

    @staticmethod
    def lhs(column: str, kind: Kind) -> str:
        return _text_key(column) if kind == Kind.TEXT else column

    def literal(self, node: Tree[Token], kind: Kind, *, expand: bool = False) -> str:
        token = node.children[0] if node.children else None
        kinds = {"string": Kind.TEXT, "number": Kind.NUMBER, "true": Kind.BOOL, "false": Kind.BOOL}
        literal_kind = kinds[node.data]
        if literal_kind != kind:
            shown = str(token) if token is not None else node.data
            raise self.error(node, f"{shown} is {literal_kind}, but the field holds {kind}")
        if node.data == "true":
            return "TRUE"
        if node.data == "false":
            return "FALSE"
        assert isinstance(token, Token)
        if node.data == "number":
            return self.params.add(float(token))
        text = text_key(_unquote(str(token)))
        if expand and text in self.regions:
            return ", ".join(self.params.add(code) for code in self.regions[text])
        return self.params.add(text)

    @staticmethod
    def expect(kind: Kind, allowed: set[Kind], node: Tree[Token], message: str) -> None:
        if kind not in allowed:
            raise _Compiler.error(node, message)

    @staticmethod
    def error(node: Tree[Token] | Token, message: str) -> RuleError:
        if isinstance(node, Token):
            return RuleError(message, line=node.line or 1, column=node.column or 1)
        meta = node.meta
        line = getattr(meta, "line", 1) if not meta.empty else 1
        column = getattr(meta, "column", 1) if not meta.empty else 1
        return RuleError(message, line=line, column=column)


def text_key(value: str) -> str:
    """Text compares ignoring case, and ``_`` or ``-`` against a space ("economic_buyer" is "economic buyer")."""
    return value.lower().replace("_", " ").replace("-", " ").strip()


def _text_key(column: str) -> str:
    return f"trim(replace(replace(lower(CAST({column} AS VARCHAR)), '_', ' '), '-', ' '))"


def _unquote(text: str) -> str:
    body = text[1:-1]
    out = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            out.append(body[index + 1])
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)
