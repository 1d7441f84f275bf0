"""Column operations over pyarrow arrays: vectorised clean-up, and per-value Python only on distinct values."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

_HYPERLINK_RE2 = r'^=\s*(?i:HYPERLINK)\(\s*"([^"]*)"[^)]*\)$'
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


def _any(mask: pa.Array) -> bool:
    return bool(pc.any(mask).as_py())


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
    # Each rewrite runs only when some value needs it: most columns need none of them.
    text = array
    if _any(pc.match_substring_regex(text, _CONTROL)):
        text = pc.replace_substring_regex(text, _CONTROL, "")
    text = pc.utf8_trim_whitespace(text)
    if _any(pc.starts_with(text, "'")):
        text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"^'", ""))
    if _any(pc.starts_with(text, "=")):
        text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, _HYPERLINK_RE2, r"\1"))
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


_JSON_UNSAFE = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"


def _json_string_body(array: pa.Array) -> pa.Array:
    text = pc.replace_substring(array, "\\", "\\\\")
    text = pc.replace_substring(text, '"', '\\"')
    text = pc.replace_substring(text, "\n", "\\n")
    text = pc.replace_substring(text, "\r", "\\r")
    return pc.replace_substring(text, "\t", "\\t")


def json_objects(names: list[str], arrays: list[pa.Array]) -> list[str]:
    """One JSON object per row, ``{name: value}`` for the non-empty values, built with column kernels.

    Rows holding rare control characters are serialized with :mod:`json` instead, so the output is always
    what ``json.dumps(..., ensure_ascii=False)`` would accept back.

    Example:
        >>> json_objects(["a", "b"], [pa.array(['x "1"', ""]), pa.array(["", None])])
        ['{"a":"x \\\\"1\\\\""}', '{}']
    """
    if not arrays:
        return []
    fragments = []
    for name, array in zip(names, arrays, strict=True):
        present = pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)
        if present.null_count == len(present):
            continue  # an empty column adds nothing to any row
        if _any(pc.match_substring_regex(present, r'[\\"\n\r\t]')):
            present = _json_string_body(present)
        prefix = json.dumps(name, ensure_ascii=False) + ':"'
        fragment = pc.binary_join_element_wise(prefix, present, '",', "")
        fragments.append(pc.fill_null(fragment, ""))
    if not fragments:
        return ["{}"] * len(arrays[0])
    body = pc.replace_substring_regex(pc.binary_join_element_wise(*fragments, ""), ",$", "")
    objects = pc.binary_join_element_wise("{", body, "}", "")
    result: list[str] = objects.to_pylist()
    unsafe = pc.match_substring_regex(objects, _JSON_UNSAFE)
    if pc.any(unsafe).as_py():
        for index in pc.indices_nonzero(unsafe).to_pylist():
            row = {n: a[index].as_py() for n, a in zip(names, arrays, strict=True)}
            result[index] = json.dumps({k: v for k, v in row.items() if v}, ensure_ascii=False)
    return result
