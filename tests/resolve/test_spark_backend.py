"""The Spark backend gives what the DuckDB backend gives on the same data: the same edges (weights to 1e-6),
the same trained parameters and the same clusters, untrained (small input) and trained (>= train_min_rows)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from benchmarks.synthetic import candidates_from_sample

from leadflow.config import ResolveSettings
from leadflow.errors import ConfigError
from leadflow.pipeline.resolve import options_from_settings
from leadflow.resolve.clustering import cluster
from leadflow.resolve.columns import conform
from leadflow.resolve.engine import MATCH_KEYS_SQL, ResolveOptions, resolve
from leadflow.resolve.generic import cluster_records
from leadflow.resolve.matching import MatchOptions, MatchOutcome, score_pairs
from leadflow.resolve.model import PEOPLE_MODEL, MatchModel, exact_comparison, name_comparison
from leadflow.resolve.splink_backend import PortableDuckDBDialect, PortableSparkDialect, SparkOptions
from leadflow.sampledata import GeneratorConfig, generate

pytestmark = pytest.mark.slow

SPARK = SparkOptions(master="local[2]", shuffle_partitions=2)

# the people model cut to four comparisons (one with the Jaro-Winkler UDF, one with split_part) and one EM
# block, so the trained case stays within a test's time on Spark
SMALL_MODEL = MatchModel(
    comparisons=(
        name_comparison("first_name", "first_name_key", initial=True),
        exact_comparison("last_name", "last_name_key", m=0.9, u=0.01),
        PEOPLE_MODEL.comparisons[3],  # email: exact, same local part, different
        exact_comparison("city", "city_key", m=0.75, u=0.05),
    ),
    blocking_rules=PEOPLE_MODEL.blocking_rules[:3],
    training_blocks=("l.last_name_key = r.last_name_key AND l.city_key = r.city_key",),
    deterministic_rules=("l.email = r.email",),
)


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from leadflow.resolve.spark_session import spark_session

    # Spark SQL makes its (here unused) warehouse folder in the working folder, the repo root under `make test`,
    # unless told otherwise when its JVM starts; keep it under pytest's temporary folder instead.
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    submit_args = os.environ.get("PYSPARK_SUBMIT_ARGS")
    os.environ["PYSPARK_SUBMIT_ARGS"] = f"--conf spark.sql.warehouse.dir={warehouse} pyspark-shell"
    try:
        session = spark_session(SPARK)
    finally:
        if submit_args is None:
            os.environ.pop("PYSPARK_SUBMIT_ARGS", None)
        else:
            os.environ["PYSPARK_SUBMIT_ARGS"] = submit_args
    yield session
    session.stop()


def synthetic_candidates(people: int) -> pa.Table:
    return candidates_from_sample(generate(GeneratorConfig(people=people, seed=7))).candidates


def candidate_table(candidates: pa.Table) -> duckdb.DuckDBPyConnection:
    """The resolver's ``cand`` table as the engine builds it (keys the model reads), plus a list, a struct and
    an all-null column that must survive the trip into Spark."""
    con = duckdb.connect()
    con.register("rows", conform(candidates))  # every candidate column, as resolve() has them
    con.execute(
        f"""CREATE TABLE cand AS SELECT (row_number() OVER (ORDER BY rid) - 1)::BIGINT AS idx, *, {MATCH_KEYS_SQL},
             [rid, source_kind] AS tags, {{'kind': source_kind, 'n': source_record_id}} AS origin,
             NULL::VARCHAR AS nothing
           FROM rows"""
    )
    return con


def score_on_both(candidates: pa.Table, model: MatchModel) -> tuple[MatchOutcome, MatchOutcome]:
    outcomes = [
        score_pairs(candidate_table(candidates), "cand", model, MatchOptions(backend=backend, spark=SPARK))
        for backend in ("duckdb", "spark")
    ]
    return outcomes[0], outcomes[1]


def assert_same_edges(duck: pa.Table, spark: pa.Table) -> None:
    assert duck.schema == spark.schema
    assert duck.num_rows > 0
    for column in ("idx_l", "idx_r", "detail"):
        assert duck.column(column).to_pylist() == spark.column(column).to_pylist()
    for column in ("match_weight", "match_probability"):
        assert duck.column(column).to_pylist() == pytest.approx(spark.column(column).to_pylist(), abs=1e-6)


def labels(edges: pa.Table, size: int) -> list[int]:
    scored = list(zip(*(edges.column(c).to_pylist() for c in ("idx_l", "idx_r", "match_weight")), strict=True))
    return cluster(size, slots=[{} for _ in range(size)], key_edges=[], scored_edges=scored, strong_weight=0.0).labels


def test_untrained_resolve_gives_the_same_clusters_and_edges(spark: Any) -> None:
    candidates = synthetic_candidates(300)
    assert candidates.num_rows < MatchOptions().train_min_rows
    duck, on_spark = score_on_both(candidates, PEOPLE_MODEL)
    assert not duck.trained
    assert not on_spark.trained
    assert_same_edges(duck.edges, on_spark.edges)

    results = [
        resolve(candidates, options=ResolveOptions(match=MatchOptions(backend=backend, spark=SPARK)))
        for backend in ("duckdb", "spark")
    ]
    members = [r.members.sort_by("rid") for r in results]
    assert members[0].column("golden_person_id").to_pylist() == members[1].column("golden_person_id").to_pylist()
    assert results[0].people.equals(results[1].people)
    assert results[0].stats == results[1].stats


def test_trained_model_has_the_same_parameters_edges_and_clusters(spark: Any) -> None:
    candidates = synthetic_candidates(1300)
    assert candidates.num_rows >= MatchOptions().train_min_rows
    duck, on_spark = score_on_both(candidates, SMALL_MODEL)
    assert duck.trained
    assert on_spark.trained
    prior = duck.parameters["probability_two_random_records_match"]
    assert prior != SMALL_MODEL.prior  # trained from the deterministic rule
    assert on_spark.parameters["probability_two_random_records_match"] == pytest.approx(prior, rel=1e-9)
    assert_same_edges(duck.edges, on_spark.edges)
    assert labels(duck.edges, candidates.num_rows) == labels(on_spark.edges, candidates.num_rows)


def test_link_only_gives_the_same_clusters(spark: Any) -> None:
    model = MatchModel(
        (name_comparison("name", "name", initial=False), exact_comparison("city", "city", m=0.8, u=0.1)),
        ("l.city = r.city",),
        (),
        (),
    )
    records = pa.table(
        {
            "id": ["a1", "a2", "a3", "b1", "b2", "b3"],
            "source_dataset": ["a", "a", "a", "b", "b", "b"],
            "name": ["jon", "mary", "peter", "john", "marie", "pete"],
            "city": ["x", "y", "z", "x", "y", "z"],
        }
    )
    found = [
        cluster_records(
            records,
            id_column="id",
            model=model,
            options=MatchOptions(threshold=0.01, link_type="link_only", backend=backend, spark=SPARK),
        )
        for backend in ("duckdb", "spark")
    ]
    assert found[0].labels == found[1].labels
    assert found[0].labels["a1"] == found[0].labels["b1"] != found[0].labels["a2"]
    assert found[0].stats == found[1].stats


def test_both_dialects_draw_the_same_hash_sample(spark: Any) -> None:
    ids = list(range(0, 5000, 7))
    bucket = "{} AS b FROM ids"
    duck = duckdb.connect()
    duck.register("ids", pa.table({"idx": ids}))
    expression = PortableDuckDBDialect().hash_bucket_expression("idx || '_42'", 1_000_000_000)
    in_duckdb = [row[1] for row in duck.sql(f"SELECT idx, {bucket.format(expression)} ORDER BY idx").fetchall()]
    spark.createDataFrame(pa.table({"idx": ids})).createOrReplaceTempView("ids")
    expression = PortableSparkDialect().hash_bucket_expression("idx || '_42'", 1_000_000_000)
    in_spark = [row[1] for row in spark.sql(f"SELECT idx, {bucket.format(expression)} ORDER BY idx").collect()]
    assert in_duckdb == in_spark
    assert len(set(in_duckdb)) == len(ids)


def test_spark_backend_without_pyspark_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    con = candidate_table(synthetic_candidates(20))
    with pytest.raises(ConfigError, match=r"pip install 'leadflow\[spark\]'"):
        score_pairs(con, "cand", PEOPLE_MODEL, MatchOptions(backend="spark"))


def test_settings_choose_the_backend_and_the_spark_session() -> None:
    match = options_from_settings(ResolveSettings()).match
    assert match.backend == "duckdb"
    settings = ResolveSettings(backend="spark", spark_master="local[3]", spark_shuffle_partitions=8)
    match = options_from_settings(settings).match
    assert (match.backend, match.spark.master, match.spark.shuffle_partitions) == ("spark", "local[3]", 8)
    with pytest.raises(ValueError, match="backend"):
        ResolveSettings(backend="flink")  # type: ignore[arg-type]
