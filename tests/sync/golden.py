"""Test helper: the golden tables of the data contract, created only when resolve/scoring have not.

Once the resolve and scoring schema modules are merged, ``open_store`` creates these tables itself and
``ensure_golden_tables`` finds them present and does nothing.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Boolean, Column, Float, Integer, MetaData, String, Table, Text

from leadflow.store.schema.base import Json, Timestamp

_meta = MetaData()
golden_companies = Table(
    "golden_companies",
    _meta,
    Column("id", String(32), primary_key=True),
    Column("name", String(512)),
    Column("domain", String(255)),
    Column("company_key", String(512)),
    Column("industry", String(255)),
    Column("employees", Integer),
    Column("annual_revenue", Float),
    Column("country", String(2)),
    Column("technologies", Json),
    Column("keywords", Json),
    Column("crm_account_id", String(64)),
    Column("provenance", Json, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
)
golden_people = Table(
    "golden_people",
    _meta,
    Column("id", String(32), primary_key=True),
    Column("company_id", String(32)),
    Column("email", String(320)),
    Column("emails", Json, nullable=False),
    Column("first_name", String(255)),
    Column("last_name", String(255)),
    Column("title", String(512)),
    Column("seniority", String(32)),
    Column("department", String(64)),
    Column("persona", String(64)),
    Column("phone_e164", String(32)),
    Column("linkedin_url", String(512)),
    Column("company_name", String(512)),
    Column("country", String(2)),
    Column("state", String(128)),
    Column("city", String(255)),
    Column("do_not_call", Boolean),
    Column("crm_module", String(16)),
    Column("crm_id", String(64)),
    Column("provenance", Json, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
)
scores = Table(
    "scores",
    _meta,
    Column("golden_person_id", String(32), primary_key=True),
    Column("fit", Float),
    Column("persona_influence", Float),
    Column("engagement", Float),
    Column("fit_coverage", Float),
    Column("persona_coverage", Float),
    Column("engagement_coverage", Float),
    Column("grade", String(4)),
    Column("priority", Boolean),
    Column("suppressed", Boolean),
    Column("suppression_reasons", Json),
    Column("reasons", Json),
    Column("summary", Text),
    Column("computed_at", Timestamp),
)
record_tags = Table(
    "record_tags",
    _meta,
    Column("golden_person_id", String(32), primary_key=True),
    Column("target", String(8), primary_key=True),
    Column("desired", Json, nullable=False),
    Column("applied", Json, nullable=False),
    Column("custom_fields", Json),
)
crm_records = Table(
    "crm_records",
    _meta,
    Column("module", String(16), primary_key=True),
    Column("crm_id", String(64), primary_key=True),
    Column("fields", Json, nullable=False),
    Column("modified_time", Timestamp),
    Column("loaded_at", Timestamp, nullable=False),
)


def ensure_golden_tables(engine: sa.Engine) -> None:
    """Create the contract's golden tables that do not exist yet."""
    _meta.create_all(engine, checkfirst=True)


_reflected: dict[tuple[str, str], Table] = {}


def _table(connection: sa.Connection, name: str) -> Table:
    """The table as the database has it (the real schema once resolve/scoring are merged), reflected once."""
    key = (str(connection.engine.url), name)
    if key not in _reflected:
        _reflected[key] = Table(name, MetaData(), autoload_with=connection)
    return _reflected[key]


def now() -> datetime:
    return datetime.now(UTC)


def golden_id(prefix: str, n: int) -> str:
    return f"{prefix}_{hashlib.sha256(f'{prefix}{n}'.encode()).hexdigest()[:16]}"


def add_company(connection: sa.Connection, **values: Any) -> str:
    row = {"provenance": {}, "updated_at": now(), **values}
    connection.execute(sa.insert(_table(connection, "golden_companies")), [_fit(connection, "golden_companies", row)])
    return str(row["id"])


def add_person(connection: sa.Connection, **values: Any) -> str:
    row = {
        "emails": [values.get("email")] if values.get("email") else [],
        "provenance": {},
        "updated_at": now(),
        **values,
    }
    connection.execute(sa.insert(_table(connection, "golden_people")), [_fit(connection, "golden_people", row)])
    return str(row["id"])


def set_score(connection: sa.Connection, person_id: str, **values: Any) -> None:
    table = _table(connection, "scores")
    connection.execute(sa.delete(table).where(table.c.golden_person_id == person_id))
    row = {"golden_person_id": person_id, "computed_at": now(), "reasons": [], "suppression_reasons": [], **values}
    connection.execute(sa.insert(table), [_fit(connection, "scores", row)])


def set_tags(connection: sa.Connection, person_id: str, desired: list[str], applied: list[str] | None = None) -> None:
    table = _table(connection, "record_tags")
    current = connection.execute(
        sa.select(table.c.applied).where(table.c.golden_person_id == person_id, table.c.target == "zoho")
    ).scalar_one_or_none()
    connection.execute(sa.delete(table).where(table.c.golden_person_id == person_id, table.c.target == "zoho"))
    row = {
        "golden_person_id": person_id,
        "target": "zoho",
        "desired": desired,
        "applied": applied if applied is not None else (current or []),
        "custom_fields": {},
    }
    connection.execute(sa.insert(table), [_fit(connection, "record_tags", row)])


def update_person(connection: sa.Connection, person_id: str, **values: Any) -> None:
    table = _table(connection, "golden_people")
    connection.execute(sa.update(table).where(table.c.id == person_id).values(**values))


def add_crm_record(connection: sa.Connection, module: str, crm_id: str, fields: Mapping[str, Any]) -> None:
    table = _table(connection, "crm_records")
    row = {"module": module, "crm_id": crm_id, "fields": dict(fields), "loaded_at": now()}
    connection.execute(sa.insert(table), [_fit(connection, "crm_records", row)])


def _fit(connection: sa.Connection, name: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the keys the table has; fill NOT NULL columns the real schema may add with neutral values."""
    table = _table(connection, name)
    fitted = {k: v for k, v in row.items() if k in table.c}
    for column in table.columns:
        if column.name not in fitted and not column.nullable and column.default is None and not column.primary_key:
            fitted[column.name] = _neutral(column.type)
    return fitted


def _neutral(kind: sa.types.TypeEngine[Any]) -> Any:
    if isinstance(kind, sa.JSON):
        return []
    if isinstance(kind, sa.DateTime):
        return now()
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer | sa.Float | sa.Numeric):
        return 0
    return ""


FIRST = ["Ada", "Grace", "Alan", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Edsger"]
LAST = ["Lovelace", "Hopper", "Turing", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen", "Dijkstra"]
TITLES = ["CTO", "VP Engineering", "Head of Data", "Engineering Manager", "Staff Engineer"]
TAGS = ["lf-hot", "lf-nurture", "lf-dach-champion"]


def populate(engine: sa.Engine, people: int, *, companies: int | None = None, seed: int = 7) -> list[str]:
    """``people`` golden people at ``companies`` golden companies with scores and owned tags; their ids."""
    ensure_golden_tables(engine)
    rng = random.Random(seed)
    companies = companies or max(1, people // 5)
    ids: list[str] = []
    with engine.begin() as connection:
        company_rows = [
            _fit(
                connection,
                "golden_companies",
                {
                    "id": golden_id("gc", c),
                    "name": f"Company {c} GmbH",
                    "domain": f"company{c}.example",
                    "company_key": f"company {c}",
                    "employees": 10 + c % 900,
                    "annual_revenue": float(1_000_000 + c * 1000),
                    "country": rng.choice(["DE", "FR", "US"]),
                    "provenance": {},
                    "updated_at": now(),
                },
            )
            for c in range(companies)
        ]
        connection.execute(sa.insert(_table(connection, "golden_companies")), company_rows)
        person_rows, score_rows, tag_rows = [], [], []
        for p in range(people):
            pid = golden_id("gp", p)
            ids.append(pid)
            person_rows.append(
                _fit(
                    connection,
                    "golden_people",
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
                        "provenance": {},
                        "updated_at": now(),
                    },
                )
            )
            score_rows.append(
                _fit(
                    connection,
                    "scores",
                    {
                        "golden_person_id": pid,
                        "fit": float(rng.randint(0, 100)),
                        "persona_influence": float(rng.randint(0, 100)),
                        "engagement": None,
                        "grade": rng.choice(["A1", "B2", "C3"]),
                        "priority": rng.random() < 0.2,
                        "suppressed": False,
                        "reasons": [],
                        "suppression_reasons": [],
                        "summary": "fit: industry +20; persona: VP +30",
                        "computed_at": now(),
                    },
                )
            )
            tag_rows.append(
                _fit(
                    connection,
                    "record_tags",
                    {
                        "golden_person_id": pid,
                        "target": "zoho",
                        "desired": rng.sample(TAGS, 1),
                        "applied": [],
                        "custom_fields": {},
                    },
                )
            )
        for table, rows in (("golden_people", person_rows), ("scores", score_rows), ("record_tags", tag_rows)):
            for start in range(0, len(rows), 1000):
                connection.execute(sa.insert(_table(connection, table)), rows[start : start + 1000])
    return ids


def rows(connection: sa.Connection, name: str) -> Iterable[Mapping[str, Any]]:
    return connection.execute(sa.select(_table(connection, name))).mappings()
