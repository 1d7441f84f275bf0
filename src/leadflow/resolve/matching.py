"""Probabilistic matching with splink (v5) on DuckDB: train a :class:`MatchModel` on the data, score the
blocked pairs, return the edges above the threshold with a per-comparison breakdown (for ``--explain``).
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any, Literal

import duckdb
import pyarrow as pa

from leadflow.resolve.model import MatchModel

EDGE_SCHEMA = pa.schema(
    [
        pa.field("idx_l", pa.int64()),
        pa.field("idx_r", pa.int64()),
        pa.field("match_weight", pa.float64()),
        pa.field("match_probability", pa.float64()),
        pa.field("detail", pa.string()),
    ]
)


@dataclass(frozen=True)
class MatchOptions:
    threshold: float = 0.95
    seed: int = 42
    max_pairs_for_u: float = 2e6
    train_min_rows: int = 2000
    link_type: Literal["dedupe_only", "link_only"] = "dedupe_only"


@dataclass(frozen=True)
class MatchOutcome:
    edges: pa.Table
    trained: bool
    parameters: dict[str, Any]


def score_pairs(con: duckdb.DuckDBPyConnection, table: str, model: MatchModel, options: MatchOptions) -> MatchOutcome:
    """Score the blocked pairs of ``table`` (unique id column ``idx``) and keep those above the threshold.

    For ``link_only`` the table needs a ``source_dataset`` column with two values.

    Example:
        >>> con = duckdb.connect()
        >>> from leadflow.resolve.model import PEOPLE_MODEL
        >>> # see tests/resolve/test_matching.py for a full run
    """
    from splink import DuckDBAPI, Linker

    for name in ("splink", "splink.internals"):
        logging.getLogger(name).setLevel(logging.ERROR)

    api = DuckDBAPI(con)
    if options.link_type == "link_only":
        datasets = [row[0] for row in con.sql(f"SELECT DISTINCT source_dataset FROM {table} ORDER BY 1").fetchall()]
        inputs: Any = [
            api.register(
                con.sql(f"SELECT * FROM {table} WHERE source_dataset = '{name}'").to_arrow_table(),
                table_name=f"{table}_{name}",
            )
            for name in datasets
        ]
    else:
        inputs = api.register(table, table_name=f"{table}_input")
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
    linker = Linker(inputs, settings, log_level=logging.ERROR)
    rows = int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
    trained = rows >= options.train_min_rows
    if trained:
        _train(linker, model, options)
    predictions = linker.inference.predict(threshold_match_probability=options.threshold).as_duckdbpyrelation()
    edges = _edges(predictions, model)
    parameters = {
        "trained": trained,
        "probability_two_random_records_match": float(linker._settings_obj._probability_two_random_records_match),
    }
    return MatchOutcome(edges=edges, trained=trained, parameters=parameters)


def _train(linker: Any, model: MatchModel, options: MatchOptions) -> None:
    with contextlib.suppress(Exception):
        linker.training.estimate_probability_two_random_records_match(list(model.deterministic_rules), recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=options.max_pairs_for_u, seed=options.seed)
    for rule in model.training_blocks:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except Exception:
            continue


def _edges(predictions: duckdb.DuckDBPyRelation, model: MatchModel) -> pa.Table:
    names = [c.name for c in model.comparisons]
    gamma_cols = ", ".join(f'"gamma_{n}"' for n in names)
    mw_cols = ", ".join(f'"mw_{n}"' for n in names)
    relation = predictions.query(
        "p",
        f"SELECT idx_l, idx_r, match_weight, match_probability, {gamma_cols}, {mw_cols} FROM p ORDER BY idx_l, idx_r",
    )
    result = relation.fetchall() if relation is not None else []
    out: dict[str, list[Any]] = {f.name: [] for f in EDGE_SCHEMA}
    for row in result:
        idx_l, idx_r, weight, probability = row[0], row[1], row[2], row[3]
        gammas = row[4 : 4 + len(names)]
        weights = row[4 + len(names) :]
        detail = {
            comparison.name: {"level": comparison.level_label(int(gamma)), "weight": round(float(mw or 0.0), 3)}
            for comparison, gamma, mw in zip(model.comparisons, gammas, weights, strict=True)
        }
        out["idx_l"].append(int(idx_l))
        out["idx_r"].append(int(idx_r))
        out["match_weight"].append(float(weight))
        out["match_probability"].append(float(probability))
        out["detail"].append(json.dumps(detail, separators=(",", ":")))
    return pa.table(out, schema=EDGE_SCHEMA)
