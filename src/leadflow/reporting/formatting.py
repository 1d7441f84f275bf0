"""Numbers for people: thousands separators, percentages, currency, days. One function per column kind, used by
the HTML report and the dashboard alike (the CLI's CSV and JSON keep the raw values)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from leadflow.reporting.model import ColumnKind

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CHF": "CHF "}
MISSING = "—"


def format_value(value: Any, kind: ColumnKind, *, currency: str = "USD") -> str:
    """``value`` as a reader expects to see a ``kind`` of number; an empty value is a dash.

    Rates are fractions (0.25 is 25%); money is in ``currency`` (an ISO 4217 code).

    Example:
        >>> format_value(1234567, "count")
        '1,234,567'
        >>> format_value(0.1234, "rate")
        '12.3%'
        >>> format_value(Decimal("1234.5"), "money", currency="EUR")
        '€1,234.50'
        >>> format_value(3.25, "duration_days")
        '3.2 days'
    """
    if value is None or value == "":
        return MISSING
    if kind == "count":
        return f"{_number(value):,.0f}"
    if kind == "rate":
        return f"{_number(value) * 100:,.1f}%"
    if kind == "money":
        amount = _number(value)
        symbol = CURRENCY_SYMBOLS.get(currency.upper(), f"{currency.upper()} ")
        sign = "-" if amount < 0 else ""
        return f"{sign}{symbol}{abs(amount):,.2f}"
    if kind == "number":
        number = _number(value)
        return f"{number:,.0f}" if number == int(number) else f"{number:,.2f}"
    if kind == "duration_days":
        days = _number(value)
        return "1 day" if days == 1 else f"{days:,.1f} days"
    if kind == "datetime" and isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if kind in ("date", "datetime") and isinstance(value, date):
        return value.isoformat()
    return str(value)


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float | Decimal):
        return float(value)
    try:
        return float(str(value))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a number") from exc
