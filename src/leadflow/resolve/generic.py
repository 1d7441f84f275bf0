"""Cluster any table with a :class:`MatchModel`: the resolver's scoring and clustering without the prospect
columns (used by the FEBRL benchmark, and by anything else that needs one record per entity)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from leadflow.resolve.clustering import cluster
from leadflow.resolve.matching import MatchOptions, score_pairs
from leadflow.resolve.model import MatchModel


@dataclass
class Clustering:
    labels: dict[str, int]  # record id -> cluster label (the smallest row index in its cluster)
    stats: dict[str, Any]


def cluster_records(table: pa.Table, *, id_column: str, model: MatchModel, options: MatchOptions) -> Clustering:
    """Score the blocked pairs of ``table`` with ``model`` and group records joined above the threshold.

    With ``options.link_type == "link_only"`` the table needs a ``source_dataset`` column.

    Example:
        >>> from leadflow.resolve.model import MatchModel, exact_comparison
        >>> m = MatchModel((exact_comparison("n", "name", m=0.9, u=0.01),), ("l.name = r.name",), (), ())
        >>> t = pa.table({"id": ["a", "b", "c"], "name": ["x", "x", "y"]})
        >>> c = cluster_records(t, id_column="id", model=m, options=MatchOptions(threshold=0.001))
        >>> c.labels["a"] == c.labels["b"] != c.labels["c"]
        True
    """
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.register("records_arrow", table)
    con.execute(
        f'CREATE TABLE records AS SELECT (row_number() OVER (ORDER BY "{id_column}") - 1)::BIGINT AS idx, * '
        "FROM records_arrow"
    )
    ids = [row[0] for row in con.execute(f'SELECT "{id_column}" FROM records ORDER BY idx').fetchall()]
    outcome = score_pairs(con, "records", model, options)
    edges = outcome.edges
    scored = list(zip(*(edges.column(c).to_pylist() for c in ("idx_l", "idx_r", "match_weight")), strict=True))
    result = cluster(len(ids), slots=[{} for _ in ids], key_edges=[], scored_edges=scored, strong_weight=0.0)
    con.close()
    return Clustering(
        labels=dict(zip(ids, result.labels, strict=True)),
        stats={"records": len(ids), "scored_edges": len(scored), **outcome.parameters},
    )
