"""On the synthetic generator's data the resolver reaches the issue's quality target and beats the rules baseline.

The whole path runs: generated CSV exports -> ingest (sources + normalize) -> CRM mirror -> resolve.
"""

from __future__ import annotations

from benchmarks.synthetic import evaluate_via_ingest


def test_resolver_reaches_f1_target_and_beats_the_rules_baseline() -> None:
    report = evaluate_via_ingest(people=1500, seed=7, with_crm=True)
    resolver, baseline = report["resolver"], report["baseline"]
    assert report["stats"]["model"]["trained"] is True
    assert resolver["precision"] >= 0.995
    assert resolver["f1"] >= 0.99
    assert resolver["f1"] > baseline["f1"]
    assert resolver["precision"] > baseline["precision"]
    assert report["stats"]["crm_matched"] > 0
