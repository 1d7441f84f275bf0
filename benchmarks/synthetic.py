"""Resolver quality on the synthetic B2B generator's data, beside a hand-written rules baseline.

    PYTHONPATH=src python -m benchmarks.synthetic --people 5000 --seed 7 [--with-crm] [--no-ingest]

By default the generated CSV exports go through ``leadflow ingest`` (sources + normalize) into a scratch store,
then the resolver. ``--no-ingest`` uses :func:`candidates_from_sample`, a compact reading of the three formats,
to time the resolver alone (the scale benchmark uses it to build a million rows quickly). Metrics are pairwise:
precision, recall and F1 over all pairs of rows placed in one cluster.
"""

from __future__ import annotations

import argparse
import json
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from leadflow.resolve.engine import ResolveOptions, resolve
from leadflow.sampledata import GeneratorConfig, SampleData, generate
from leadflow.sampledata.generator import APOLLO_2024_FILE, APOLLO_2025_FILE, SALESNAV_FILE

LEGAL = {"inc", "llc", "ltd", "corp", "corporation", "gmbh", "co", "company", "limited", "plc", "sa", "ag"}
CREDENTIALS = {"mba", "phd", "cpa", "pmp", "cfa", "md", "jr", "sr", "ii", "iii"}
HONORIFICS = {"dr", "mr", "mrs", "ms", "prof"}


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _words(text: str | None) -> list[str]:
    return re.findall(r"[a-z0-9']+", _ascii(text or "").lower())


def clean_name(value: str | None, *, first: bool) -> str | None:
    words = [w.replace("'", "") for w in _words(value) if w not in CREDENTIALS and w not in HONORIFICS]
    if not words:
        return None
    return words[0] if first else "".join(words)


def company_key(value: str | None) -> str | None:
    words = [w for w in _words(value) if w not in LEGAL]
    return " ".join(words) or None


def domain(value: str | None) -> str | None:
    if not value:
        return None
    host = re.sub(r"^https?://", "", value.strip().lower()).split("/")[0]
    return host.removeprefix("www.") or None


def phone(value: str | None, country: str | None) -> str | None:
    digits = re.sub(r"\D", "", value or "")
    if not digits:
        return None
    if (value or "").lstrip("'").startswith("+"):
        return "+" + digits
    prefix = {"United States": "1", "United Kingdom": "44", "Germany": "49", "India": "91"}.get(country or "", "")
    return "+" + prefix + digits.lstrip("0")


def slug(value: str | None) -> str | None:
    match = re.search(r"linkedin\.com/in/([^/?,]+)", value or "")
    return match.group(1).lower() if match else None


@dataclass
class Evaluation:
    candidates: pa.Table
    truth: dict[str, str]  # rid -> person id
    raw_names: dict[str, tuple[str, str]]  # rid -> raw first/last as written


def candidates_from_sample(data: SampleData, *, with_crm: bool = False) -> Evaluation:
    rows: list[dict[str, Any]] = []
    truth: dict[str, str] = {}
    raw_names: dict[str, tuple[str, str]] = {}
    person_of = {(f, r): p for f, r, p in data.truth}
    srid = 0
    for file_name in (APOLLO_2024_FILE, APOLLO_2025_FILE, SALESNAV_FILE):
        for number, raw in enumerate(data.rows[file_name], start=1):
            srid += 1
            rid = f"p:{srid}"
            row = _salesnav(raw) if file_name == SALESNAV_FILE else _apollo(raw)
            row.update(rid=rid, source_record_id=srid, file_name=file_name, row_number=number)
            rows.append(row)
            truth[rid] = person_of[(file_name, number)]
            raw_names[rid] = (
                raw.get("First Name", raw.get("firstName", "")),
                raw.get("Last Name", raw.get("lastName", "")),
            )
    if with_crm:
        for item in data.crm_seed:
            if item["module"] == "Accounts":
                continue
            rec = item["record"]
            rid = f"crm:{item['module']}:{rec['id']}"
            company = rec.get("Company") or (rec.get("Account_Name") or {}).get("name")
            first = clean_name(rec.get("First_Name"), first=True)
            email = (rec.get("Email") or "").strip().lower() or None
            rows.append(
                {"rid": rid, "source_kind": "crm", "crm_module": item["module"], "crm_id": rec["id"], "email": email,
                 "first_name": rec.get("First_Name"), "last_name": rec.get("Last_Name"),
                 "first_name_key": first,
                 "last_name_key": clean_name(rec.get("Last_Name"), first=False), "title": rec.get("Title"),
                 "company_name": company, "company_key": company_key(company),
                 "company_domain": domain(rec.get("Website")) or (email.split("@")[1] if email else None),
                 "phone_e164": phone(rec.get("Phone"), rec.get("Country") or rec.get("Mailing_Country")),
                 "city": rec.get("City") or rec.get("Mailing_City")}
            )  # fmt: skip
            truth[rid] = data.crm_truth[(item["module"], rec["id"])]
    names = sorted({name for row in rows for name in row})
    table = pa.Table.from_pylist([{name: row.get(name) for name in names} for row in rows])
    return Evaluation(candidates=table, truth=truth, raw_names=raw_names)


def _apollo(raw: Mapping[str, str]) -> dict[str, Any]:
    email = raw.get("Email", "").strip().lower() or None
    first = clean_name(raw.get("First Name"), first=True)
    company = raw.get("Company") or raw.get("Company Name")
    status = {"Verified": "verified", "User Managed": "unverified"}.get(raw.get("Email Status", ""), "unknown")
    return {
        "source_kind": "apollo",
        "email": email,
        "email_status": status if email else None,
        "first_name": raw.get("First Name"),
        "last_name": raw.get("Last Name"),
        "first_name_key": first,
        "last_name_key": clean_name(raw.get("Last Name"), first=False),
        "title": raw.get("Title"),
        "phone_e164": phone(raw.get("Mobile Phone") or raw.get("First Phone"), raw.get("Country")),
        "linkedin_slug": slug(raw.get("Person Linkedin Url")),
        "apollo_contact_id": raw.get("Apollo Contact Id") or None,
        "apollo_account_id": raw.get("Apollo Account Id") or None,
        "company_name": company,
        "company_key": company_key(company),
        "company_domain": domain(raw.get("Website")),
        "city": raw.get("City") or None,
        "country": raw.get("Country") or None,
    }


def _salesnav(raw: Mapping[str, str]) -> dict[str, Any]:
    first = clean_name(raw.get("firstName"), first=True)
    location = [part.strip() for part in raw.get("location", "").split(",")]
    return {
        "source_kind": "salesnav",
        "first_name": raw.get("firstName"),
        "last_name": raw.get("lastName"),
        "first_name_key": first,
        "last_name_key": clean_name(raw.get("lastName"), first=False),
        "title": raw.get("title"),
        "linkedin_slug": slug(raw.get("defaultProfileUrl")),
        "salesnav_id": raw.get("vmid") or None,
        "company_name": raw.get("companyName"),
        "company_key": company_key(raw.get("companyName")),
        "city": location[0] if location and location[0] else None,
        "country": location[-1] if location else None,
    }


def rules_baseline(evaluation: Evaluation) -> dict[str, int]:
    """Exact email / LinkedIn / source ids, plus exact lower-cased first name, last name and company key."""
    table = evaluation.candidates.to_pylist()
    parent = list(range(len(table)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    seen: dict[tuple[str, str], int] = {}
    for i, row in enumerate(table):
        keys = [(k, row.get(k)) for k in ("email", "linkedin_slug", "salesnav_id", "apollo_contact_id")]
        first, last = evaluation.raw_names.get(row["rid"], (row.get("first_name") or "", row.get("last_name") or ""))
        if first and last and row.get("company_key"):
            keys.append(("name", f"{first.strip().lower()}|{last.strip().lower()}|{row['company_key']}"))
        for key in keys:
            if not key[1]:
                continue
            j = seen.setdefault((key[0], str(key[1])), i)
            parent[find(i)] = find(j)
    return {row["rid"]: find(i) for i, row in enumerate(table)}


def pairwise(predicted: Mapping[str, Any], truth: Mapping[str, str]) -> dict[str, float]:
    """Pairwise precision, recall and F1 of a clustering against the truth (same keys)."""

    def pairs(counter: Counter[Any]) -> int:
        return sum(n * (n - 1) // 2 for n in counter.values())

    both = pairs(Counter((predicted[k], truth[k]) for k in truth))
    predicted_pairs = pairs(Counter(predicted[k] for k in truth))
    true_pairs = pairs(Counter(truth.values()))
    precision = both / predicted_pairs if predicted_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def evaluate_via_ingest(
    people: int,
    seed: int,
    *,
    with_crm: bool = False,
    options: ResolveOptions | None = None,
    config: GeneratorConfig | None = None,
) -> dict[str, Any]:
    """Generate, write the CSV exports, ``leadflow ingest`` them into a scratch store (and mirror the CRM seed),
    resolve, and score against the ground truth: the whole path a user runs."""
    return _score(*ingested_evaluation(config or GeneratorConfig(people=people, seed=seed), with_crm=with_crm),
                  options)  # fmt: skip


def ingested_evaluation(config: GeneratorConfig, *, with_crm: bool = False) -> tuple[Evaluation, pa.Table | None]:
    """The generator's exports written as CSV, ingested into a scratch store (the CRM seed mirrored with
    ``with_crm``), read back as the resolver's candidates, with the ground truth."""
    import tempfile

    import sqlalchemy as sa

    from leadflow.pipeline.crm_mirror import load_crm_records
    from leadflow.pipeline.ingest import ingest_files
    from leadflow.pipeline.resolve import read_prospect_candidates
    from leadflow.store import open_store
    from leadflow.store.crm import crm_candidates
    from leadflow.store.schema import prospects, source_records

    data = generate(config)
    with tempfile.TemporaryDirectory() as folder:
        paths = data.write(folder)
        engine = open_store(f"sqlite:///{folder}/bench.db")
        ingest_files(engine, [paths[name] for name in (APOLLO_2024_FILE, APOLLO_2025_FILE, SALESNAV_FILE)])
        with engine.begin() as connection:
            if with_crm:
                load_crm_records(connection, ((item["module"], item["record"]) for item in data.crm_seed))
            candidates = read_prospect_candidates(connection)
            accounts = None
            if with_crm:
                crm_people, accounts = crm_candidates(connection)
                candidates = pa.concat_tables([candidates, crm_people])
            rows = connection.execute(
                sa.select(prospects.c.source_record_id, prospects.c.file_name, prospects.c.row_number,
                          source_records.c.raw)
                .join(source_records, source_records.c.id == prospects.c.source_record_id)
            ).all()  # fmt: skip
        engine.dispose()
    person_of = {(f, r): p for f, r, p in data.truth}
    truth = {f"p:{srid}": person_of[(file_name, number)] for srid, file_name, number, _raw in rows}
    raw_names = {
        f"p:{srid}": (
            str(raw.get("First Name", raw.get("firstName", ""))),
            str(raw.get("Last Name", raw.get("lastName", ""))),
        )
        for srid, _f, _n, raw in rows
    }
    if with_crm:
        truth.update({f"crm:{m}:{i}": p for (m, i), p in data.crm_truth.items() if m != "Accounts"})
    return Evaluation(candidates=candidates, truth=truth, raw_names=raw_names), accounts


def evaluate(
    people: int, seed: int, *, with_crm: bool = False, options: ResolveOptions | None = None
) -> dict[str, Any]:
    """The resolver alone on candidates from :func:`candidates_from_sample` (no store, no ingest)."""
    data = generate(GeneratorConfig(people=people, seed=seed))
    return _score(candidates_from_sample(data, with_crm=with_crm), None, options)


def _score(evaluation: Evaluation, accounts: pa.Table | None, options: ResolveOptions | None) -> dict[str, Any]:
    started = time.perf_counter()
    result = resolve(evaluation.candidates, accounts=accounts, options=options)
    elapsed = time.perf_counter() - started
    clusters: dict[str, Any] = {m["rid"]: m["golden_person_id"] for m in result.members.to_pylist()}
    for link in result.crm_links.to_pylist():
        clusters[f"crm:{link['crm_module']}:{link['crm_id']}"] = link["golden_person_id"]
    # CRM records left out of any golden person are their own cluster
    for rid in evaluation.truth:
        clusters.setdefault(rid, rid)
    return {
        "rows": evaluation.candidates.num_rows,
        "resolver": pairwise(clusters, evaluation.truth),
        "baseline": pairwise(rules_baseline(evaluation), evaluation.truth),
        "seconds": round(elapsed, 2),
        "stats": result.stats,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--with-crm", action="store_true", help="CRM seed records take part in matching")
    parser.add_argument(
        "--no-ingest", action="store_true", help="skip CSV + ingest: feed the resolver the compact reading directly"
    )
    args = parser.parse_args(argv)
    run = evaluate if args.no_ingest else evaluate_via_ingest
    report = run(args.people, args.seed, with_crm=args.with_crm)
    print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
