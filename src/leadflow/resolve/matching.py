"""Probabilistic matching with splink (v5): train a :class:`MatchModel` on the data, score the blocked pairs,
return the edges above the threshold with a per-comparison breakdown (for ``--explain``).

splink runs on DuckDB (default) or Spark (:mod:`leadflow.resolve.splink_backend`); the edges are built in DuckDB.
"""

from __future__ import annotations

import contextlib
import logging
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import duckdb
import pyarrow as pa

from leadflow.resolve.model import MatchModel
from leadflow.resolve.splink_backend import Backend, SparkOptions, open_backend

EDGE_SCHEMA = pa.schema(
    [
        pa.field("idx_l", pa.int64()),
        pa.field("idx_r", pa.int64()),
        pa.field("match_weight", pa.float64()),
        pa.field("match_probability", pa.float64()),
        pa.field("detail", pa.string()),
    ]
)


PRIOR_BOUNDS = (1e-9, 0.5)


@dataclass(frozen=True)
class MatchOptions:
    threshold: float = 0.99
    review_threshold: float | None = None  # pairs from here up to ``threshold`` come back too, for review
    # (comparison, level label, m) learnt from reviewers' labels (resolve.labels): set after training, so they win
    labelled_m: tuple[tuple[str, str, float], ...] = ()
    seed: int = 42
    max_pairs_for_u: float = 2e6
    max_pairs_for_em: float = 2e6
    train_min_rows: int = 2000
    link_type: Literal["dedupe_only", "link_only"] = "dedupe_only"
    backend: Backend = "duckdb"
    spark: SparkOptions = field(default_factory=SparkOptions)


@dataclass(frozen=True)
class MatchOutcome:
    edges: pa.Table
    trained: bool
    parameters: dict[str, Any]


def score_pairs(con: duckdb.DuckDBPyConnection, table: str, model: MatchModel, options: MatchOptions) -> MatchOutcome:
    """Score the blocked pairs of ``table`` (unique id column ``idx``) and keep those above the threshold.

    For ``link_only`` the table needs a ``source_dataset`` column with two values.

    Example:
        >>> from leadflow.resolve.model import exact_comparison
        >>> con = duckdb.connect()
        >>> _ = con.execute("CREATE TABLE t AS SELECT * FROM (VALUES (0, 'ann'), (1, 'ann'), (2, 'bo')) v(idx, name)")
        >>> m = MatchModel((exact_comparison("n", "name", m=0.9, u=0.01),), ("l.name = r.name",), (), ())
        >>> score_pairs(con, "t", m, MatchOptions(threshold=0.001)).edges.column("idx_r").to_pylist()
        [1]
    """
    from splink import Linker

    for name in ("splink", "splink.internals"):
        logging.getLogger(name).setLevel(logging.ERROR)

    backend = open_backend(con, table, model, link_type=options.link_type, backend=options.backend, spark=options.spark)
    model = backend.model
    settings: dict[str, Any] = {
        "link_type": options.link_type,
        "unique_id_column_name": "idx",
        "comparisons": [c.as_splink() for c in model.comparisons],
        "blocking_rules_to_generate_predictions": list(model.blocking_rules),
        "probability_two_random_records_match": model.prior,
        "retain_intermediate_calculation_columns": True,
        "retain_matching_columns": True,
        "additional_columns_to_retain": list(model.retain),
    }
    linker = Linker(backend.inputs, settings, log_level=logging.ERROR)
    rows = int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
    trained = rows >= options.train_min_rows
    if trained:
        _train(linker, model, options)
    _apply_labelled_m(linker._settings_obj, options.labelled_m)
    lowest = min(options.threshold, options.review_threshold or options.threshold)
    predictions = linker.inference.predict(threshold_match_probability=lowest)
    edges = _edges(backend.to_duckdb(predictions, _edge_columns(model)), model)
    backend.close()
    parameters = {
        "trained": trained,
        "probability_two_random_records_match": float(linker._settings_obj._probability_two_random_records_match),
    }
    return MatchOutcome(edges=edges, trained=trained, parameters=parameters)


def _train(linker: Any, model: MatchModel, options: MatchOptions) -> None:
    """Prior from deterministic rules, u by seeded random sampling, m by EM; each step guarded.

    EM needs duplicates to learn from: on data with no pair under the deterministic rules it would fit m to some
    other structure (same company, say), so then the built-in m values stay. After EM, a comparison whose levels
    no longer order as evidence should (agreement for, disagreement against) gets its built-in m values back.
    """
    settings = linker._settings_obj
    # splink raises plain Exceptions when a rule finds no pairs: keep the prior then.
    with contextlib.suppress(Exception):
        linker.training.estimate_probability_two_random_records_match(list(model.deterministic_rules), recall=0.7)
    estimate = float(settings._probability_two_random_records_match)
    duplicates_seen = PRIOR_BOUNDS[0] <= estimate <= PRIOR_BOUNDS[1] and estimate != model.prior
    if not duplicates_seen:
        settings._probability_two_random_records_match = model.prior
    linker.training.estimate_u_using_random_sampling(max_pairs=options.max_pairs_for_u, seed=options.seed)
    if not duplicates_seen:
        return
    for rule in model.training_blocks:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule, max_pairs=options.max_pairs_for_em)
        except Exception:
            continue
    _restore_implausible_m(settings, model)


def _apply_labelled_m(settings: Any, labelled: tuple[tuple[str, str, float], ...]) -> None:
    wanted = {(name, label): m for name, label, m in labelled}
    if not wanted:
        return
    for comparison in settings.comparisons:
        for level in comparison.comparison_levels:
            key = (comparison.output_column_name, level.label_for_charts)
            if not level.is_null_level and key in wanted:
                level.m_probability = wanted[key]


def _restore_implausible_m(settings: Any, model: MatchModel) -> None:
    for trained, spec in zip(settings.comparisons, model.comparisons, strict=True):
        levels = [level for level in trained.comparison_levels if not level.is_null_level]
        weights = []
        for level in levels:
            m, u = level.m_probability, level.u_probability
            weights.append(math.log2(m / u) if m and u else 0.0)
        if weights and weights[0] > 0 >= weights[-1]:
            continue
        for level, start in zip(levels, spec.levels, strict=True):
            level.m_probability = start.m


def _edge_columns(model: MatchModel) -> list[str]:
    names = [c.name for c in model.comparisons]
    return ["idx_l", "idx_r", "match_weight", "match_probability"] + [
        f"{prefix}_{name}" for name in names for prefix in ("gamma", "mw")
    ]


def _edges(predictions: duckdb.DuckDBPyRelation, model: MatchModel) -> pa.Table:
    """Edges with a JSON breakdown ``{comparison: {"level", "weight"}}`` built in DuckDB."""
    items = []
    for comparison in model.comparisons:
        levels = " ".join(
            f"WHEN {len(comparison.levels) - 1 - i} THEN '{level.label}'" for i, level in enumerate(comparison.levels)
        )
        label = f"""CASE "gamma_{comparison.name}" {levels} ELSE 'null' END"""
        weight = f'round(coalesce("mw_{comparison.name}", 0), 3)'
        items.append(f"'{comparison.name}', json_object('level', {label}, 'weight', {weight})")
    relation = predictions.query(
        "p",
        f"""SELECT idx_l::BIGINT AS idx_l, idx_r::BIGINT AS idx_r, match_weight::DOUBLE AS match_weight,
                  match_probability::DOUBLE AS match_probability, json_object({", ".join(items)})::VARCHAR AS detail
           FROM p ORDER BY idx_l, idx_r""",
    )
    if relation is None:
        return EDGE_SCHEMA.empty_table()
    return relation.to_arrow_table().cast(EDGE_SCHEMA)
