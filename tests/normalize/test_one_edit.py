from __future__ import annotations

import pytest

from leadflow.normalize.one_edit import OneEditIndex, one_edit_apart


@pytest.mark.parametrize(
    ("left", "right", "apart"),
    [
        ("lucas", "ulcas", True),  # two letters swapped
        ("chuck", "chucck", True),  # a letter doubled
        ("jon", "jn", True),  # a letter dropped
        ("karlsson", "karlssen", True),  # a letter changed
        ("lee", "lee", False),  # the same word
        ("cjen", "chn", False),  # two edits
        ("sanchez", "snachze", False),  # two swaps
        ("ab", "ba", True),
        ("", "a", True),
    ],
)
def test_one_edit_apart(left: str, right: str, apart: bool) -> None:
    assert one_edit_apart(left, right) is apart
    assert one_edit_apart(right, left) is apart


def test_the_index_finds_every_word_one_edit_away_and_only_those() -> None:
    words = ["rebecca", "rebekah", "mark", "margo", "marco", "lucas", "luke"]
    index = OneEditIndex(words)
    for probe in ("rbeecca", "mrak", "marko", "ulcas", "lukas", "luk", "zzz", "mark"):
        assert index.near(probe) == tuple(sorted(w for w in words if one_edit_apart(probe, w)))
    assert "mark" in index
    assert "marko" not in index
