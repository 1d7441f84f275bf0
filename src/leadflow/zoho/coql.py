"""COQL: safe parameter binding and lazy paging past Zoho's 2,000 rows per call."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from leadflow.errors import ApiError, InputError
from leadflow.zoho.api import ZohoApi
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
    out: list[str] = []
    position = 0
    quote: str | None = None
    escaped = False
    for char in query:
        if quote:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
            continue
        if char in ("'", '"'):
            quote = char
            out.append(char)
        elif char == "?":
            if position >= len(params):
                raise InputError(f"COQL query has more ? placeholders than the {len(params)} values given")
            out.append(literal(params[position]))
            position += 1
        else:
            out.append(char)
    if position != len(params):
        raise InputError(f"COQL query has {position} ? placeholders but {len(params)} values were given")
    return "".join(out)


def _strip_strings(query: str) -> str:
    return re.sub(r"'(?:[^'\\]|\\.)*'", "''", query)


def iter_coql(
    api: ZohoApi, query: str, params: Sequence[Any] = (), *, page_size: int = PAGE_LIMIT
) -> Iterator[dict[str, Any]]:
    """Rows of a COQL query; without a ``limit`` clause it pages with ``limit/offset`` up to 100,000 rows.

    Example:
        >>> rows = iter_coql(zoho.api, "select Email from Leads where Lead_Source = ?", ["Web"])  # doctest: +SKIP
    """
    text = bind(query.strip().rstrip(";"), params)
    bare = _strip_strings(text)
    if _LIMIT_CLAUSE.search(bare):
        numbers = _LIMIT_NUMBERS.search(bare)
        limit = PAGE_LIMIT
        if numbers:
            limit = int(numbers.group(2) or numbers.group(1))
        yield from _call(api, text, limit).data()
        return
    if not _ORDER_OR_GROUP.search(bare) and not _AGGREGATE.search(bare):
        text += " order by id asc"  # a stable order, or offsets skip and repeat rows between pages
    offset = 0
    while True:
        limit = min(page_size, MAX_ROWS - offset)
        if limit <= 0:
            raise ApiError(
                f"COQL reads at most {MAX_ROWS:,} rows per query: narrow the where clause (e.g. on Modified_Time)"
                " or use zoho.bulk.read",
                vendor_code="LIMIT_EXCEEDED",
            )
        reply = _call(api, f"{text} limit {limit} offset {offset}", limit)
        rows = reply.data()
        yield from rows
        if not rows or not reply.info().get("more_records"):
            return
        offset += len(rows)


def _call(api: ZohoApi, query: str, limit: int) -> Any:
    return api.call(
        "POST",
        api.crm_url("coql"),
        json={"select_query": query},
        cost=coql_cost(limit),
        complex_call=True,
        idempotent=True,
        label="coql",
    )
