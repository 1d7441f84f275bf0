"""Rules from config compiled to column expressions: is the value known, and how many points does it earn."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.config import BandsRule, PointsRule, SignalRule
from leadflow.scoring.sql import Params, in_list, key, key_sql, lookup, number


@dataclass(frozen=True)
class Dimension:
    """One scored dimension: SQL for "known", "earned points" and the value shown in reasons.

    ``signal`` dimensions (lists such as technologies) add points on top; the others are averaged over the
    dimensions that are known, so an unknown dimension neither adds nor subtracts.
    """

    name: str
    field: str
    known: str
    earned: str
    value: str
    max_points: float
    signal: bool = False
    prep: tuple[tuple[str, str], ...] = ()
    """Columns (name, SQL) computed once per record before the dimension's expressions use them."""


def points_dimension(
    name: str,
    column: str,
    rule: PointsRule,
    params: Params,
    *,
    aliases: dict[str, list[str]] | None = None,
    field: str | None = None,
) -> Dimension:
    """A categorical dimension; ``aliases`` expands names (regions) into the values they stand for.

    A value named by several entries gets the most points among them.
    """
    table: dict[str, float] = {}
    expanded = {key(name_): [key(v) for v in values] for name_, values in (aliases or {}).items()}
    for raw, points in rule.points.items():
        for value in expanded.get(key(raw), [key(raw)]):
            table[value] = max(points, table.get(value, points))
    value = f"k_{name}"
    earned = f"LEAST({number(rule.max_points)}, {lookup(value, table, rule.other, params)})"
    return Dimension(
        name,
        field or column,
        f"({value} IS NOT NULL)",
        earned,
        f"CAST({column} AS VARCHAR)",
        rule.max_points,
        prep=((value, key_sql(column)),),
    )


def bands_dimension(name: str, column: str, rule: BandsRule) -> Dimension:
    """A numeric dimension: the first band holding the value gives its points; no band gives 0."""
    whens = []
    for band in rule.bands:
        tests = []
        if band.min is not None:
            tests.append(f"{column} >= {number(band.min)}")
        if band.max is not None:
            tests.append(f"{column} <= {number(band.max)}")
        whens.append(f"WHEN {' AND '.join(tests) or 'TRUE'} THEN {number(band.points)}")
    earned = f"LEAST({number(rule.max_points)}, (CASE {' '.join(whens)} ELSE 0.0 END))"
    known = f"({column} IS NOT NULL AND NOT isnan(CAST({column} AS DOUBLE)))"
    value = f"CAST(CAST({column} AS BIGINT) AS VARCHAR)"
    return Dimension(name, column, known, earned, value, rule.max_points)


def signal_dimension(name: str, column: str, rule: SignalRule, params: Params) -> Dimension:
    """A list dimension: each item of the list found in the table adds its points, up to ``max_points``."""
    table = {key(item): points for item, points in rule.points.items()}
    items = f"list_distinct(list_transform({column}, lambda x: {key_sql('x')}))"
    matched = f"m_{name}"
    per_item = f"list_transform({matched}, lambda x: {lookup('x', table, 0.0, params)})"
    earned = f"LEAST({number(rule.max_points)}, coalesce(list_sum({per_item}), 0.0))"
    known = f"(n_{name} > 0)"
    value = f"nullif(array_to_string(list_sort({matched}), ', '), '')"
    prep = (
        (matched, f"list_filter({items}, lambda x: {in_list('x', list(table), params)})"),
        (f"n_{name}", f"coalesce(len({column}), 0)"),
    )
    return Dimension(name, column, known, earned, value, rule.max_points, signal=True, prep=prep)
