"""Where splink runs: in process on DuckDB (the default) or on Spark (``resolve.backend = "spark"``).

Both backends give the same results on the same data. splink 5 trains with deterministic, hash-based samples
(the rows whose u probabilities it counts, the chunks it counts them in, the records EM trains on), but each
dialect hashes with its own function: DuckDB's ``hash()`` (64-bit) and Spark's Murmur3 ``hash()`` (32-bit) pick
different rows, so the trained m/u values, and with them the edges, would differ. Here both dialects hash with
one portable function instead (the first 60 bits of the MD5 of the id's text, spelled in each dialect's SQL),
so both backends draw the same samples, count the same pairs and converge to the same parameters (equal to
floating-point rounding of the sums). The model's SQL is written for DuckDB; for Spark it is translated with
sqlglot, and DuckDB's ``jaro_winkler_similarity`` becomes ``leadflow_jaro_winkler``, a Python UDF that computes
exactly what DuckDB does (:mod:`leadflow.resolve.jaro_winkler`; splink's Scala UDF scores some strings differently).
What remains is floating-point: sums over pairs in another order, so trained weights agree to about 1e-12.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import duckdb
import sqlglot
from splink.internals.dialects import DuckDBDialect, SparkDialect
from sqlglot import exp

from leadflow.resolve.model import Comparison, Level, MatchModel

Backend = Literal["duckdb", "spark"]
JARO_WINKLER_UDF = "leadflow_jaro_winkler"
HASH_HEX_DIGITS = 15  # 60 bits: a non-negative BIGINT in every dialect


@dataclass(frozen=True)
class SparkOptions:
    master: str = "local[2]"
    shuffle_partitions: int = 4
    driver_memory: str = "2g"
    checkpoint_dir: str = ""  # empty: keep splink's intermediate tables in memory (persist), else Parquet there


@dataclass(frozen=True)
class SplinkBackend:
    """A splink database API with the input tables registered, and the way back to DuckDB for its results."""

    api: Any
    inputs: Any
    model: MatchModel  # the model with its SQL in this backend's dialect
    to_duckdb: Callable[[Any, list[str]], duckdb.DuckDBPyRelation]  # (SplinkDataFrame, columns) -> relation
    close: Callable[[], None]


class PortableDuckDBDialect(DuckDBDialect):
    """DuckDB with the portable sampling hash (not a direct subclass, so splink's dialect lookup ignores it)."""

    def hash_function_expression(self, col_expression: str) -> str:
        return f"CAST(('0x' || substr(md5(CAST(({col_expression}) AS VARCHAR)), 1, {HASH_HEX_DIGITS})) AS BIGINT)"

    def hash_bucket_expression(self, col_expression: str, modulus: int) -> str:
        return f"({self.hash_function_expression(col_expression)} % {modulus})"


class PortableSparkDialect(SparkDialect):
    """Spark with the portable sampling hash: the same numbers as :class:`PortableDuckDBDialect`."""

    def hash_function_expression(self, col_expression: str) -> str:
        return f"CAST(conv(substr(md5(CAST(({col_expression}) AS STRING)), 1, {HASH_HEX_DIGITS}), 16, 10) AS BIGINT)"

    def hash_bucket_expression(self, col_expression: str, modulus: int) -> str:
        return f"({self.hash_function_expression(col_expression)} % {modulus})"


def open_backend(
    con: duckdb.DuckDBPyConnection,
    table: str,
    model: MatchModel,
    *,
    link_type: str,
    backend: Backend = "duckdb",
    spark: SparkOptions | None = None,
) -> SplinkBackend:
    """The splink API over ``table`` (in ``con``) on the chosen backend; Spark is imported only when chosen."""
    if backend == "spark":
        from leadflow.resolve.spark_session import open_spark_backend

        return open_spark_backend(con, table, spark_model(model), link_type=link_type, options=spark or SparkOptions())
    from splink import DuckDBAPI

    api = DuckDBAPI(con)
    api.sql_dialect = PortableDuckDBDialect()  # type: ignore[no-untyped-call]  # splink's __new__ is untyped
    inputs: Any
    if link_type == "link_only":
        inputs = [api.register(data, table_name=f"{table}_{name}") for name, data in split_datasets(con, table)]
    else:
        inputs = api.register(table, table_name=f"{table}_input")
    return SplinkBackend(
        api=api,
        inputs=inputs,
        model=model,
        to_duckdb=lambda frame, _columns: frame.as_duckdbpyrelation(),
        close=lambda: None,
    )


def split_datasets(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, Any]]:
    """``link_only`` input: one Arrow table per ``source_dataset`` value, in order."""
    names = [row[0] for row in con.sql(f"SELECT DISTINCT source_dataset FROM {table} ORDER BY 1").fetchall()]
    return [
        (name, con.sql(f"SELECT * FROM {table} WHERE source_dataset = '{name}'").to_arrow_table()) for name in names
    ]


def spark_model(model: MatchModel) -> MatchModel:
    """``model`` with every SQL condition and rule translated from DuckDB's SQL to Spark's.

    Example:
        >>> from leadflow.resolve.model import name_comparison
        >>> m = MatchModel((name_comparison("n", "n_key", initial=False),), ("l.a = r.a",), (), ())
        >>> spark_model(m).comparisons[0].levels[1].sql
        'LEADFLOW_JARO_WINKLER(`n_key_l`, `n_key_r`) >= 0.92'
    """

    def comparison(c: Comparison) -> Comparison:
        levels = tuple(dataclasses.replace(level, sql=_level_sql(level)) for level in c.levels)
        return dataclasses.replace(c, null_sql=to_spark_sql(c.null_sql), levels=levels)

    return dataclasses.replace(
        model,
        comparisons=tuple(comparison(c) for c in model.comparisons),
        blocking_rules=tuple(to_spark_sql(r) for r in model.blocking_rules),
        training_blocks=tuple(to_spark_sql(r) for r in model.training_blocks),
        deterministic_rules=tuple(to_spark_sql(r) for r in model.deterministic_rules),
    )


def _level_sql(level: Level) -> str:
    return level.sql if level.sql.strip().upper() == "ELSE" else to_spark_sql(level.sql)


def to_spark_sql(condition: str) -> str:
    """One SQL condition from DuckDB's dialect to Spark's (``jaro_winkler_similarity`` -> our UDF; list overlap
    -> ``arrays_overlap``, which sqlglot would write as DuckDB's ``&&``).

    Example:
        >>> to_spark_sql('list_has_any("a_l", "a_r")')
        'ARRAYS_OVERLAP(`a_l`, `a_r`)'
    """

    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.JarowinklerSimilarity):
            return exp.Anonymous(this=JARO_WINKLER_UDF, expressions=[node.this, node.expression])
        if isinstance(node, exp.ArrayOverlaps):
            return exp.Anonymous(this="ARRAYS_OVERLAP", expressions=[node.this, node.expression])
        return node

    tree = sqlglot.parse_one(condition, read="duckdb").transform(rename)
    return tree.sql(dialect="spark")
