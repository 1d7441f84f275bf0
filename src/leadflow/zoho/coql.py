"""COQL: safe parameter binding and lazy paging past Zoho's 2,000 rows per call."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from leadflow.errors import ApiError, InputError, ValidationFailed
from leadflow.http.paging import Offsets, Page, Window, paginate
from leadflow.zoho.api import Reply, ZohoApi
from leadflow.zoho.credits import coql_cost

PAGE_LIMIT = 2000
MAX_ROWS = 100_000
_LIMIT_CLAUSE = re.compile(r"\blimit\s+\d+(\s*,\s*\d+|\s+offset\s+\d+)?\s*;?\s*$", re.IGNORECASE)
_LIMIT_NUMBERS = re.compile(r"\blimit\s+(\d+)(?:\s*,\s*(\d+))?", re.IGNORECASE)
_ORDER_OR_GROUP = re.compile(r"\b(order|group)\s+by\b", re.IGNORECASE)
_AGGREGATE = re.compile(r"\b(count|sum|avg|min|max)\s*\(", re.IGNORECASE)


def literal(value: Any) -> str:
    """A Python value as a COQL literal; strings quoted with ``'`` and backslash escapes.

    Example:
        >>> literal("O'Brien"), literal(3), literal(["a", "b"]), literal(True)
        ("'O\\\\'Brien'", '3', "('a', 'b')", 'true')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return literal(aware.isoformat(timespec="seconds"))
    if isinstance(value, date):
        return literal(value.isoformat())
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
        if not items:
            raise InputError("an empty list cannot be bound in COQL: `in ()` matches nothing; skip the query")
        return "(" + ", ".join(literal(item) for item in items) + ")"
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def bind(query: str, params: Sequence[Any]) -> str:
    """Replace each ``?`` outside quoted text with the next parameter as a literal.

    Example:
        >>> bind("select Email from Leads where Email = ? and Lead_Source in ?", ["a@b.co", ["Web", "Ads"]])
        "select Email from Leads where Email = 'a@b.co' and Lead_Source in ('Web', 'Ads')"
    """
    return _bind(query, params).text


@dataclass(frozen=True)
class _Bound:
    """A query with its parameters bound, and for each character of it the index of the character of the
    query as typed that it came from (a bound value maps to its ``?``)."""

    text: str
    origin: list[int]
    placeholders: dict[int, int]  # index of a ``?`` in the query as typed -> its number, from 1


def _bind(query: str, params: Sequence[Any]) -> _Bound:
    out: list[str] = []
    origin: list[int] = []
    placeholders: dict[int, int] = {}
    position = 0
    quote: str | None = None
    escaped = False
    for index, char in enumerate(query):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
        elif char in ("'", '"'):
            quote = char
        elif char == "?":
            if position >= len(params):
                raise InputError(f"COQL query has more ? placeholders than the {len(params)} values given")
            value = literal(params[position])
            out.append(value)
            origin.extend([index] * len(value))
            position += 1
            placeholders[index] = position
            continue
        out.append(char)
        origin.append(index)
    if position != len(params):
        raise InputError(f"COQL query has {position} ? placeholders but {len(params)} values were given")
    return _Bound("".join(out), origin, placeholders)


def _strip_strings(query: str) -> str:
    return re.sub(r"'(?:[^'\\]|\\.)*'", "''", query)


def iter_coql(
    api: ZohoApi, query: str, params: Sequence[Any] = (), *, page_size: int = PAGE_LIMIT
) -> Iterator[dict[str, Any]]:
    """Rows of a COQL query; without a ``limit`` clause it pages with ``limit/offset`` up to 100,000 rows.

    A syntax error Zoho reports is told against the query as typed (line, column and the words there), not
    against the text sent, which has the parameters bound and the paging clauses added.

    Example:
        >>> rows = iter_coql(zoho.api, "select Email from Leads where Email = ?", ["ada@example.com"])
        ... # doctest: +SKIP
    """
    typed = query.strip().rstrip(";")
    lead = len(query) - len(query.lstrip())
    bound = _bind(typed, params)
    bound = _Bound(
        bound.text, [index + lead for index in bound.origin], {i + lead: n for i, n in bound.placeholders.items()}
    )
    text = bound.text
    bare = _strip_strings(text)
    if _LIMIT_CLAUSE.search(bare):
        numbers = _LIMIT_NUMBERS.search(bare)
        limit = int(numbers.group(2) or numbers.group(1)) if numbers else PAGE_LIMIT
        return _one_call(api, text, limit, query, bound)
    if not _ORDER_OR_GROUP.search(bare) and not _AGGREGATE.search(bare):
        text += " order by id asc"  # a stable order, or offsets skip and repeat rows between pages

    def fetch(window: Window) -> Page[dict[str, Any]]:
        if window.limit <= 0:
            raise ApiError(
                f"COQL reads at most {MAX_ROWS:,} rows per query: narrow the where clause (e.g. on Modified_Time)"
                " or use zoho.bulk.read",
                vendor_code="LIMIT_EXCEEDED",
            )
        return _call(api, f"{text} limit {window.limit} offset {window.offset}", window.limit, query, bound).page()

    return paginate(fetch, Offsets(page_size=page_size, max_rows=MAX_ROWS, more_key="more_records"))


def _one_call(api: ZohoApi, text: str, limit: int, typed: str, bound: _Bound) -> Iterator[dict[str, Any]]:
    yield from _call(api, text, limit, typed, bound).data()


def _call(api: ZohoApi, query: str, limit: int, typed: str, bound: _Bound) -> Reply:
    try:
        return api.call(
            "POST",
            api.crm_url("coql"),
            json={"select_query": query},
            cost=coql_cost(limit),
            complex_call=True,
            idempotent=True,
            label="coql",
        )
    except ApiError as exc:
        if exc.vendor_code == "SYNTAX_ERROR" and "column" in exc.details:
            raise _syntax_error(exc, query, typed, bound) from exc
        raise


def _syntax_error(error: ApiError, sent: str, typed: str, bound: _Bound) -> ApiError:
    """``error`` told against the query as ``typed``: Zoho's line and column count in the text ``sent``, which
    ``bound`` maps back (character by character) to ``typed``."""
    try:
        line, column = int(error.details.get("line") or 1), int(error.details["column"])
    except (TypeError, ValueError):
        return error
    lines = sent.split("\n")
    at = sum(len(text) + 1 for text in lines[: max(0, line - 1)]) + max(0, column - 1)
    if at >= len(bound.text) or not typed.strip():
        last = typed.rstrip().rstrip(";").split()[-1] if typed.split() else ""
        where = f"at the end of the query: it is incomplete after {last!r}"
    else:
        index = bound.origin[at]
        typed_line = typed.count("\n", 0, index) + 1
        typed_column = index - (typed.rfind("\n", 0, index) + 1) + 1
        if index in bound.placeholders:
            near = f"the value bound to ? number {bound.placeholders[index]}"
        else:
            near = repr(typed[index:].split(None, 1)[0] if typed[index:].strip() else typed[index:])
        position = f"column {typed_column}" if "\n" not in typed else f"line {typed_line}, column {typed_column}"
        where = f"near {near} at {position} of the query"
    return ValidationFailed(
        f"COQL syntax error {where}",
        status=error.status,
        vendor_code=error.vendor_code,
        details=error.details,
        request_id=error.request_id,
        details_explained=True,
    )
