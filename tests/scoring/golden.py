"""Golden companies and people for scoring tests, written into resolve's real tables (CONTRACTS §2).

The tables come from ``leadflow.store.schema``; ``leadflow.store.open_store`` creates them through the migrations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from leadflow.store.schema import golden_companies, golden_people

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SOURCE_FILE = "golden-fixture.csv"


def provenance(row: Mapping[str, Any], row_number: int) -> list[dict[str, Any]]:
    """Contract-shaped provenance: every given field (not the ids) came from one row of one CSV file."""
    fields = [field for field, value in row.items() if field not in ("id", "company_id") and value is not None]
    return [{"source_kind": "csv", "file_name": SOURCE_FILE, "row_number": row_number, "fields": fields}]


def insert_golden(
    engine: sa.Engine, *, companies: Sequence[Mapping[str, Any]], people: Sequence[Mapping[str, Any]]
) -> None:
    """Insert complete rows: unspecified nullable columns are NULL, the NOT NULL ones get real values."""
    with engine.begin() as connection:
        if companies:
            names = [column.name for column in golden_companies.columns]
            rows = [
                dict.fromkeys(names) | {"provenance": provenance(row, n), "updated_at": NOW} | dict(row)
                for n, row in enumerate(companies, start=1)
            ]
            connection.execute(sa.insert(golden_companies), rows)
        if people:
            names = [column.name for column in golden_people.columns]
            rows = []
            for n, row in enumerate(people, start=1):
                emails = row.get("emails", [row["email"]] if row.get("email") else [])
                full = dict(row) | {"emails": emails}
                rows.append(dict.fromkeys(names) | {"provenance": provenance(full, n), "updated_at": NOW} | full)
            connection.execute(sa.insert(golden_people), rows)


def sample_records() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A handful of companies and people covering the interesting cases."""
    companies = [
        {
            "id": "gc_acme",
            "name": "Acme",
            "domain": "acme.io",
            "industry": "Computer Software",
            "employees": 120,
            "annual_revenue": 25e6,
            "country": "DE",
            "technologies": ["Salesforce", "Gong"],
            "keywords": ["SaaS"],
        },
        {
            "id": "gc_rival",
            "name": "Rival",
            "domain": "competitor.example",
            "industry": "Computer Software",
            "employees": 300,
            "annual_revenue": 50e6,
            "country": "US",
            "technologies": [],
            "keywords": [],
        },
        {
            "id": "gc_shop",
            "name": "Shop",
            "domain": "shop.fr",
            "industry": "Retail",
            "employees": 8,
            "annual_revenue": None,
            "country": "FR",
            "technologies": None,
            "keywords": None,
        },
    ]
    people = [
        {
            "id": "gp_anna",
            "company_id": "gc_acme",
            "email": "anna@acme.io",
            "emails": ["anna@acme.io", "a.k@acme.io"],
            "title": "VP Sales",
            "seniority": "Vp",
            "department": "Sales",
            "country": "DE",
        },
        {
            "id": "gp_ben",
            "company_id": "gc_acme",
            "email": "ben@acme.io",
            "title": "Head of RevOps",
            "seniority": "Head",
            "department": "Operations",
            "do_not_call": True,
        },
        {
            "id": "gp_carl",
            "company_id": "gc_rival",
            "email": "carl@competitor.example",
            "title": "CEO",
            "seniority": "C suite",
        },
        {"id": "gp_dora", "company_id": "gc_shop", "email": "info@shop.fr", "email_is_role": True},
        {"id": "gp_emil", "company_id": None, "email": "emil@gmail.com", "email_is_free": True},
    ]
    return companies, people
