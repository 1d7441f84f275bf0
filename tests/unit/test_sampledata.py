"""The synthetic generator: seeded, in the real export formats, with the variations the resolver must handle."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

from leadflow.sampledata import GeneratorConfig, generate
from leadflow.sampledata.generator import APOLLO_2024_FILE, APOLLO_2025_FILE, SALESNAV_FILE
from leadflow.sources.formats import detect_format


def test_same_seed_same_data_other_seed_other_data() -> None:
    first = generate(GeneratorConfig(people=300, seed=3))
    assert generate(GeneratorConfig(people=300, seed=3)).rows == first.rows
    assert generate(GeneratorConfig(people=300, seed=4)).rows != first.rows


def test_files_are_in_the_formats_ingest_detects(tmp_path: Path) -> None:
    paths = generate(GeneratorConfig(people=200, seed=1)).write(tmp_path)
    expected = {APOLLO_2024_FILE: "apollo-2024", APOLLO_2025_FILE: "apollo-2025", SALESNAV_FILE: "salesnav"}
    for name, format_name in expected.items():
        with paths[name].open(encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        assert detect_format(header, file_name=name).name == format_name
    seed_lines = paths["crm_seed.jsonl"].read_text(encoding="utf-8").splitlines()
    modules = Counter(json.loads(line)["module"] for line in seed_lines)
    assert set(modules) == {"Leads", "Contacts", "Accounts"}


def test_ground_truth_covers_every_row_and_holds_the_hard_cases() -> None:
    data = generate(GeneratorConfig(people=2000, seed=7))
    assert len(data.truth) == sum(len(rows) for rows in data.rows.values())
    apollo = data.rows[APOLLO_2024_FILE] + data.rows[APOLLO_2025_FILE]
    # namesakes: one name at one company, two people
    people_by_name: dict[tuple[str, str, str], set[str]] = {}
    for file_name, number, person in data.truth:
        row = data.rows[file_name][number - 1]
        if file_name != SALESNAV_FILE and row["Email"]:
            key = (row["First Name"].lower(), row["Last Name"].lower(), row["Email"].lower().split("@")[1])
            people_by_name.setdefault(key, set()).add(person)
    assert any(len(people) > 1 for people in people_by_name.values())
    # job changes: one person, Apollo rows at two company domains
    domains: dict[str, set[str]] = {}
    for file_name, number, person in data.truth:
        row = data.rows[file_name][number - 1]
        if file_name != SALESNAV_FILE and row["Email"]:
            domains.setdefault(person, set()).add(row["Email"].lower().split("@")[1])
    assert any(len(found) > 1 for found in domains.values())
    # decorations, nicknames, email case, phone guard
    assert any("MBA" in row["Last Name"] or "PhD" in row["Last Name"] for row in apollo)
    assert any(row["First Name"] in ("Bob", "Liz", "Bill", "Mike") for row in apollo)
    assert any(row["Email"] != row["Email"].lower() for row in apollo)
    assert any(row.get("Mobile Phone", row.get("First Phone", "")).startswith("'") for row in apollo)
    assert data.crm_truth
