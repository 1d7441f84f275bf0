"""Clusters from edges, with a guard: two groups holding different values of an *exclusive* slot (two verified
emails at one domain, two Sales Navigator ids, two LinkedIn slugs) are namesakes, not one person, and are joined
only by an edge at least as strong as ``strong_weight``.

Key edges (shared identifiers) are applied first and unconditionally; scored edges follow from the strongest
down, so the best evidence decides which of two namesakes an ambiguous row (a Sales Navigator row without an
email) joins.

A reviewer's "not the same person" (a cannot-link pair) is a hard slot (key starting with ``!``): no edge, key
or scored, however strong, puts the two rows in one cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

HARD = "!"


def with_cannot_links(slots: Sequence[dict[str, str]], pairs: Sequence[tuple[int, int]]) -> list[dict[str, str]]:
    """``slots`` with a hard slot per cannot-link pair (the two rows hold different values of it).

    Example:
        >>> with_cannot_links([{}, {}], [(0, 1)])
        [{'!0': 'l'}, {'!0': 'r'}]
    """
    result = [dict(slot) for slot in slots]
    for n, (left, right) in enumerate(pairs):
        result[left][f"{HARD}{n}"] = "l"
        result[right][f"{HARD}{n}"] = "r"
    return result


@dataclass
class ClusterResult:
    """Per row (parallel lists, cheap at a million rows): its cluster label (the smallest row index in it) and
    how it came in: the partner row of the edge that attached it, that edge's weight (``None`` for a key edge)
    and the reason (``email``, ``linkedin_slug``, ... for a key edge, ``splink``, or ``single``)."""

    labels: list[int]
    partners: list[int]  # -1: none
    weights: list[float | None]
    reasons: list[str]
    rejected: int = 0  # scored edges refused by the namesake guard
    rejected_pairs: list[tuple[int, int, float]] = field(default_factory=list)


class _UnionFind:
    def __init__(self, slots: Sequence[dict[str, str]]) -> None:
        self.parent = list(range(len(slots)))
        # sets are made lazily: most rows never merge with a row holding the same slot
        self.slots: list[dict[str, set[str]] | dict[str, str]] = list(slots)

    def find(self, item: int) -> int:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    @staticmethod
    def _values(value: set[str] | str) -> set[str]:
        return value if isinstance(value, set) else {value}

    def conflict(self, a: int, b: int, *, hard_only: bool = False) -> bool:
        small, large = sorted((self.slots[a], self.slots[b]), key=len)
        return any(
            (not hard_only or key.startswith(HARD))
            and key in large
            and self._values(values).isdisjoint(self._values(large[key]))
            for key, values in small.items()
        )

    def union(self, a: int, b: int) -> None:
        if len(self.slots[a]) < len(self.slots[b]):
            a, b = b, a
        self.parent[b] = a
        if self.slots[b]:
            merged: dict[str, set[str]] = {key: set(self._values(v)) for key, v in self.slots[a].items()}
            for key, values in self.slots[b].items():
                merged.setdefault(key, set()).update(self._values(values))
            self.slots[a] = merged
            self.slots[b] = {}


def cluster(
    size: int,
    *,
    slots: Sequence[dict[str, str]],
    key_edges: Sequence[tuple[int, int, str]],
    scored_edges: Sequence[tuple[int, int, float]],
    strong_weight: float,
) -> ClusterResult:
    """Group ``size`` rows into clusters.

    ``slots[i]`` holds row i's exclusive values, e.g. ``{"email@acme.com": "jo@acme.com"}``.

    Example:
        >>> r = cluster(3, slots=[{"e@x": "a@x"}, {}, {"e@x": "b@x"}], key_edges=[],
        ...             scored_edges=[(0, 1, 12.0), (1, 2, 11.0)], strong_weight=20.0)
        >>> r.labels, r.rejected
        ([0, 0, 2], 1)
    """
    if len(slots) != size:
        raise ValueError("one slot mapping per row")
    uf = _UnionFind(slots)
    partners = [-1] * size
    weights: list[float | None] = [None] * size
    reasons = ["single"] * size
    rejected = 0
    rejected_pairs: list[tuple[int, int, float]] = []
    for left, right, reason in key_edges:
        ra, rb = uf.find(left), uf.find(right)
        if ra != rb and uf.conflict(ra, rb, hard_only=True):
            continue  # a reviewer said these are two people
        for row, partner in ((right, left), (left, right)):
            if reasons[row] == "single":
                partners[row], reasons[row] = partner, reason
        if ra != rb:
            uf.union(ra, rb)
    for left, right, weight in sorted(scored_edges, key=lambda e: (-e[2], e[0], e[1])):
        ra, rb = uf.find(left), uf.find(right)
        if ra == rb:
            continue
        if uf.conflict(ra, rb, hard_only=True):
            continue
        if weight < strong_weight and uf.conflict(ra, rb):
            rejected += 1
            rejected_pairs.append((left, right, weight))
            continue
        uf.union(ra, rb)
        for row, partner in ((right, left), (left, right)):
            if reasons[row] == "single":
                partners[row], weights[row], reasons[row] = partner, weight, "splink"
    roots = [uf.find(i) for i in range(size)]
    smallest: dict[int, int] = {}
    for i, root in enumerate(roots):
        smallest.setdefault(root, i)
    return ClusterResult(
        labels=[smallest[root] for root in roots],
        partners=partners,
        weights=weights,
        reasons=reasons,
        rejected=rejected,
        rejected_pairs=rejected_pairs,
    )
