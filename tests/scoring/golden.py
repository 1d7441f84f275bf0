"""Test-only stand-ins for resolve's golden tables (CONTRACTS §2 column names), created when absent.

Resolve owns these tables; once its migration is merged, ``create_golden_tables`` finds them and does nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

_metadata = sa.MetaData()

golden_companies = sa.Table(
    "golden_companies",
    _metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(512)),
    sa.Column("domain", sa.String(255)),
    sa.Column("company_key", sa.String(512)),
    sa.Column("industry", sa.String(255)),
    sa.Column("employees", sa.Integer),
    sa.Column("annual_revenue", sa.Float),
    sa.Column("country", sa.String(2)),
    sa.Column("technologies", sa.JSON),
    sa.Column("keywords", sa.JSON),
    sa.Column("crm_account_id", sa.String(64)),
    sa.Column("provenance", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

golden_people = sa.Table(
    "golden_people",
    _metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("company_id", sa.String(32)),
    sa.Column("email", sa.String(320)),
    sa.Column("email_status", sa.String(16)),
    sa.Column("email_is_role", sa.Boolean),
    sa.Column("email_is_free", sa.Boolean),
    sa.Column("email_is_disposable", sa.Boolean),
    sa.Column("emails", sa.JSON, nullable=False),
    sa.Column("first_name", sa.String(255)),
    sa.Column("last_name", sa.String(255)),
    sa.Column("title", sa.String(512)),
    sa.Column("seniority", sa.String(32)),
    sa.Column("department", sa.String(64)),
    sa.Column("persona", sa.String(64)),
    sa.Column("country", sa.String(2)),
    sa.Column("state", sa.String(128)),
    sa.Column("city", sa.String(255)),
    sa.Column("do_not_call", sa.Boolean),
    sa.Column("crm_module", sa.String(16)),
    sa.Column("crm_id", sa.String(64)),
    sa.Column("provenance", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def create_golden_tables(engine: sa.Engine) -> None:
    _metadata.create_all(engine, checkfirst=True)


def insert_golden(
    engine: sa.Engine, *, companies: Sequence[Mapping[str, Any]], people: Sequence[Mapping[str, Any]]
) -> None:
    with engine.begin() as connection:
        if companies:
            names = [column.name for column in golden_companies.columns]
            base = dict.fromkeys(names) | {"provenance": {}, "updated_at": NOW}
            connection.execute(golden_companies.insert(), [base | dict(row) for row in companies])
        if people:
            names = [column.name for column in golden_people.columns]
            rows = []
            for row in people:
                emails = row.get("emails", [row["email"]] if row.get("email") else [])
                rows.append(
                    dict.fromkeys(names) | {"provenance": {}, "updated_at": NOW} | dict(row) | {"emails": emails}
                )
            connection.execute(golden_people.insert(), rows)


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


def as_json(value: Any) -> str:
    return json.dumps(value)
