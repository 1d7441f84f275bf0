"""Resolver quality on messy data: the generator's "hard" level, leadflow beside stock Splink and the rules baseline.

    PYTHONPATH=src python -m benchmarks.resolve_messy --people 5000 --seed 7 [--level hard|standard]

One run: generate the exports (typos in every field, masked, placeholder and shared addresses, switchboard
phones, oddly grouped digits, name + company + phone rows, namesakes, job changers; see
``leadflow.sampledata.messy``), ``leadflow ingest`` them into a scratch store, then score three systems on the
same ingested rows against the generator's truth, pairwise (precision, recall, F1 over pairs of rows placed in
one cluster):

- **leadflow**: ``resolve()`` with its default options;
- **splink (stock)**: splink 5 on DuckDB as its tutorials set it up, unsupervised: first name and surname
  (``NameComparison``: exact, Jaro-Winkler 0.92 / 0.88 / 0.7), email (``EmailComparison``), company
  (``JaroWinklerAtThresholds``), city (exact, term frequencies), phone (exact); blocking on first name + surname,
  surname + city, email, phone; prior from exact email, u by random sampling, m by EM on two blocking rules;
  clusters at match probability 0.5 and at the tutorials' 0.95 (both reported, the better one compared);
- **rules baseline**: exact email / LinkedIn / source ids, or exact first name + last name + company.

Splink gets leadflow's cleaned columns (lower-cased names, normalized email, E.164 phones), which is more than
a new user would hand it.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from benchmarks.synthetic import Evaluation, ingested_evaluation, pairwise, rules_baseline
from leadflow.resolve.engine import ResolveOptions, resolve
from leadflow.resolve.review_rank import LISTED_FROM_WEIGHT
from leadflow.sampledata import GeneratorConfig
from leadflow.sampledata.generator import hard_config


def splink_stock(candidates: pa.Table, thresholds: Sequence[float] = (0.5, 0.95)) -> dict[float, dict[str, Any]]:
    """Stock unsupervised splink 5 on DuckDB: ``{threshold: {rid: cluster}}``."""
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on  # type: ignore[attr-defined]

    for name in ("splink", "splink.internals"):
        logging.getLogger(name).setLevel(logging.ERROR)
    con = duckdb.connect()
    con.register("cand", candidates)
    frame = con.sql(
        """SELECT rid AS unique_id, nullif(lower(trim(first_name)), '') AS first_name,
                  nullif(lower(trim(last_name)), '') AS surname, email,
                  nullif(lower(trim(company_name)), '') AS company, nullif(lower(trim(city)), '') AS city,
                  phone_e164 AS phone
           FROM cand"""
    ).to_arrow_table()
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.EmailComparison("email"),
            cl.JaroWinklerAtThresholds("company", [0.9, 0.8]),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.ExactMatch("phone"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "surname"),
            block_on("surname", "city"),
            block_on("email"),
            block_on("phone"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(DuckDBAPI(duckdb.connect()).register(frame), settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match([block_on("email")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "surname"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("email"))
    predictions = linker.inference.predict(threshold_match_probability=min(thresholds))
    result: dict[float, dict[str, Any]] = {}
    for threshold in thresholds:
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=threshold
        ).as_pandas_dataframe()
        result[threshold] = dict(zip(clusters["unique_id"], clusters["cluster_id"], strict=True))
    return result


def leadflow_clusters(evaluation: Evaluation, accounts: pa.Table | None, options: ResolveOptions | None) -> Any:
    result = resolve(evaluation.candidates, accounts=accounts, options=options)
    clusters: dict[str, Any] = {m["rid"]: m["golden_person_id"] for m in result.members.to_pylist()}
    return clusters, {**result.stats, "review_queue": review_queue(result.review.to_pylist(), evaluation.truth)}


def review_queue(pairs: list[dict[str, Any]], truth: dict[str, str]) -> dict[str, Any]:
    """Per kind of review pair: how many the queue lists, and how many of them are truly one person; and the
    reviewer's work in rank order (``ranked``, see :func:`reading_effort`)."""
    queue: dict[str, Any] = {}
    for pair in pairs:
        tally = queue.setdefault(pair["kind"], {"pairs": 0, "one_person": 0})
        tally["pairs"] += 1
        tally["one_person"] += _one_person(pair, truth)
    queue["ranked"] = reading_effort(pairs, truth)
    return queue


def reading_effort(pairs: list[dict[str, Any]], truth: dict[str, str]) -> dict[str, int | None]:
    """Reading the queue in rank order (``rank_weight``, most likely one person first): its size, the pairs truly
    one person, how many pairs a reviewer reads to find 90% and 100% of them, how many the default listing shows
    (``leadflow review list``; the rest need ``--all``) and how many true pairs only ``--all`` shows."""
    ranked = sorted(pairs, key=lambda p: -p["rank_weight"])
    true_pairs = sum(_one_person(p, truth) for p in ranked)
    found, read_90, read_100 = 0, None, None
    for position, pair in enumerate(ranked, 1):
        found += _one_person(pair, truth)
        if read_90 is None and found >= 0.9 * true_pairs:
            read_90 = position
        if read_100 is None and found == true_pairs:
            read_100 = position
    listed = [p for p in ranked if p["rank_weight"] >= LISTED_FROM_WEIGHT]
    return {
        "pairs": len(ranked),
        "one_person": true_pairs,
        "read_for_90pct": read_90,
        "read_for_100pct": read_100,
        "listed_by_default": len(listed),
        "one_person_only_with_all": true_pairs - sum(_one_person(p, truth) for p in listed),
    }


def _one_person(pair: dict[str, Any], truth: dict[str, str]) -> bool:
    return truth.get(pair["rid_l"]) == truth.get(pair["rid_r"]) is not None


def run(config: GeneratorConfig, options: ResolveOptions | None = None) -> dict[str, Any]:
    evaluation, accounts = ingested_evaluation(config)
    generated = config.people
    started = time.perf_counter()
    clusters, stats = leadflow_clusters(evaluation, accounts, options)
    leadflow_seconds = time.perf_counter() - started
    started = time.perf_counter()
    stock = splink_stock(evaluation.candidates)
    splink_seconds = time.perf_counter() - started
    splink_scores = {str(t): pairwise(c, evaluation.truth) for t, c in stock.items()}
    best = max(splink_scores.values(), key=lambda s: s["f1"])
    return {
        "level": config.level,
        "people": generated,
        "rows": evaluation.candidates.num_rows,
        "true_pairs": sum(n * (n - 1) // 2 for n in Counter(evaluation.truth.values()).values()),
        "leadflow": {**pairwise(clusters, evaluation.truth), "seconds": round(leadflow_seconds, 1)},
        "splink_stock": {"by_threshold": splink_scores, "best": best, "seconds": round(splink_seconds, 1)},
        "rules_baseline": pairwise(rules_baseline(evaluation), evaluation.truth),
        "leadflow_stats": {k: v for k, v in stats.items() if k != "model"},
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--level", choices=("hard", "standard"), default="hard")
    args = parser.parse_args(argv)
    config = (
        hard_config(args.people, args.seed)
        if args.level == "hard"
        else GeneratorConfig(people=args.people, seed=args.seed)
    )
    print(json.dumps(run(config), indent=2, default=str))


if __name__ == "__main__":
    main()
