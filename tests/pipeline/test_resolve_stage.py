"""The resolve stage end to end on the store (both backends): prospects + CRM mirror -> golden tables -> CLI."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from leadflow.config import ResolveSettings
from leadflow.pipeline.resolve import run_resolve
from leadflow.store import open_store
from leadflow.store.crm import latest_modified_time, upsert_crm_rows
from leadflow.store.golden import cluster_rows, golden_counts, iter_cluster_export
from leadflow.store.runs import list_runs, start_run, utcnow
from leadflow.store.schema import golden_companies, golden_people, source_records

# The columns of the ``prospects`` contract (CONTRACTS §1) the resolver reads; ingest owns the real table.
PROSPECT_COLUMNS = (
    "email", "email_status", "first_name", "last_name", "first_name_key", "last_name_key", "title",
    "phone_e164", "linkedin_slug", "salesnav_id", "apollo_contact_id", "company_name", "company_key",
    "company_domain", "city", "country",
)  # fmt: skip


def prospects_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "prospects",
        metadata,
        sa.Column("source_record_id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer),
        sa.Column("source_kind", sa.String(32)),
        sa.Column("file_name", sa.String(512)),
        sa.Column("row_number", sa.Integer),
        sa.Column("email_is_role", sa.Boolean),
        sa.Column("technologies", sa.JSON),
        *(sa.Column(name, sa.String(255)) for name in PROSPECT_COLUMNS),
    )


def ingest(engine: sa.Engine, file_name: str, rows: list[dict[str, Any]], kind: str = "apollo") -> list[int]:
    metadata = sa.MetaData()
    prospects = prospects_table(metadata)
    metadata.create_all(engine)
    ids = []
    with engine.begin() as connection:
        run_id = start_run(connection, kind="ingest")
        for number, row in enumerate(rows, start=1):
            srid = connection.execute(
                source_records.insert()
                .values(run_id=run_id, source_kind=kind, file_name=f"/in/{file_name}",
                        file_sha256=file_name.ljust(64, "0"), row_number=number, raw=row, ingested_at=utcnow())
                .returning(source_records.c.id)
            ).scalar_one()  # fmt: skip
            values = {name: row.get(name) for name in PROSPECT_COLUMNS}
            connection.execute(
                prospects.insert().values(
                    source_record_id=srid, run_id=run_id, source_kind=kind, file_name=file_name, row_number=number,
                    technologies=["AWS"], **values,
                )
            )  # fmt: skip
            ids.append(int(srid))
    return ids


JO = {"first_name": "Jo", "last_name": "Smith", "first_name_key": "joseph", "last_name_key": "smith",
      "company_name": "Acme Inc", "company_key": "acme", "company_domain": "acme.com", "city": "Austin"}  # fmt: skip


def test_resolve_stage_with_crm_and_stable_ids(database_url: str) -> None:
    engine = open_store(database_url)
    apollo = ingest(
        engine,
        "apollo.csv",
        [
            {**JO, "email": "jo.smith@acme.com", "email_status": "verified", "title": "VP Sales",
             "linkedin_slug": "jo-smith"},
            {**JO, "email": "jsmith@acme.com", "email_status": "verified", "title": "Engineer"},  # a namesake
            {"first_name": "Ann", "last_name": "Lee", "first_name_key": "ann", "last_name_key": "lee",
             "email": "ann@beta.io", "company_name": "Beta", "company_key": "beta", "company_domain": "beta.io"},
        ],
    )  # fmt: skip
    salesnav = ingest(
        engine, "salesnav.csv", [{**JO, "salesnav_id": "ACwAA1", "linkedin_slug": "jo-smith"}], "salesnav"
    )
    with engine.begin() as connection:
        upsert_crm_rows(
            connection,
            [
                {"module": "Leads", "crm_id": "900", "fields": {"id": "900", "Email": "Ann@Beta.io"},
                 "email": "ann@beta.io", "first_name_key": "ann", "last_name_key": "lee",
                 "modified_time": utcnow()},
                {"module": "Accounts", "crm_id": "77", "fields": {"id": "77", "Account_Name": "Acme"},
                 "company_name": "Acme", "company_key": "acme", "company_domain": "acme.com"},
            ],
        )  # fmt: skip
        assert latest_modified_time(connection, module="Leads") is not None

    first = run_resolve(engine, ResolveSettings(), against_crm=True)
    assert first.stats["golden_people"] == 3
    with engine.connect() as connection:
        export = list(iter_cluster_export(connection))
        assert len(export) == 4
        cluster = {(f, r): g for f, r, g in export}
        assert cluster[("apollo.csv", 1)] == cluster[("salesnav.csv", 1)]
        assert cluster[("apollo.csv", 1)] != cluster[("apollo.csv", 2)]
        ann = (
            connection.execute(sa.select(golden_people).where(golden_people.c.email == "ann@beta.io")).mappings().one()
        )
        assert (ann["crm_module"], ann["crm_id"]) == ("Leads", "900")
        acme = (
            connection.execute(sa.select(golden_companies).where(golden_companies.c.domain == "acme.com"))
            .mappings()
            .one()
        )
        assert acme["crm_account_id"] == "77"
        jo = (
            connection.execute(sa.select(golden_people).where(golden_people.c.email == "jo.smith@acme.com"))
            .mappings()
            .one()
        )
        assert jo["provenance"]["title"] == {"value": "VP Sales", "source_kind": "apollo", "file_name": "apollo.csv",
                                             "row_number": 1}  # fmt: skip
        assert jo["company_id"] == acme["id"]
        reasons = {row["source_record_id"]: row["match_reason"] for row in cluster_rows(connection, golden_id=jo["id"])}
        assert reasons == {apollo[0]: "linkedin_slug", salesnav[0]: "linkedin_slug"}
    assert list_runs(engine.connect(), kind="resolve")[0]["status"] == "succeeded"

    # a re-run (without the CRM) keeps every id and the CRM link
    run_resolve(engine, ResolveSettings())
    with engine.connect() as connection:
        assert {(f, r): g for f, r, g in iter_cluster_export(connection)} == cluster
        assert golden_counts(connection)["golden_people"] == 3
        kept = connection.execute(sa.select(golden_people.c.crm_id).where(golden_people.c.id == ann["id"]))
        assert kept.scalar_one() == "900"
    engine.dispose()


def test_cli_resolve_explain_and_export(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    engine = open_store(url)
    ids = ingest(engine, "apollo.csv", [{**JO, "email": "jo@acme.com"}, {**JO, "email": "jo@acme.com", "title": "CFO"}])
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    env.update(PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"), LEADFLOW_DATABASE_URL=url, COLUMNS="200")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "leadflow", *args]
        return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    result = run("resolve")
    assert result.returncode == 0, result.stderr
    assert "golden people" in result.stdout
    result = run("export", "clusters", "--out", str(tmp_path / "clusters.csv"))
    assert result.returncode == 0, result.stderr
    with (tmp_path / "clusters.csv").open() as handle:
        lines = list(csv.reader(handle))
    assert lines[0] == ["file", "row", "cluster_id"]
    assert [line[:2] for line in lines[1:]] == [["apollo.csv", "1"], ["apollo.csv", "2"]]
    assert lines[1][2] == lines[2][2]
    assert lines[1][2].startswith("gp_")
    result = run("resolve", "--explain", str(ids[1]))
    assert result.returncode == 0, result.stderr
    assert lines[1][2] in result.stdout
    assert "shared email" in result.stdout
    result = run("resolve", "--explain", "gp_nope")
    assert result.returncode == 2
    assert "no golden record" in result.stderr
