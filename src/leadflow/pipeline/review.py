"""``leadflow review train``: reviewers' accepted pairs become the match model's m probabilities."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine

from leadflow.errors import InputError
from leadflow.resolve.labels import LabelledM, labelled_m
from leadflow.resolve.model import PEOPLE_MODEL
from leadflow.store import kv
from leadflow.store import review as review_store

LABELLED_M_KEY = "resolve.labelled_m"


@dataclass
class TrainReport:
    labelled: int
    changes: list[tuple[str, str, float, float]] = field(default_factory=list)  # comparison, level, before, after


def train_from_decisions(engine: Engine) -> TrainReport:
    """Estimate m from the accepted pairs' comparison levels and keep it for every later resolve."""
    with engine.begin() as connection:
        accepted = [
            d["detail"] for d in review_store.decisions(connection) if d["decision"] == "accept" and d["detail"]
        ]
        if not accepted:
            raise InputError("no accepted pairs to learn from: accept pairs with `leadflow review accept ID` first")
        before = stored_labelled_m(connection)
        after = labelled_m(PEOPLE_MODEL, accepted)
        kv.set_value(connection, key=LABELLED_M_KEY, value=after)
    changes = []
    for comparison in PEOPLE_MODEL.comparisons:
        for level in comparison.levels:
            old = before.get(comparison.name, {}).get(level.label, level.m)
            changes.append((comparison.name, level.label, old, after[comparison.name][level.label]))
    return TrainReport(labelled=len(accepted), changes=changes)


def stored_labelled_m(connection: Connection) -> LabelledM:
    value: Any = kv.get_value(connection, key=LABELLED_M_KEY, default={})
    return {str(c): {str(level): float(m) for level, m in levels.items()} for c, levels in (value or {}).items()}


def labelled_m_option(connection: Connection) -> tuple[tuple[str, str, float], ...]:
    """The stored m values as :class:`leadflow.resolve.matching.MatchOptions` takes them."""
    stored = stored_labelled_m(connection)
    return tuple((c, level, m) for c, levels in sorted(stored.items()) for level, m in sorted(levels.items()))
