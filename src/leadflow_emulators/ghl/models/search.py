"""``POST /contacts/search`` (filters, sort, ``pageLimit``, ``page`` or ``searchAfter``) and the legacy
``GET /contacts/`` (``startAfterId``/``startAfter``).

Filters are ``{"field", "operator", "value"}`` or groups ``{"group": "AND"|"OR", "filters": [...]}``;
operators ``eq``, ``not_eq``, ``contains``, ``not_contains``, ``exists``, ``not_exists``, ``range``
(``value`` with ``gt``/``gte``/``lt``/``lte``). Every result carries ``searchAfter`` (its sort values and
id): passing the last one back returns the next page with no repeats and nothing skipped, however many
contacts there are. ``page`` paging stops at 10,000 results, as GHL's does.

Example:
    >>> matches({"tags": ["vip"], "email": "a@b.co"}, {"field": "tags", "operator": "eq", "value": "VIP"})
    True
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from leadflow_emulators.ghl.exceptions import GhlError
from leadflow_emulators.ghl.models.core import epoch_ms
from leadflow_emulators.ghl.models.documents import Doc

MAX_PAGE_LIMIT = 500
MAX_PAGE_WINDOW = 10_000
_DATE_FIELDS = frozenset({"dateAdded", "dateUpdated", "lastActivity", "dateOfBirth"})
_OPERATORS = frozenset({"eq", "not_eq", "contains", "not_contains", "exists", "not_exists", "range"})
_SEARCH_KEYS = frozenset({"locationId", "page", "pageLimit", "searchAfter", "filters", "sort", "query"})


def _value(doc: Doc, field: str) -> Any:
    if field.startswith("customFields."):
        return doc.get("_cf", {}).get(field.split(".", 1)[1])
    value = doc.get(field)
    if field in _DATE_FIELDS and isinstance(value, str):
        try:
            return epoch_ms(value)
        except ValueError:
            return value
    return value


def _comparable(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _as_number(value: Any, field: str) -> Any:
    if field in _DATE_FIELDS and isinstance(value, str):
        return epoch_ms(value)
    return value


def matches(doc: Doc, spec: dict[str, Any]) -> bool:
    if "group" in spec:
        results = (matches(doc, inner) for inner in spec.get("filters", []))
        return all(results) if str(spec["group"]).upper() == "AND" else any(results)
    field, operator, wanted = spec["field"], spec["operator"], spec.get("value")
    actual = _value(doc, field)
    values = [_comparable(v) for v in actual] if isinstance(actual, list) else [_comparable(actual)]
    if operator == "exists":
        return any(v not in (None, "", []) for v in values)
    if operator == "not_exists":
        return all(v in (None, "", []) for v in values)
    if operator in ("eq", "not_eq"):
        options = [_comparable(w) for w in (wanted if isinstance(wanted, list) else [wanted])]
        hit = any(v in options for v in values)
        return hit if operator == "eq" else not hit
    if operator in ("contains", "not_contains"):
        needle = str(wanted).lower()
        hit = any(isinstance(v, str) and needle in v for v in values)
        return hit if operator == "contains" else not hit
    bounds = wanted if isinstance(wanted, dict) else {}
    checks: dict[str, Callable[[Any, Any], bool]] = {
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }
    for v in values:
        if v is None:
            continue
        try:
            if all(checks[k](v, _as_number(b, field)) for k, b in bounds.items() if k in checks):
                return True
        except TypeError:
            continue
    return False


def _check_filters(filters: Any, path: str = "filters") -> None:
    if not isinstance(filters, list):
        raise GhlError.unprocessable([f"{path} must be an array"])
    for index, spec in enumerate(filters):
        where = f"{path}.{index}"
        if not isinstance(spec, dict):
            raise GhlError.unprocessable([f"{where} must be an object"])
        if "group" in spec:
            if str(spec["group"]).upper() not in ("AND", "OR"):
                raise GhlError.unprocessable([f"{where}.group must be one of the following values: AND, OR"])
            _check_filters(spec.get("filters", []), f"{where}.filters")
            continue
        if not isinstance(spec.get("field"), str):
            raise GhlError.unprocessable([f"{where}.field must be a string"])
        if spec.get("operator") not in _OPERATORS:
            raise GhlError.unprocessable(
                [f"{where}.operator must be one of the following values: {', '.join(sorted(_OPERATORS))}"]
            )


SortSpec = list[tuple[str, bool]]  # (field, descending)


def _sort_spec(raw: Any) -> SortSpec:
    if raw in (None, []):
        return [("dateAdded", True)]
    if not isinstance(raw, list) or any(not isinstance(s, dict) or not isinstance(s.get("field"), str) for s in raw):
        raise GhlError.unprocessable(["sort must be an array of {field, direction}"])
    spec = []
    for item in raw:
        direction = str(item.get("direction", "asc")).lower()
        if direction not in ("asc", "desc"):
            raise GhlError.unprocessable(["sort.direction must be one of the following values: asc, desc"])
        spec.append((item["field"], direction == "desc"))
    return spec


def _key(doc: Doc, spec: SortSpec) -> list[Any]:
    return [_comparable(_value(doc, field)) for field, _ in spec] + [doc["id"]]


def _compare(a: Sequence[Any], b: Sequence[Any], spec: SortSpec) -> int:
    for index, item_a in enumerate(a):
        item_b = b[index] if index < len(b) else None
        if item_a == item_b:
            continue
        descending = spec[index][1] if index < len(spec) else False
        if item_a is None:  # missing values sort last in either direction
            return 1
        if item_b is None:
            return -1
        try:
            less = item_a < item_b
        except TypeError:
            less = str(item_a) < str(item_b)
        result = -1 if less else 1
        return -result if descending else result
    return 0


def search(contacts: list[Doc], body: dict[str, Any]) -> tuple[list[tuple[Doc, list[Any]]], int]:
    """(page of (contact, searchAfter), total matches) for a search body."""
    unknown = [key for key in body if key not in _SEARCH_KEYS]
    if unknown:
        raise GhlError.unprocessable([f"property {key} should not exist" for key in unknown])
    limit = body.get("pageLimit", 20)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE_LIMIT:
        raise GhlError.unprocessable(
            [f"pageLimit must not be greater than {MAX_PAGE_LIMIT}", "pageLimit must not be less than 1"]
        )
    filters = body.get("filters") or []
    _check_filters(filters)
    spec = _sort_spec(body.get("sort"))
    query = str(body.get("query") or "").lower()
    hits = [doc for doc in contacts if all(matches(doc, f) for f in filters) and (not query or query in _haystack(doc))]
    keyed: list[tuple[list[Any], Doc]] = [(_key(doc, spec), doc) for doc in hits]

    def order(x: tuple[list[Any], Doc], y: tuple[list[Any], Doc]) -> int:
        return _compare(x[0], y[0], spec)

    keyed.sort(key=functools.cmp_to_key(order))
    cursor = body.get("searchAfter")
    if cursor:
        if not isinstance(cursor, list) or len(cursor) != len(spec) + 1:
            raise GhlError.bad_request(
                "searchAfter must be the searchAfter array of the last contact of the previous page"
            )
        start = next((i for i, (key, _) in enumerate(keyed) if _compare(key, cursor, spec) > 0), len(keyed))
    else:
        page = body.get("page", 1)
        if not isinstance(page, int) or page < 1:
            raise GhlError.unprocessable(["page must not be less than 1"])
        start = (page - 1) * limit
        if start + limit > MAX_PAGE_WINDOW:
            raise GhlError.bad_request(
                f"page and pageLimit can reach the first {MAX_PAGE_WINDOW} results only; use searchAfter beyond"
            )
    return [(doc, key) for key, doc in keyed[start : start + limit]], len(hits)


def _haystack(doc: Doc) -> str:
    parts = (doc.get(k) for k in ("firstName", "lastName", "email", "phone", "companyName"))
    return " ".join(str(p).lower() for p in parts if p)


def legacy_list(contacts: list[Doc], params: dict[str, str]) -> tuple[list[Doc], dict[str, Any]]:
    """``GET /contacts/``: oldest first by (dateAdded, id), 20 a page (100 at most), ``startAfterId`` cursor."""
    try:
        limit = int(params.get("limit", "20"))
    except ValueError:
        raise GhlError.unprocessable(["limit must be a number conforming to the specified constraints"]) from None
    if not 1 <= limit <= 100:
        raise GhlError.unprocessable(["limit must not be greater than 100"])
    query = params.get("query", "").lower()
    ordered = sorted(
        (doc for doc in contacts if not query or query in _haystack(doc)),
        key=lambda d: (epoch_ms(d["dateAdded"]), d["id"]),
    )
    after_id = params.get("startAfterId")
    start = 0
    if after_id:
        position = next((i for i, doc in enumerate(ordered) if doc["id"] == after_id), None)
        if position is None:
            after = params.get("startAfter")
            if after is None:
                raise GhlError.bad_request("startAfterId does not belong to a contact of this location")
            position = next(
                (i - 1 for i, d in enumerate(ordered) if (epoch_ms(d["dateAdded"]), d["id"]) > (int(after), after_id)),
                len(ordered) - 1,
            )
        start = position + 1
    page = ordered[start : start + limit]
    meta: dict[str, Any] = {"total": len(ordered), "currentPage": start // limit + 1}
    if page and start + limit < len(ordered):
        last = page[-1]
        meta.update(
            {"startAfterId": last["id"], "startAfter": epoch_ms(last["dateAdded"]), "nextPage": meta["currentPage"] + 1}
        )
    else:
        meta.update({"startAfterId": None, "startAfter": None, "nextPage": None})
    meta["prevPage"] = meta["currentPage"] - 1 if meta["currentPage"] > 1 else None
    return page, meta
