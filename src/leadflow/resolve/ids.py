"""Golden record ids that survive re-runs: a cluster holding rows of an existing golden record keeps its id."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet

PERSON_ID_PREFIX = "gp_"


def derived_id(prefix: str, seed: str) -> str:
    """``prefix`` + 16 hex digits derived from ``seed``.

    Example:
        >>> derived_id("gc_", "d:acme.com")
        'gc_7e721d8693c8977c'
    """
    return prefix + hashlib.sha256(seed.encode()).hexdigest()[:16]


def assign_ids(
    clusters: Sequence[Sequence[str]],
    previous: Mapping[str, str],
    *,
    prefix: str = PERSON_ID_PREFIX,
    reserved: AbstractSet[str] = frozenset(),
) -> list[str]:
    """One id per cluster (a list of member rids). Larger clusters choose first among the ids their members had;
    a cluster with none (or whose ids were taken) gets an id derived from its smallest member, never one of
    ``previous``'s ids nor of ``reserved`` (ids other clusters hold).

    Example:
        >>> assign_ids([["p:3"], ["p:1", "p:2"]], {"p:2": "gp_old"})
        ['gp_5cf295a9bb96b20a', 'gp_old']
    """
    order = sorted(range(len(clusters)), key=lambda i: (-len(clusters[i]), min(clusters[i])))
    taken: set[str] = set()
    reserved = set(previous.values()) | reserved
    result = [""] * len(clusters)
    for i in order:
        votes = Counter(previous[rid] for rid in clusters[i] if rid in previous)
        for candidate, _count in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])):
            if candidate not in taken:
                result[i] = candidate
                break
        if not result[i]:
            seed = min(clusters[i])
            new = derived_id(prefix, seed)
            attempt = 0
            while new in taken or new in reserved:
                attempt += 1
                new = derived_id(prefix, f"{seed}#{attempt}")
            result[i] = new
        taken.add(result[i])
    return result
