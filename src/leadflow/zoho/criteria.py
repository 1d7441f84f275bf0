"""Search criteria for ``GET /{module}/search``, built from values that are escaped for you.

Zoho's syntax is ``(Field:operator:value)`` joined with ``and``/``or`` inside parentheses; ``(``, ``)`` and
``,`` inside a value must be escaped with a backslash, and so (first) must a backslash itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from leadflow.errors import InputError

MAX_CRITERIA = 10
_SPECIAL = ("\\", "(", ")", ",")


def escape_value(value: Any) -> str:
    """One value as Zoho search wants it: booleans lower-case, datetimes ISO with offset, specials escaped.

    Example:
        >>> escape_value("Acme (UK), Ltd")
        'Acme \\\\(UK\\\\)\\\\, Ltd'
    """
    if value is None:
        raise InputError("search criteria cannot compare with None")
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, datetime):
        text = (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat(timespec="seconds")
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = str(value)
    for char in _SPECIAL:
        text = text.replace(char, "\\" + char)
    return text


class Criteria:
    """A criteria expression; combine with ``&`` and ``|``.

    Example:
        >>> c = Criteria.field("Email").equals("a@b.co") & Criteria.field("Company").starts_with("Acme (")
        >>> str(c)
        '((Email:equals:a@b.co)and(Company:starts_with:Acme \\\\())'
    """

    def __init__(self, text: str, count: int) -> None:
        if count > MAX_CRITERIA:
            raise InputError(f"Zoho search takes at most {MAX_CRITERIA} criteria; got {count}: use COQL instead")
        self.text = text
        self.count = count

    @staticmethod
    def field(api_name: str) -> FieldCriteria:
        """Start a condition on the field with this API name."""
        if not api_name or any(ch in api_name for ch in "():, "):
            raise InputError(f"not a field API name: {api_name!r}")
        return FieldCriteria(api_name)

    def __and__(self, other: Criteria) -> Criteria:
        return Criteria(f"({self.text}and{other.text})", self.count + other.count)

    def __or__(self, other: Criteria) -> Criteria:
        return Criteria(f"({self.text}or{other.text})", self.count + other.count)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Criteria({self.text!r})"


class FieldCriteria:
    """The operators Zoho search supports on one field.

    Example:
        >>> str(FieldCriteria("Annual_Revenue").between(1_000, 5_000))
        '(Annual_Revenue:between:1000,5000)'
    """

    def __init__(self, api_name: str) -> None:
        self.api_name = api_name

    def _make(self, operator: str, value: str) -> Criteria:
        return Criteria(f"({self.api_name}:{operator}:{value})", 1)

    def equals(self, value: Any) -> Criteria:
        return self._make("equals", escape_value(value))

    def not_equal(self, value: Any) -> Criteria:
        return self._make("not_equal", escape_value(value))

    def starts_with(self, value: Any) -> Criteria:
        return self._make("starts_with", escape_value(value))

    def greater_than(self, value: Any) -> Criteria:
        return self._make("greater_than", escape_value(value))

    def greater_equal(self, value: Any) -> Criteria:
        return self._make("greater_equal", escape_value(value))

    def less_than(self, value: Any) -> Criteria:
        return self._make("less_than", escape_value(value))

    def less_equal(self, value: Any) -> Criteria:
        return self._make("less_equal", escape_value(value))

    def in_(self, values: Iterable[Any]) -> Criteria:
        items = [escape_value(v) for v in values]
        if not items:
            raise InputError(f"{self.api_name} in (...) needs at least one value")
        return self._make("in", ",".join(items))

    def between(self, low: Any, high: Any) -> Criteria:
        return self._make("between", f"{escape_value(low)},{escape_value(high)}")
