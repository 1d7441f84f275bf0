"""Column operations over pyarrow arrays: vectorised clean-up, and per-value Python only on distinct values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

_HYPERLINK_RE2 = r'^=\s*(?i:HYPERLINK)\(\s*"([^"]*)"[^)]*\)$'


def as_strings(values: list[str | None] | pa.Array) -> pa.Array:
    """A ``string`` array from a Python list (or pass an array through)."""
    if isinstance(values, pa.Array):
        return values
    return pa.array(values, type=pa.string())


def clean_cells(array: pa.Array) -> pa.Array:
    """Vectorised :func:`leadflow.normalize.text.clean_cell`: trim, Excel guard, HYPERLINK unwrap, '' -> null.

    Example:
        >>> clean_cells(pa.array([" 'x ", "", None])).to_pylist()
        ['x', None, None]
    """
    # Control characters (other than tab and newline) are never data; \x1f also separates composite keys.
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(array, r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", ""))
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"^'", ""))
    text = pc.replace_substring_regex(text, _HYPERLINK_RE2, r"\1")
    text = pc.utf8_trim_whitespace(text)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def map_distinct(array: pa.Array, fn: Callable[[Any], Any], type_: pa.DataType) -> pa.Array:
    """Apply ``fn`` once per distinct non-null value and spread the results back to every row.

    Nulls stay null without calling ``fn``.

    Example:
        >>> map_distinct(pa.array(["a", "b", "a", None]), str.upper, pa.string()).to_pylist()
        ['A', 'B', 'A', None]
    """
    if len(array) == 0:
        return pa.array([], type=type_)
    encoded = pc.dictionary_encode(array)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    dictionary = encoded.dictionary.to_pylist()
    mapped = pa.array([fn(value) for value in dictionary], type=type_)
    return mapped.take(encoded.indices)


def coalesce(*arrays: pa.Array) -> pa.Array:
    """The first non-null value of each row across several arrays."""
    return pc.coalesce(*arrays)


def null_strings(length: int) -> pa.Array:
    """A string array of ``length`` nulls."""
    return pa.nulls(length, type=pa.string())
