"""Benchmark: ingest + normalize of N rows of an Apollo contacts export (2025/2026 header) into the store.

Generates the file with a seeded generator (realistic shapes: shared company rows, nickname/decorated names,
e-mail case, Excel-guarded phones, multi-valued departments), then runs the ingest stage in a child process and
reports wall time and the child's peak resident memory (ru_maxrss).

    python benchmarks/ingest.py --rows 100000
    python benchmarks/ingest.py --rows 1000000 --db sqlite:////tmp/bench.db
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from leadflow.sources.formats import APOLLO_2025_COLUMNS  # noqa: E402

# Names as a real export has them: Faker's weighted name lists per country (hundreds of first names, a thousand
# surnames), not a few dozen; a short list makes every "John Smith" block enormous, which real data never does.
NAME_LOCALES = {"United States": "en_US", "United Kingdom": "en_GB", "Germany": "de_DE", "India": "en_IN",
                "United Arab Emirates": "en_GB"}  # fmt: skip
# Where people work: a metro list per country, drawn with Zipf weights (most people in a few big cities).
CITIES = {
    "United States": ["New York", "San Francisco", "Chicago", "Boston", "Austin", "Seattle", "Los Angeles", "Atlanta",
                      "Dallas", "Denver", "Miami", "Washington", "Philadelphia", "San Diego", "Phoenix", "Houston",
                      "Minneapolis", "Detroit", "Charlotte", "Nashville", "Portland", "Salt Lake City", "Raleigh",
                      "Pittsburgh", "Columbus", "Indianapolis", "St. Louis", "Kansas City", "Tampa", "Orlando"],
    "United Kingdom": ["London", "Manchester", "Birmingham", "Edinburgh", "Glasgow", "Bristol", "Leeds", "Cambridge",
                       "Oxford", "Reading", "Liverpool", "Belfast", "Cardiff", "Newcastle"],
    "Germany": ["Berlin", "Munich", "Hamburg", "Frankfurt", "Cologne", "Stuttgart", "Düsseldorf", "Leipzig",
                "Dresden", "Hanover", "Nuremberg", "Bremen"],
    "India": ["Bengaluru", "Mumbai", "New Delhi", "Hyderabad", "Pune", "Chennai", "Gurugram", "Noida", "Kolkata",
              "Ahmedabad", "Jaipur", "Kochi"],
    "United Arab Emirates": ["Dubai", "Abu Dhabi", "Sharjah"],
}  # fmt: skip


def _zipf(count: int) -> list[float]:
    return [1 / (rank + 1) for rank in range(count)]


def _name_pool(locale: str) -> tuple[list[str], list[float], list[str], list[float]]:
    """First and last names with cumulative weights, from Faker's provider lists (a Faker object per row is slow)."""
    module = __import__(f"faker.providers.person.{locale}", fromlist=["Provider"])
    provider = module.Provider

    def weighted(values: object) -> tuple[list[str], list[float]]:
        if isinstance(values, dict):
            return list(values), [float(w) for w in values.values()]
        names = sorted(set(values))  # type: ignore[call-overload]
        return names, [1.0] * len(names)

    firsts, first_weights = weighted(getattr(provider, "first_names", ()))
    lasts, last_weights = weighted(getattr(provider, "last_names", ()))
    return firsts, list(itertools.accumulate(first_weights)), lasts, list(itertools.accumulate(last_weights))


TITLES = [
    "CEO", "Chief Executive Officer", "Co-Founder & CEO", "Founder", "Owner", "CFO", "Chief Financial Officer",
    "CTO", "VP Sales", "VP of Marketing", "SVP, Global Sales", "Vice President of Finance", "Head of Growth",
    "Head of People", "Director of Engineering", "Sales Director", "Marketing Manager", "Account Executive",
    "Senior Account Executive", "Software Engineer", "Senior Software Engineer", "Product Manager",
    "Operations Manager", "HR Business Partner", "Managing Partner", "Marketing Intern", "Data Analyst",
    "Customer Success Manager", "IT Director", "Procurement Manager", "General Counsel",
]  # fmt: skip
SENIORITY = {"CEO": "C suite", "CFO": "C suite", "CTO": "C suite", "Founder": "Founder", "Owner": "Owner"}
WORDS = [
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Wonka", "Hooli", "Vandelay", "Soylent", "Cyberdyne",
    "Tyrell", "Nimbus", "Brightlane", "Gulf", "Northwind", "Contoso", "Fabrikam", "Litware", "Proseware", "Adatum",
    "Tailspin", "Woodgrove", "Lucerne", "Margie", "Blue", "Yonder", "Alpine", "Coho", "Fourth", "Coffee",
]  # fmt: skip
NOUNS = ["Capital", "Systems", "Labs", "Technologies", "Logistics", "Health", "Foods", "Analytics", "Partners", "Media"]
SUFFIXES = ["Inc.", "LLC", "Ltd", "GmbH", "Corp", "", "", "", "S.A.", "Pvt. Ltd."]
TLDS = ["com", "io", "co.uk", "de", "in", "ae", "fr", "com.au"]
INDUSTRIES = ["information technology & services", "financial services", "computer software", "hospital & health care",
              "logistics & supply chain", "marketing & advertising", "food & beverages"]  # fmt: skip
TECH = ["Salesforce", "HubSpot", "Google Analytics", "AWS", "Zendesk", "Slack", "Shopify", "Marketo", "Zoho CRM"]
COUNTRIES = {
    "United States": ("+1 {a}{b}{c}-{d}{e}{f}-{g}{h}{i}{j}", ["650", "415", "212", "312"]),
    "United Kingdom": ("+44 20 7{b}{c}{d} {e}{f}{g}{h}", ["20"]),
    "Germany": ("+49 30 {b}{c}{d}{e}{f}{g}{h}", ["30"]),
    "India": ("'+91 98{b}{c}{d} {e}{f}{g}{h}{i}", ["98"]),
    "United Arab Emirates": ("+971 50 {b}{c}{d} {e}{f}{g}{h}", ["50"]),
}
STATUSES = ["Verified"] * 7 + ["User Managed", "Unavailable", "Extrapolated"]
DEPARTMENTS = ["master_sales", "C-Suite, Sales", "master_marketing", "master_engineering_technical", "master_finance"]


def _ascii(text: str) -> str:
    # Mailbox names are ASCII in practice: "Núñez" becomes "nunez".
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _phone(rng: random.Random, country: str) -> str:
    pattern, areas = COUNTRIES[country]
    area = rng.choice(areas)
    digits = {k: str(rng.randrange(10)) for k in "bcdefghij"}
    digits["b"] = str(rng.randrange(2, 10))
    digits["a"] = area[0]
    if country == "United States":
        digits.update(a=area[0], b=area[1], c=area[2], d=str(rng.randrange(2, 10)))
    return pattern.format(**digits)


def _companies(rng: random.Random, count: int) -> list[dict[str, str]]:
    companies = []
    for i in range(count):
        base = f"{rng.choice(WORDS)} {rng.choice(NOUNS)}"
        name = f"{base} {i}" if i >= len(WORDS) * len(NOUNS) else base
        slug = name.lower().replace(" ", "")
        domain = f"{slug}.{rng.choice(TLDS)}"
        country = rng.choice(list(COUNTRIES))
        companies.append(
            {
                "Company Name": f"{name} {rng.choice(SUFFIXES)}".strip(),
                "Company Name for Emails": name,
                "Website": rng.choice([f"http://www.{domain}", f"https://{domain}/", domain]),
                "Company Linkedin Url": f"http://www.linkedin.com/company/{slug}",
                "Corporate Phone": _phone(rng, country),
                "# Employees": str(rng.choice([12, 45, 120, 850, 1200, 15000])),
                "Industry": rng.choice(INDUSTRIES),
                "Annual Revenue": str(rng.choice([1_200_000, 45_000_000, 300_000_000])),
                "Technologies": ", ".join(rng.sample(TECH, 3)),
                "Keywords": "b2b, saas, enterprise",
                "Company Country": country,
                "Apollo Account Id": f"{rng.getrandbits(96):024x}",
                "_domain": domain,
                "_country": country,
            }
        )
    return companies


def generate(path: Path, rows: int, seed: int = 5, duplicate_share: float = 0.1) -> None:
    """Write ``rows`` Apollo rows to ``path``; streams, so memory stays flat.

    About ``duplicate_share`` of the rows re-export a person seen earlier, as overlapping Apollo lists do: the same
    Apollo Contact Id and email (in another case), the phone written another way, sometimes a reworded title; a
    tenth of those changed jobs (same LinkedIn profile, new company, new email and Apollo id).
    """
    rng = random.Random(seed)
    companies = _companies(rng, max(10, rows // 25))
    for company in companies:
        cities = CITIES[company["_country"]]
        company["_city"] = rng.choices(cities, weights=_zipf(len(cities)))[0]
    pools = {country: _name_pool(locale) for country, locale in NAME_LOCALES.items()}
    city_weights = {country: list(itertools.accumulate(_zipf(len(cities)))) for country, cities in CITIES.items()}
    columns = list(APOLLO_2025_COLUMNS)
    recent: list[dict[str, str]] = []  # people a later row may re-export
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for i in range(rows):
            if recent and rng.random() < duplicate_share:
                row = _re_export(rng, rng.choice(recent), companies, i)
                writer.writerow([row.get(c, "") for c in columns])
                continue
            company = rng.choice(companies)
            country = company["_country"]
            firsts, first_weights, lasts, last_weights = pools[country]
            first = rng.choices(firsts, cum_weights=first_weights)[0]
            last = rng.choices(lasts, cum_weights=last_weights)[0]
            title = rng.choice(TITLES)
            local = _ascii(f"{first}.{last}".lower().replace("'", "").replace(" ", ""))
            email = f"{local}{i}@{company['_domain']}"
            city = company["_city"]
            if rng.random() < 0.4:
                city = rng.choices(CITIES[country], cum_weights=city_weights[country])[0]
            row = {
                **company,
                "First Name": first if rng.random() > 0.05 else f"Dr. {first}",
                "Last Name": last if rng.random() > 0.05 else f"{last}, MBA",
                "Title": title,
                "Email": email if rng.random() > 0.2 else email.title(),
                "Email Status": rng.choice(STATUSES),
                "Primary Email Source": "Apollo",
                "Primary Email Catch-all Status": "Catch-all" if rng.random() < 0.1 else "Not Catch-all",
                "Seniority": SENIORITY.get(title, ""),
                "Departments": rng.choice(DEPARTMENTS),
                "Mobile Phone": _phone(rng, country) if rng.random() < 0.3 else "",
                "Do Not Call": rng.choice(["false", "FALSE", "true"]),
                "Person Linkedin Url": f"http://www.linkedin.com/in/{local}-{i:x}",
                "City": city,
                "State": "",
                "Country": country,
                "Apollo Contact Id": f"{rng.getrandbits(96):024x}",
                "Apollo Record Id": f"{rng.getrandbits(96):024x}",
            }
            if len(recent) < 50_000:
                recent.append(row)
            else:
                recent[rng.randrange(len(recent))] = row
            writer.writerow([row.get(c, "") for c in columns])


def _re_export(rng: random.Random, person: dict[str, str], companies: list[dict[str, str]], i: int) -> dict[str, str]:
    """The same person in a later export: another case, another phone format, or a new job."""
    row = dict(person)
    row["Apollo Record Id"] = f"{rng.getrandbits(96):024x}"
    email = row["Email"]
    row["Email"] = email.upper() if rng.random() < 0.3 else email.lower()
    if row["Mobile Phone"]:
        row["Mobile Phone"] = row["Mobile Phone"].lstrip("'").replace(" ", "").replace("-", "")
    if rng.random() < 0.2:
        row["Title"] = rng.choice(TITLES)
    if rng.random() < 0.1:  # changed jobs: the LinkedIn profile is the thread
        company = rng.choice(companies)
        local = email.split("@", 1)[0].lower()
        row.update({k: v for k, v in company.items() if not k.startswith("_")})
        row["Email"] = f"{local}.{i}@{company['_domain']}"
        row["Apollo Contact Id"] = f"{rng.getrandbits(96):024x}"
        row["Country"] = company["_country"]
        row["City"] = company.get("_city", "")
    return row


def _ingest_only(path: Path, database_url: str, chunk_rows: int) -> None:
    from leadflow.pipeline.ingest import ingest_files
    from leadflow.store import open_store

    engine = open_store(database_url)
    started = time.perf_counter()
    report = ingest_files(engine, [path], chunk_rows=chunk_rows)
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    counters = report.counters()
    counters.pop("files")
    print(
        json.dumps(
            {"seconds": elapsed, "cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024}
            | counters
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", default=None, help="store URL (default: a fresh SQLite file in a temp folder)")
    parser.add_argument("--chunk-rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--duplicate-share", type=float, default=0.1, help="rows that re-export an earlier person")
    parser.add_argument(
        "--resolve", action="store_true", help="then run the resolve stage on the store (a second child process)"
    )
    parser.add_argument("--ingest-only", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ingest_only is not None:
        _ingest_only(args.ingest_only, args.db, args.chunk_rows)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"apollo-{args.rows}.csv"
        started = time.perf_counter()
        generate(path, args.rows, args.seed, args.duplicate_share)
        generated = time.perf_counter() - started
        database_url = args.db or f"sqlite:///{folder}/bench.db"
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        child = subprocess.run(
            [sys.executable, __file__, "--ingest-only", str(path), "--db", database_url, "--chunk-rows",
             str(args.chunk_rows)],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if child.returncode != 0:
            sys.stderr.write(child.stderr)
            raise SystemExit(child.returncode)
        result = json.loads(child.stdout.strip().splitlines()[-1])
        size_mib = path.stat().st_size / 2**20
        resolved = _resolve_stage(database_url, env) if args.resolve else None
        quality = _pairwise_quality(database_url) if args.resolve else None
    print(
        f"rows={args.rows} file={size_mib:.0f} MiB (generated in {generated:.0f} s) "
        f"ingest+normalize={result['seconds']:.1f} s wall ({args.rows / result['seconds']:,.0f} rows/s), "
        f"{result['cpu_seconds']:.1f} s CPU, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores, "
        f"peak RSS={result['peak_mib']:.0f} MiB stored={result['stored']} quarantined={result['quarantined']}"
    )
    if resolved is not None:
        total = result["seconds"] + resolved["wall_seconds"]
        print(
            f"resolve={resolved['wall_seconds']:.1f} s wall, {resolved['cpu_seconds']:.1f} s CPU, "
            f"peak RSS={resolved['peak_rss_mb']:,} MiB, golden people={resolved['golden_people']:,}, "
            f"golden companies={resolved['golden_companies']:,}, scored pairs={resolved['scored_edges']:,}\n"
            f"ingest+normalize+resolve={total:.1f} s wall, "
            f"peak RSS={max(result['peak_mib'], resolved['peak_rss_mb']):,.0f} MiB (the larger of the two stages), "
            f"load average {os.getloadavg()[0]:.1f}\n"
            f"against the generator's truth (one LinkedIn profile per person): {quality}"
        )


def _pairwise_quality(database_url: str) -> str:
    """Pairwise precision and recall of the golden people: a re-exported person keeps their LinkedIn profile (a
    job changer too), and no two people share one, so the profile is the truth."""
    import duckdb
    import pyarrow as pa
    from sqlalchemy import select

    from leadflow.store import open_store
    from leadflow.store.schema import cluster_members, prospects

    query = select(cluster_members.c.golden_person_id, prospects.c.linkedin_slug).join(
        prospects, prospects.c.source_record_id == cluster_members.c.source_record_id
    )
    with open_store(database_url).connect() as connection:
        rows = connection.execute(query).all()
    con = duckdb.connect()
    con.register("t", pa.table({"g": [r[0] for r in rows], "truth": [r[1] for r in rows]}))

    def pairs(group: str) -> int:
        sql = f"SELECT coalesce(sum(n * (n - 1) / 2), 0)::BIGINT FROM (SELECT count(*) n FROM t GROUP BY {group})"
        return int(con.sql(sql).fetchall()[0][0])

    both, predicted, true = pairs("g, truth"), pairs("g"), pairs("truth")
    precision = both / predicted if predicted else 1.0
    recall = both / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f"pairs predicted {predicted:,}, true {true:,}; precision {precision:.4f}, recall {recall:.4f}, F1 {f1:.4f}"


def _resolve_stage(database_url: str, env: dict[str, str]) -> dict[str, Any]:
    """The resolve stage on the ingested store, measured by ``benchmarks/resolve_stage.py`` in its own process."""
    command = [sys.executable, "-m", "benchmarks.resolve_stage", "--db", database_url]
    output = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    figures: dict[str, Any] = json.loads(output)
    return figures


if __name__ == "__main__":
    main()
