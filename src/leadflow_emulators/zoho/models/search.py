"""Record search: Zoho's ``criteria`` language (parsed with a lark grammar), ``email``, ``phone`` and ``word``.

Example:
    >>> tree = parse_criteria("((Last_Name:equals:Ng)or(Email:starts_with:a\\\\(b))and(No_of_Employees:greater_than:5)")
    >>> count_conditions(tree)
    3
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import LarkError

from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.metadata import NUMBER_TYPES, TEXT_TYPES, FieldMeta, ModuleMeta
from leadflow_emulators.zoho.models.validation import parse_datetime

MAX_CRITERIA = 10
MAX_IN_VALUES = 100
Predicate = Callable[[dict[str, Any]], bool]
NameOf = Callable[[str, str], str | None]

_TEXT_OPERATORS = {"equals", "not_equal", "starts_with", "in"}
_ORDERED_OPERATORS = {
    "equals",
    "not_equal",
    "greater_than",
    "greater_equal",
    "less_than",
    "less_equal",
    "between",
    "in",
}
_ESCAPE = re.compile(r"\\(.)")
_UNESCAPED_COMMA = re.compile(r"(?<!\\),")


@cache
def _parser() -> Lark:
    grammar = (Path(__file__).with_name("search.lark")).read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual")


def _invalid(reason: str, **details: Any) -> ZohoError:
    return ZohoError(400, "INVALID_QUERY", "Invalid query formed", {"reason": reason, **details})


def parse_criteria(text: str) -> Tree[Token]:
    """The parse tree of a criteria string, or Zoho's INVALID_QUERY."""
    try:
        return _parser().parse(text.strip())
    except LarkError:
        raise _invalid("invalid criteria syntax", api_name="criteria") from None


def count_conditions(tree: Tree[Token]) -> int:
    return sum(1 for _ in tree.find_data("condition"))


def _unescape(value: str) -> str:
    return _ESCAPE.sub(r"\1", value)


def _split(value: str) -> list[str]:
    return [_unescape(part) for part in _UNESCAPED_COMMA.split(value)]


@dataclass
class _Comparable:
    """Turns raw criteria values and stored values into comparable Python values for one field."""

    field: FieldMeta

    def parse(self, raw: str) -> Any:
        data_type = self.field.data_type
        try:
            if data_type in ("integer", "bigint"):
                return int(raw)
            if data_type in NUMBER_TYPES:
                return float(raw)
            if data_type == "boolean":
                if raw.lower() not in ("true", "false"):
                    raise ValueError(raw)
                return raw.lower() == "true"
            if data_type == "date":
                return date.fromisoformat(raw)
            if data_type == "datetime":
                return parse_datetime(raw)
        except ValueError:
            raise _invalid("invalid data type", api_name=self.field.api_name, expected_data_type=data_type) from None
        return raw.lower()

    def stored(self, value: Any, name_of: NameOf, record: dict[str, Any]) -> list[Any]:
        """The stored value as a list of candidates (lookups match by id or by name)."""
        if value is None:
            return []
        data_type = self.field.data_type
        if isinstance(value, dict):
            candidates = [str(value.get("id", "")).lower()]
            target = self.field.lookup_module or record.get("$se_module")
            if self.field.data_type in ("ownerlookup", "userlookup"):
                target = "users"
            name = name_of(target, str(value.get("id"))) if target else None
            if name:
                candidates.append(name.lower())
            return candidates
        if isinstance(value, list):
            return [item.lower() if isinstance(item, str) else item for item in value]
        if data_type == "date":
            return [date.fromisoformat(value)]
        if data_type == "datetime":
            return [datetime.fromisoformat(value)]
        if isinstance(value, str):
            return [value.lower()]
        return [value]


def _condition(meta: ModuleMeta, node: Tree[Token], name_of: NameOf) -> Predicate:
    field_token, operator_token, value_token = node.children
    api_name, operator, raw = str(field_token), str(operator_token).lower(), str(value_token)
    if api_name == "Tag":
        names = {part.lower() for part in _split(raw)}
        if operator not in ("equals", "not_equal", "in"):
            raise _invalid("invalid operator found", api_name=api_name, operator=operator)

        def has_tag(record: dict[str, Any]) -> bool:
            return any(tag["name"].lower() in names for tag in record.get("Tag") or [])

        return has_tag if operator != "not_equal" else (lambda record: not has_tag(record))
    field = meta.fields.get(api_name)
    if field is None:
        raise _invalid("the field is not available", api_name=api_name)
    allowed = (
        _TEXT_OPERATORS
        if field.data_type in TEXT_TYPES
        or field.data_type in ("picklist", "multiselectpicklist", "lookup", "ownerlookup", "userlookup")
        else _ORDERED_OPERATORS
    )
    if field.data_type == "boolean":
        allowed = {"equals", "not_equal"}
    if operator not in allowed:
        raise _invalid("invalid operator found", api_name=api_name, operator=operator)
    comparable = _Comparable(field)
    if operator in ("in", "between"):
        values = [comparable.parse(part) for part in _split(raw)]
        if operator == "between" and len(values) != 2:
            raise _invalid("between needs two values", api_name=api_name, value=raw)
        if len(values) > MAX_IN_VALUES:
            raise ZohoError(
                400, "INVALID_QUERY", 'Only 100 values are allowed in "IN" criteria', {"api_name": api_name}
            )
    else:
        values = [comparable.parse(_unescape(raw))]
    target = values[0]

    def test(record: dict[str, Any]) -> bool:
        stored = comparable.stored(record.get(api_name), name_of, record)
        if operator == "not_equal":
            return target not in stored
        if not stored:
            return False
        if operator == "equals":
            return target in stored
        if operator == "in":
            return any(value in stored for value in values)
        if operator == "starts_with":
            return any(isinstance(item, str) and item.startswith(target) for item in stored)
        item = stored[0]
        try:
            if operator == "between":
                return bool(values[0] <= item <= values[1])
            if operator == "greater_than":
                return bool(item > target)
            if operator == "greater_equal":
                return bool(item >= target)
            if operator == "less_than":
                return bool(item < target)
            return bool(item <= target)
        except TypeError:
            return False

    return test


def _compile(meta: ModuleMeta, node: Tree[Token] | Token, name_of: NameOf) -> Predicate:
    if isinstance(node, Tree) and node.data == "condition":
        return _condition(meta, node, name_of)
    assert isinstance(node, Tree)
    # An ``expr``: operands separated by connectors; ``and`` binds tighter than ``or``.
    alternatives: list[list[Predicate]] = [[]]
    for child in node.children:
        if isinstance(child, Token) and child.type == "CONNECTOR":
            if child.strip().lower() == "or":
                alternatives.append([])
            continue
        alternatives[-1].append(_compile(meta, child, name_of))

    def test(record: dict[str, Any]) -> bool:
        return any(all(predicate(record) for predicate in group) for group in alternatives)

    return test


def criteria_predicate(meta: ModuleMeta, criteria: str, name_of: NameOf) -> Predicate:
    """A record predicate for a criteria string; INVALID_QUERY or CRITERIA_LIMIT_EXCEEDED when bad."""
    return compile_criteria(meta, criteria, name_of)[0]


# (field, values): the records a search can be narrowed to through the backend's field index.
IndexHint = tuple[str, list[str]] | None


def _hint(meta: ModuleMeta, node: Tree[Token] | Token) -> IndexHint:
    """An equals/in condition on a text field that every match must satisfy (top level or under ``and``)."""
    if isinstance(node, Tree) and node.data == "condition":
        api_name, operator = str(node.children[0]), str(node.children[1]).lower()
        field = meta.fields.get(api_name)
        if field is None or api_name == "Tag" or not (field.data_type in TEXT_TYPES or field.data_type == "picklist"):
            return None
        if operator == "equals":
            return api_name, [_unescape(str(node.children[2]))]
        if operator == "in":
            return api_name, _split(str(node.children[2]))
        return None
    if not isinstance(node, Tree):
        return None
    connectors = [child for child in node.children if isinstance(child, Token) and child.type == "CONNECTOR"]
    if any(child.strip().lower() == "or" for child in connectors):
        return None
    for child in node.children:
        if isinstance(child, Tree):
            hint = _hint(meta, child)
            if hint is not None:
                return hint
    return None


def compile_criteria(meta: ModuleMeta, criteria: str, name_of: NameOf) -> tuple[Predicate, IndexHint]:
    """The predicate of a criteria string and, when there is one, an index hint to narrow the scan."""
    tree = parse_criteria(criteria)
    if count_conditions(tree) > MAX_CRITERIA:
        raise ZohoError(
            400, "CRITERIA_LIMIT_EXCEEDED", f"no of criterium that can be given exceed the limit {MAX_CRITERIA}", {}
        )
    return _compile(meta, tree.children[0], name_of), _hint(meta, tree.children[0])


def _digits(value: str) -> str:
    return "".join(char for char in value if char.isdigit())


def email_predicate(meta: ModuleMeta, email: str) -> Predicate:
    names = [name for name, field in meta.fields.items() if field.data_type == "email"]
    wanted = email.strip().lower()
    return lambda record: any(str(record.get(name) or "").lower() == wanted for name in names)


def phone_predicate(meta: ModuleMeta, phone: str) -> Predicate:
    names = [name for name, field in meta.fields.items() if field.data_type == "phone"]
    wanted = _digits(phone)
    if not wanted:
        raise _invalid("invalid phone", api_name="phone", value=phone)
    return lambda record: any(
        (digits := _digits(str(record.get(name) or ""))) and (digits.endswith(wanted) or wanted.endswith(digits))
        for name in names
    )


def word_predicate(meta: ModuleMeta, word: str) -> Predicate:
    names = [name for name, field in meta.fields.items() if field.data_type in TEXT_TYPES]
    wanted = word.strip().lower()
    return lambda record: any(wanted in str(record.get(name) or "").lower() for name in names)
