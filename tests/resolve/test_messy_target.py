"""On the generator's hard level (typos in every field, masked / placeholder / shared addresses, switchboards, oddly
grouped phones, name + company + phone rows, namesakes, job changers) the resolver beats stock Splink by the
issue's margin with precision >= 0.97. The whole path runs: CSV exports -> ingest -> resolve (benchmarks/resolve_messy
at a small size)."""

from __future__ import annotations

from collections import Counter

from benchmarks.resolve_messy import run

from leadflow.sampledata import generate
from leadflow.sampledata.generator import APOLLO_2024_FILE, APOLLO_2025_FILE, hard_config


def test_hard_level_leadflow_beats_stock_splink_with_high_precision() -> None:
    report = run(hard_config(people=1500, seed=7))
    leadflow, splink = report["leadflow"], report["splink_stock"]["best"]
    assert leadflow["precision"] >= 0.97
    assert leadflow["f1"] >= splink["f1"] + 0.05
    assert leadflow["f1"] > report["rules_baseline"]["f1"]


def test_hard_level_carries_the_corruptions_at_realistic_rates() -> None:
    data = generate(hard_config(people=1500, seed=3))
    apollo = data.rows[APOLLO_2024_FILE] + data.rows[APOLLO_2025_FILE]
    emails = Counter(row["Email"].lower() for row in apollo if row["Email"])
    masked = sum("***@" in e for e in emails)
    placeholders = sum(
        e.startswith(("noreply@", "no-reply@")) or e in {"test@test.com", "none@none.com"} for e in emails
    )
    no_identity_but_phone = sum(
        1 for row in apollo if not row["Email"] and not row["Person Linkedin Url"] and not row["Apollo Contact Id"]
    )
    odd_phones = sum(
        1 for row in apollo if (p := row.get("Mobile Phone") or row.get("First Phone") or "") and p[:1].isdigit()
        and " " in p and all(len(part) <= 2 for part in p.split())
    )  # fmt: skip
    assert 0.005 < masked / len(apollo) < 0.05
    assert placeholders > 0
    assert 0.03 < no_identity_but_phone / len(apollo) < 0.15
    assert odd_phones > 0
    shared = [e for e, n in emails.items() if n > 1 and "***" not in e]
    truth = {(f, r): p for f, r, p in data.truth}
    by_email: dict[str, set[str]] = {}
    for name in (APOLLO_2024_FILE, APOLLO_2025_FILE):
        for number, row in enumerate(data.rows[name], start=1):
            by_email.setdefault(row["Email"].lower(), set()).add(truth[(name, number)])
    assert any(len(by_email[e]) > 1 for e in shared)  # one address, two people (an assistant, a shared inbox)
    assert generate(hard_config(people=200, seed=3)).rows == generate(hard_config(people=200, seed=3)).rows


def test_febrl3_stays_at_its_f1() -> None:
    from benchmarks.resolve_febrl import febrl3

    report = febrl3()
    assert report["resolver"]["f1"] >= 0.995
