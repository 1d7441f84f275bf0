"""Test helper: golden companies, people, scores and owned tags written straight into the store's tables.

The tables are the real ones from ``leadflow.store.schema`` (created by the migrations ``open_store`` runs);
this module only builds rows for them, with every NOT NULL column given a value of the right kind.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from leadflow.store.schema import crm_records, golden_companies, golden_people, metadata, record_tags, scores


def now() -> datetime:
    return datetime.now(UTC)


def golden_id(prefix: str, n: int) -> str:
    return f"{prefix}_{hashlib.sha256(f'{prefix}{n}'.encode()).hexdigest()[:16]}"


def add_company(connection: sa.Connection, **values: Any) -> str:
    row = {"provenance": [], "updated_at": now(), **values}
    connection.execute(sa.insert(golden_companies), [row])
    return str(row["id"])


def add_person(connection: sa.Connection, **values: Any) -> str:
    row = {
        "emails": [values["email"]] if values.get("email") else [],
        "provenance": [],
        "updated_at": now(),
        **values,
    }
    connection.execute(sa.insert(golden_people), [row])
    return str(row["id"])


def score_row(person_id: str, **values: Any) -> dict[str, Any]:
    """A complete ``scores`` row: coverages are fractions 0-1 (1.0 where a score is given, 0.0 where it is not)."""
    row: dict[str, Any] = {
        "golden_person_id": person_id,
        "fit": None,
        "persona_influence": None,
        "engagement": None,
        "grade": None,
        "priority": False,
        "suppressed": False,
        "suppression_reasons": [],
        "reasons": [],
        "summary": "",
        "segments": [],
        **values,
    }
    for score, coverage in (
        ("fit", "fit_coverage"),
        ("persona_influence", "persona_coverage"),
        ("engagement", "engagement_coverage"),
    ):
        row.setdefault(coverage, 0.0 if row[score] is None else 1.0)
    content = {k: v for k, v in row.items() if k != "golden_person_id"}
    row.setdefault("content_hash", hashlib.md5(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest())
    row.setdefault("computed_at", now())
    return row


def set_score(connection: sa.Connection, person_id: str, **values: Any) -> None:
    connection.execute(sa.delete(scores).where(scores.c.golden_person_id == person_id))
    connection.execute(sa.insert(scores), [score_row(person_id, **values)])


def tag_row(person_id: str, desired: list[str], applied: list[str]) -> dict[str, Any]:
    """A complete ``record_tags`` row for the Zoho target."""
    return {
        "golden_person_id": person_id,
        "target": "zoho",
        "desired": desired,
        "applied": applied,
        "custom_fields": {},
        "updated_at": now(),
    }


def set_tags(connection: sa.Connection, person_id: str, desired: list[str], applied: list[str] | None = None) -> None:
    current = connection.execute(
        sa.select(record_tags.c.applied).where(
            record_tags.c.golden_person_id == person_id, record_tags.c.target == "zoho"
        )
    ).scalar_one_or_none()
    connection.execute(
        sa.delete(record_tags).where(record_tags.c.golden_person_id == person_id, record_tags.c.target == "zoho")
    )
    row = tag_row(person_id, desired, applied if applied is not None else (current or []))
    connection.execute(sa.insert(record_tags), [row])


def update_person(connection: sa.Connection, person_id: str, **values: Any) -> None:
    connection.execute(sa.update(golden_people).where(golden_people.c.id == person_id).values(**values))


def add_crm_record(connection: sa.Connection, module: str, crm_id: str, fields: Mapping[str, Any]) -> None:
    row = {"module": module, "crm_id": crm_id, "fields": dict(fields), "loaded_at": now()}
    connection.execute(sa.insert(crm_records), [row])


FIRST = ["Ada", "Grace", "Alan", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Edsger"]
LAST = ["Lovelace", "Hopper", "Turing", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen", "Dijkstra"]
TITLES = ["CTO", "VP Engineering", "Head of Data", "Engineering Manager", "Staff Engineer"]
TAGS = ["lf-hot", "lf-nurture", "lf-dach-champion"]


def populate(engine: sa.Engine, people: int, *, companies: int | None = None, seed: int = 7) -> list[str]:
    """``people`` golden people at ``companies`` golden companies with scores and owned tags; their ids."""
    rng = random.Random(seed)
    companies = companies or max(1, people // 5)
    ids: list[str] = []
    with engine.begin() as connection:
        company_rows = [
            {
                "id": golden_id("gc", c),
                "name": f"Company {c} GmbH",
                "domain": f"company{c}.example",
                "company_key": f"company {c}",
                "employees": 10 + c % 900,
                "annual_revenue": float(1_000_000 + c * 1000),
                "country": rng.choice(["DE", "FR", "US"]),
                "provenance": [],
                "updated_at": now(),
            }
            for c in range(companies)
        ]
        connection.execute(sa.insert(golden_companies), company_rows)
        person_rows, score_rows, tag_rows = [], [], []
        for p in range(people):
            pid = golden_id("gp", p)
            ids.append(pid)
            person_rows.append(
                {
                    "id": pid,
                    "company_id": golden_id("gc", p % companies),
                    "email": f"person{p}@company{p % companies}.example",
                    "emails": [f"person{p}@company{p % companies}.example"],
                    "first_name": FIRST[p % 10],
                    "last_name": f"{LAST[(p // 10) % 10]}{p}",
                    "title": rng.choice(TITLES),
                    "country": "DE",
                    "city": "Berlin",
                    "provenance": [],
                    "updated_at": now(),
                }
            )
            score_rows.append(
                score_row(
                    pid,
                    fit=float(rng.randint(0, 100)),
                    persona_influence=float(rng.randint(0, 100)),
                    engagement=None,
                    grade=rng.choice(["A1", "B2", "C3"]),
                    priority=rng.random() < 0.2,
                    suppressed=False,
                    summary="fit: industry +20; persona: VP +30",
                )
            )
            tag_rows.append(tag_row(pid, rng.sample(TAGS, 1), []))
        for table, rows_ in ((golden_people, person_rows), (scores, score_rows), (record_tags, tag_rows)):
            for start in range(0, len(rows_), 1000):
                connection.execute(sa.insert(table), rows_[start : start + 1000])
    return ids


def rows(connection: sa.Connection, name: str) -> Iterable[sa.RowMapping]:
    return connection.execute(sa.select(metadata.tables[name])).mappings()
