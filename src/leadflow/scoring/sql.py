"""A tiny builder for DuckDB SQL: text from config goes in as parameters, never spliced into the query."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Params:
    """Named parameters collected while SQL is generated.

    Example:
        >>> params = Params()
        >>> params.add("Computer Software")
        '$p0'
        >>> params.values
        {'p0': 'Computer Software'}
    """

    values: dict[str, Any] = field(default_factory=dict)
    prefix: str = "p"

    def add(self, value: Any) -> str:
        name = f"{self.prefix}{len(self.values)}"
        self.values[name] = value
        return f"${name}"


def number(value: float) -> str:
    """A float as a SQL literal (config numbers are validated floats, so this is safe)."""
    return repr(float(value))


def key(value: str) -> str:
    """How values are compared: lower case, ``_`` and ``-`` as spaces, trimmed ("C-Suite" is "c suite")."""
    return value.lower().replace("_", " ").replace("-", " ").strip()


def key_sql(expression: str) -> str:
    """The SQL form of :func:`key` over a text expression."""
    return f"nullif(trim(replace(replace(lower(CAST({expression} AS VARCHAR)), '_', ' '), '-', ' ')), '')"


def lookup(value_sql: str, table: dict[str, float], other: float, params: Params) -> str:
    """``CASE value WHEN k THEN points ... ELSE other END`` with the keys as parameters."""
    if not table:
        return number(other)
    whens = " ".join(f"WHEN {params.add(k)} THEN {number(v)}" for k, v in table.items())
    return f"(CASE {value_sql} {whens} ELSE {number(other)} END)"


def in_list(value_sql: str, items: list[str], params: Params) -> str:
    """``value IN (...)`` with parameters; FALSE for an empty list."""
    if not items:
        return "FALSE"
    return f"({value_sql} IN ({', '.join(params.add(item) for item in items)}))"


def reason(score: str, rule: str, field_name: str, value_sql: str, points_sql: str, params: Params) -> str:
    """A reason struct ``{score, rule, field, value, points}`` as SQL."""
    return (
        f"struct_pack(score := {params.add(score)}, rule := {params.add(rule)}, field := {params.add(field_name)}, "
        f"value := CAST({value_sql} AS VARCHAR), points := round(CAST({points_sql} AS DOUBLE), 1))"
    )
