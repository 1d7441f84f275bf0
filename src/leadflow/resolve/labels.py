"""m probabilities from reviewers' labels: the comparison levels of pairs a person accepted as one person.

A pair's stored breakdown (``{comparison: {"level": label, "weight": w}}``) says which level each comparison
reached. Among accepted pairs, the share at each level is an estimate of m (the chance a true match lands
there). Reviewed pairs are the uncertain ones, not a random sample of matches, so the estimate is blended with
the model's current m (``prior_pairs`` pseudo-pairs of it): a few labels nudge the model, many labels steer it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from leadflow.resolve.model import MatchModel

LabelledM = dict[str, dict[str, float]]  # comparison -> level label -> m


def labelled_m(model: MatchModel, accepted: Iterable[Mapping[str, Any]], *, prior_pairs: float = 20.0) -> LabelledM:
    """m per comparison level from the breakdowns of accepted pairs.

    Example:
        >>> from leadflow.resolve.model import exact_comparison
        >>> m = MatchModel((exact_comparison("phone", "p", m=0.5, u=0.01),), (), (), ())
        >>> labelled_m(m, [{"phone": {"level": "exact"}}] * 20)
        {'phone': {'exact': 0.75, 'different': 0.25}}
    """
    details = list(accepted)
    result: LabelledM = {}
    for comparison in model.comparisons:
        known = {level.label for level in comparison.levels}
        # only the model's own levels: a same_name pair's "similar" was never scored, so it teaches nothing
        seen = Counter(
            str(d[comparison.name]["level"])
            for d in details
            if isinstance(d.get(comparison.name), Mapping) and d[comparison.name].get("level") in known
        )
        total = sum(seen.values())
        result[comparison.name] = {
            level.label: round((seen[level.label] + prior_pairs * level.m) / (total + prior_pairs), 6)
            for level in comparison.levels
        }
    return result


def with_m(model: MatchModel, m: Mapping[str, Mapping[str, float]]) -> MatchModel:
    """``model`` with the given m probabilities as its starting values (levels not named keep theirs)."""
    import dataclasses

    comparisons = tuple(
        dataclasses.replace(
            c,
            levels=tuple(
                dataclasses.replace(level, m=float(m.get(c.name, {}).get(level.label, level.m))) for level in c.levels
            ),
        )
        for c in model.comparisons
    )
    return dataclasses.replace(model, comparisons=comparisons)
