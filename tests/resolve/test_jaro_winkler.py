"""The Spark backend's Jaro-Winkler is DuckDB's ``jaro_winkler_similarity``, to the last bit."""

from __future__ import annotations

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow.resolve.jaro_winkler import jaro_winkler_similarity

# small alphabets make repeated and transposed characters (where implementations differ) common
TEXT = st.text(alphabet=st.sampled_from("abcde é中"), max_size=25) | st.text(max_size=12)


def duckdb_scores(pairs: list[tuple[str | None, str | None]]) -> list[float | None]:
    con = duckdb.connect()
    con.register("pairs", pa.table({"a": [a for a, _ in pairs], "b": [b for _, b in pairs]}, schema=SCHEMA))
    return [row[0] for row in con.sql("SELECT jaro_winkler_similarity(a, b) FROM pairs").fetchall()]


SCHEMA = pa.schema([("a", pa.string()), ("b", pa.string())])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(TEXT, TEXT), min_size=1, max_size=200))
def test_equals_duckdb_on_any_text(pairs: list[tuple[str, str]]) -> None:
    assert [jaro_winkler_similarity(a, b) for a, b in pairs] == duckdb_scores(list(pairs))


def test_known_values_nulls_and_the_pair_splinks_scala_udf_scores_differently() -> None:
    pairs: list[tuple[str | None, str | None]] = [
        ("chief financial officer", "chief executive officer"),  # commons-text: 0.847 (below a 0.85 level)
        ("martha", "marhta"),
        ("", ""),
        ("a", "a"),
        (None, "x"),
    ]
    expected = duckdb_scores(pairs)
    assert [jaro_winkler_similarity(a, b) for a, b in pairs] == expected
    assert expected[0] is not None
    assert expected[0] > 0.85
    assert expected[2:] == [0.0, 1.0, None]
