"""Golden tables and cluster membership in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from leadflow.store import open_store
from leadflow.store.golden import (
    cluster_rows,
    golden_counts,
    golden_id_of_source_record,
    iter_cluster_export,
    previous_assignments,
    replace_golden,
)
from leadflow.store.runs import start_run, utcnow
from leadflow.store.schema import golden_people, source_records


def add_source_rows(connection: sa.Connection, run_id: int, count: int) -> list[int]:
    ids = []
    for row in range(1, count + 1):
        result = connection.execute(
            source_records.insert()
            .values(run_id=run_id, source_kind="apollo", file_name="/data/in/apollo.csv", file_sha256="f" * 64,
                    row_number=row, raw={}, ingested_at=utcnow())
            .returning(source_records.c.id)
        )  # fmt: skip
        ids.append(int(result.scalar_one()))
    return ids


def golden(gid: str, company: str | None, **values: Any) -> dict[str, Any]:
    return {"id": gid, "company_id": company, "emails": [], "provenance": [], **values}


def test_replace_golden_round_trip(database_url: str) -> None:
    engine = open_store(database_url)
    with engine.begin() as connection:
        run_id = start_run(connection, kind="resolve")
        srid = add_source_rows(connection, run_id, 3)
        companies = [
            {
                "id": "gc_1",
                "name": "Acme",
                "domain": "acme.com",
                "provenance": [{"crm_module": "Accounts", "crm_id": "1", "fields": ["name"]}],
            }
        ]
        people = [
            golden("gp_a", "gc_1", email="jo@acme.com", emails=["jo@acme.com"], crm_module="Leads", crm_id="9"),
            golden("gp_b", None, first_name="Ann"),
        ]
        members = [
            {"source_record_id": srid[0], "golden_person_id": "gp_a", "match_reason": "email"},
            {"source_record_id": srid[1], "golden_person_id": "gp_a", "match_reason": "splink", "match_weight": 12.5,
             "partner_source_record_id": srid[0], "match_detail": {"first_name": {"level": "exact", "weight": 6.4}}},
            {"source_record_id": srid[2], "golden_person_id": "gp_b", "match_reason": "single"},
        ]  # fmt: skip
        replace_golden(connection, companies=companies, people=people, members=members, run_id=run_id)
    with engine.connect() as connection:
        assert previous_assignments(connection) == {
            f"p:{srid[0]}": "gp_a",
            f"p:{srid[1]}": "gp_a",
            f"p:{srid[2]}": "gp_b",
            "crm:Leads:9": "gp_a",
        }
        assert golden_id_of_source_record(connection, source_record_id=srid[1]) == "gp_a"
        rows = cluster_rows(connection, golden_id="gp_a")
        assert [r["match_reason"] for r in rows] == ["email", "splink"]
        assert rows[1]["match_detail"]["first_name"]["weight"] == 6.4
        assert list(iter_cluster_export(connection)) == [
            ("apollo.csv", 1, "gp_a"),
            ("apollo.csv", 2, "gp_a"),
            ("apollo.csv", 3, "gp_b"),
        ]
    # a second run: gp_b is gone (its row joined gp_a), gp_a is updated in place
    with engine.begin() as connection:
        people = [golden("gp_a", "gc_1", email="jo@acme.com", title="CFO")]
        members = [{"source_record_id": s, "golden_person_id": "gp_a", "match_reason": "email"} for s in srid]
        removed = replace_golden(connection, companies=companies, people=people, members=members)
        assert removed == {"golden_people_removed": 1, "golden_companies_removed": 0}
    with engine.connect() as connection:
        assert golden_counts(connection) == {"golden_people": 1, "golden_companies": 1, "cluster_members": 3}
        assert connection.execute(sa.select(golden_people.c.title)).scalar_one() == "CFO"
    engine.dispose()
