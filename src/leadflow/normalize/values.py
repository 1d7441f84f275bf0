"""Scalar cells: booleans, integers, money amounts and comma-separated lists as exports write them."""

from __future__ import annotations

import math
import re

from leadflow.normalize.text import clean_cell

_TRUE = frozenset({"true", "yes", "y", "1", "t", "x", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "f", "off"})
_MULTIPLIERS = {"k": 1e3, "m": 1e6, "mm": 1e6, "b": 1e9, "bn": 1e9, "t": 1e12}
_AMOUNT = re.compile(r"^([0-9][0-9,]*(?:\.[0-9]+)?|\.[0-9]+)\s*(k|mm|m|bn|b|t)?$")


def parse_bool(value: str | None) -> bool | None:
    """``true``/``FALSE``/``Yes``/``1`` ...; ``None`` for empty or anything else.

    Example:
        >>> parse_bool("FALSE"), parse_bool("true"), parse_bool("")
        (False, True, None)
    """
    text = clean_cell(value)
    if text is None:
        return None
    word = text.lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return None


def parse_amount(value: str | None) -> float | None:
    """A number as written in exports: ``$1,200,000``, ``1.2M``, ``€ 3.5bn``, ``1200000.0``.

    Example:
        >>> parse_amount("$1.2M")
        1200000.0
        >>> parse_amount("n/a") is None
        True
    """
    text = clean_cell(value)
    if text is None:
        return None
    text = re.sub(r"[\s$€£¥]|usd|eur|gbp", "", text.lower())
    match = _AMOUNT.match(text)
    if not match:
        return None
    number = float(match.group(1).replace(",", "")) * _MULTIPLIERS.get(match.group(2) or "", 1.0)
    return number if math.isfinite(number) else None


def parse_int(value: str | None) -> int | None:
    """A head count or other whole number; ranges (``51-200``) give their lower bound.

    Example:
        >>> parse_int("1,200"), parse_int("51-200"), parse_int("abc")
        (1200, 51, None)
    """
    text = clean_cell(value)
    if text is None:
        return None
    text = text.split("-", 1)[0].strip().rstrip("+")
    amount = parse_amount(text)
    if amount is None or amount != amount or abs(amount) > 2**62:
        return None
    return int(amount)


def split_list(value: str | None, separators: str = ",;|") -> list[str]:
    """A multi-valued cell as a list without blanks or repeats, order kept.

    Example:
        >>> split_list("Salesforce, HubSpot;  Salesforce , ")
        ['Salesforce', 'HubSpot']
    """
    text = clean_cell(value)
    if text is None:
        return []
    parts = re.split("[" + re.escape(separators) + "]", text)
    seen: dict[str, None] = {}
    for part in parts:
        item = part.strip()
        if item and item not in seen:
            seen[item] = None
    return list(seen)
