"""Words one edit apart: a letter dropped, added or changed, or two neighbouring letters swapped.

:class:`OneEditIndex` finds, among a fixed vocabulary, the words one edit from a given word without trying
every edit: each word is filed under itself and each of its one-letter deletions, and two words one edit apart
always share such a key (``lucas`` and its swap ``ulcas`` share ``ucas``), so a lookup costs one probe per
letter; the few candidates are then checked with :func:`one_edit_apart`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable


def one_edit_apart(left: str, right: str) -> bool:
    """Whether ``left`` and ``right`` differ by exactly one edit (Damerau-Levenshtein distance 1).

    Example:
        >>> one_edit_apart("ulcas", "lucas"), one_edit_apart("chucck", "chuck"), one_edit_apart("cjen", "chn")
        (True, True, False)
    """
    if left == right or abs(len(left) - len(right)) > 1:
        return False
    if len(left) > len(right):
        left, right = right, left
    start = 0
    while start < len(left) and left[start] == right[start]:
        start += 1
    if len(left) < len(right):  # one letter added to the shorter
        return left[start:] == right[start + 1 :]
    if left[start + 1 :] == right[start + 1 :]:  # one letter changed
        return True
    swapped = start + 1 < len(left) and left[start] == right[start + 1] and left[start + 1] == right[start]
    return swapped and left[start + 2 :] == right[start + 2 :]


def _deletions(word: str) -> set[str]:
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


class OneEditIndex:
    """A vocabulary searchable for the words one edit from a word.

    Example:
        >>> index = OneEditIndex(["rebecca", "william", "chuck", "lucas"])
        >>> index.near("rbeecca"), index.near("wulliam"), index.near("chucck"), index.near("ulcas")
        (('rebecca',), ('william',), ('chuck',), ('lucas',))
        >>> index.near("rebecca"), index.near("anna")
        ((), ())
    """

    def __init__(self, words: Iterable[str]) -> None:
        self._words = frozenset(words)
        self._by_key: dict[str, set[str]] = defaultdict(set)
        for word in self._words:
            for key in _deletions(word):
                self._by_key[key].add(word)

    def __contains__(self, word: object) -> bool:
        return word in self._words

    def near(self, word: str) -> tuple[str, ...]:
        """The vocabulary's words one edit from ``word`` (not ``word`` itself), sorted."""
        candidates: set[str] = set()
        for key in _deletions(word):
            candidates |= self._by_key.get(key, set())
        return tuple(sorted(c for c in candidates if one_edit_apart(word, c)))
