"""splink on Spark: the SparkSession (local or a cluster's master) and the candidate rows moved in and out of it.

pyspark is an optional extra (``pip install 'leadflow[spark]'``) imported only here, only when the Spark
backend is chosen. The rows go DuckDB -> Arrow -> Spark; the predictions come back Spark -> Arrow -> DuckDB,
so the edge table is built by the same SQL as on the DuckDB backend.
"""

from __future__ import annotations

import importlib
import os
import sys
import uuid
from typing import Any

import duckdb

from leadflow.errors import ConfigError
from leadflow.resolve.jaro_winkler import jaro_winkler_similarity
from leadflow.resolve.model import MatchModel
from leadflow.resolve.splink_backend import (
    JARO_WINKLER_UDF,
    PortableSparkDialect,
    SparkOptions,
    SplinkBackend,
    split_datasets,
)

APP_NAME = "leadflow-resolve"


def import_pyspark() -> Any:
    """The ``pyspark.sql`` module, or a :class:`ConfigError` saying how to install it."""
    try:
        return importlib.import_module("pyspark.sql")
    except ImportError as error:
        raise ConfigError(
            f"resolve.backend = 'spark' needs pyspark, which is not installed ({error}): pip install 'leadflow[spark]'"
        ) from None


def spark_session(options: SparkOptions) -> Any:
    """The active SparkSession, or a new one for ``options.master``.

    No Spark UI and a loopback driver (local masters open no port beyond this machine); quiet logs.
    """
    sql = import_pyspark()
    active = sql.SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = (
        sql.SparkSession.builder.master(options.master)
        .appName(APP_NAME)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(options.shuffle_partitions))
        .config("spark.default.parallelism", str(options.shuffle_partitions))
        .config("spark.driver.memory", options.driver_memory)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    if options.master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the UDF's workers need this environment
        builder = (
            builder.config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            # splink runs hundreds of small queries; re-planning each one costs more than it saves on one machine
            .config("spark.sql.adaptive.enabled", "false")
        )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def open_spark_backend(
    con: duckdb.DuckDBPyConnection, table: str, model: MatchModel, *, link_type: str, options: SparkOptions
) -> SplinkBackend:
    """splink's SparkAPI over a copy of ``table`` (``model`` already in Spark's SQL)."""
    session = spark_session(options)
    from splink import SparkAPI

    if options.checkpoint_dir:
        session.sparkContext.setCheckpointDir(options.checkpoint_dir)
    functions, types = importlib.import_module("pyspark.sql.functions"), importlib.import_module("pyspark.sql.types")
    session.udf.register(JARO_WINKLER_UDF, functions.udf(jaro_winkler_similarity, types.DoubleType(), useArrow=True))
    api = SparkAPI(  # type: ignore[no-untyped-call]
        spark_session=session,
        register_udfs_automatically=False,
        break_lineage_method="parquet" if options.checkpoint_dir else "persist",
        num_partitions_on_repartition=options.shuffle_partitions,
    )
    api.sql_dialect = PortableSparkDialect()  # type: ignore[no-untyped-call]
    # the session outlives this call (and may serve others): the views get names of their own
    run = uuid.uuid4().hex[:12]
    if link_type == "link_only":
        parts = split_datasets(con, table)
    else:
        parts = [("input", con.sql(f"SELECT * FROM {table}").to_arrow_table())]
    views = [f"{table}_{name}_{run}" for name, _ in parts]
    frames = [
        api.register(session.createDataFrame(data), table_name=view)
        for view, (_, data) in zip(views, parts, strict=True)
    ]
    inputs: Any = frames if link_type == "link_only" else frames[0]

    def to_duckdb(frame: Any, columns: list[str]) -> duckdb.DuckDBPyRelation:
        arrow = frame.as_spark_dataframe().select(*columns).toArrow()
        return con.from_arrow(arrow)

    def close() -> None:
        for view in views:
            session.catalog.dropTempView(view)
        session.catalog.clearCache()

    return SplinkBackend(api=api, inputs=inputs, model=model, to_duckdb=to_duckdb, close=close)
