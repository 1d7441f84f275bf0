"""The resolve stage end to end on the store (both backends): CSV exports -> ingest -> CRM mirror -> resolve ->
golden tables -> CLI (explain, export clusters)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from leadflow.config import ResolveSettings
from leadflow.pipeline.crm_mirror import load_crm_records
from leadflow.pipeline.ingest import ingest_files
from leadflow.pipeline.resolve import run_resolve
from leadflow.resolve.merge import field_source
from leadflow.sampledata import GeneratorConfig, generate
from leadflow.sampledata.formats import APOLLO_2025_HEADER, SALESNAV_HEADER
from leadflow.store import open_store
from leadflow.store.crm import latest_modified_time
from leadflow.store.golden import cluster_rows, crm_cluster_rows, golden_counts, iter_cluster_export
from leadflow.store.runs import list_runs
from leadflow.store.schema import cluster_members, crm_cluster_members, golden_companies, golden_people, prospects


def write_csv(path: Path, header: tuple[str, ...], rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(header))
        writer.writeheader()
        writer.writerows(rows)
    return path


def apollo(first: str, last: str, email: str, title: str, **extra: str) -> dict[str, str]:
    return {"First Name": first, "Last Name": last, "Email": email, "Email Status": "Verified", "Title": title,
            "Company Name": "Acme Inc.", "Website": "https://acme.com", "City": "Austin", "State": "Texas",
            "Country": "United States", **extra}  # fmt: skip


def exports(folder: Path) -> list[Path]:
    return [
        write_csv(
            folder / "apollo.csv",
            APOLLO_2025_HEADER,
            [
                apollo(
                    "Jo",
                    "Smith",
                    "Jo.Smith@acme.com",
                    "VP Sales",
                    **{"Person Linkedin Url": "http://www.linkedin.com/in/jo-smith"},
                ),
                apollo("Jo", "Smith", "jsmith@acme.com", "Engineer"),  # a namesake at the same company
                {**apollo("Ann", "Lee", "ann@beta.io", "CFO"), "Company Name": "Beta", "Website": "beta.io"},
            ],
        ),
        write_csv(
            folder / "salesnav.csv",
            SALESNAV_HEADER,
            [
                {
                    "profileUrl": "https://www.linkedin.com/sales/lead/ACwAAjo1,NAME_SEARCH,ab12",
                    "fullName": "Jo Smith",
                    "firstName": "Jo",
                    "lastName": "Smith, MBA",
                    "companyName": "ACME",
                    "title": "VP, Sales",
                    "location": "Austin, Texas, United States",
                    "vmid": "ACwAAjo1",
                    "defaultProfileUrl": "https://www.linkedin.com/in/jo-smith",
                },
            ],
        ),
    ]


def test_resolve_stage_with_crm_and_stable_ids(database_url: str, tmp_path: Path) -> None:
    engine = open_store(database_url)
    ingest_files(engine, exports(tmp_path))
    with engine.begin() as connection:
        written = load_crm_records(
            connection,
            [
                ("Leads", {"id": "900", "First_Name": "Ann", "Last_Name": "Lee", "Email": "Ann@Beta.io",
                           "Company": "Beta", "Modified_Time": "2025-06-01T09:00:00+00:00"}),
                ("Accounts", {"id": "77", "Account_Name": "Acme, Inc.", "Website": "https://www.acme.com"}),
            ],
        )  # fmt: skip
        assert written == 2
        assert latest_modified_time(connection, module="Leads") is not None

    first = run_resolve(engine, ResolveSettings(), against_crm=True)
    assert first.stats["golden_people"] == 3
    with engine.connect() as connection:
        export = list(iter_cluster_export(connection))
        assert len(export) == 4
        cluster = {(f, r): g for f, r, g in export}
        assert cluster[("apollo.csv", 1)] == cluster[("salesnav.csv", 1)]
        assert cluster[("apollo.csv", 1)] != cluster[("apollo.csv", 2)]
        people = {p["email"]: p for p in connection.execute(sa.select(golden_people)).mappings()}
        ann, jo = people["ann@beta.io"], people["jo.smith@acme.com"]
        assert (ann["crm_module"], ann["crm_id"]) == ("Leads", "900")
        acme = connection.execute(sa.select(golden_companies).where(golden_companies.c.domain == "acme.com")).one()
        assert acme.crm_account_id == "77"
        assert field_source(jo["provenance"], "title") == {"source_kind": "apollo", "file_name": "apollo.csv",
                                                           "row_number": 1}  # fmt: skip
        assert jo["company_id"] == acme.id
        salesnav_row = connection.execute(
            sa.select(prospects.c.source_record_id).where(prospects.c.file_name == "salesnav.csv")
        ).scalar_one()
        reasons = {row["source_record_id"]: row["match_reason"] for row in cluster_rows(connection, golden_id=jo["id"])}
        assert reasons[salesnav_row] == "linkedin_slug"
        (ann_crm,) = crm_cluster_rows(connection, golden_id=ann["id"])  # why the Lead joined Ann's golden record
        (ann_row,) = cluster_rows(connection, golden_id=ann["id"])
        assert (ann_crm["crm_module"], ann_crm["crm_id"], ann_crm["match_reason"]) == ("Leads", "900", "email")
        assert ann_crm["partner_source_record_id"] == ann_row["source_record_id"]
        assert list_runs(connection, kind="resolve")[0]["status"] == "succeeded"

    # a re-run (without the CRM) keeps every id and the CRM link
    run_resolve(engine, ResolveSettings())
    with engine.connect() as connection:
        assert {(f, r): g for f, r, g in iter_cluster_export(connection)} == cluster
        assert golden_counts(connection)["golden_people"] == 3
        kept = connection.execute(sa.select(golden_people.c.crm_id).where(golden_people.c.id == ann["id"]))
        assert kept.scalar_one() == "900"
        assert [row["crm_id"] for row in crm_cluster_rows(connection, golden_id=ann["id"])] == ["900"]
    engine.dispose()


def test_cli_resolve_explain_and_export(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    engine = open_store(url)
    ingest_files(engine, exports(tmp_path))
    with engine.connect() as connection:
        salesnav_row = connection.execute(
            sa.select(prospects.c.source_record_id).where(prospects.c.file_name == "salesnav.csv")
        ).scalar_one()
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
    assert [line[:2] for line in lines[1:]] == [["apollo.csv", "1"], ["apollo.csv", "2"], ["apollo.csv", "3"],
                                                ["salesnav.csv", "1"]]  # fmt: skip
    assert lines[1][2] == lines[4][2]
    assert lines[1][2].startswith("gp_")
    result = run("resolve", "--explain", str(salesnav_row))
    assert result.returncode == 0, result.stderr
    assert lines[1][2] in result.stdout
    assert "shared linkedin_slug" in result.stdout
    result = run("resolve", "--explain", "gp_nope")
    assert result.returncode == 2
    assert "no golden record" in result.stderr


def test_cli_explain_shows_why_a_crm_record_joined_with_its_match_weights(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    engine = open_store(url)
    data = generate(GeneratorConfig(people=200, seed=11, p_crm=0.5))
    files = data.write(tmp_path / "samples")
    ingest_files(engine, [files[name] for name in ("apollo_2024.csv", "apollo_2025.csv", "salesnav_export.csv")])
    with engine.begin() as connection:
        load_crm_records(connection, ((item["module"], item["record"]) for item in data.crm_seed))
    run_resolve(engine, ResolveSettings(), against_crm=True)
    with engine.connect() as connection:
        links = connection.execute(sa.select(crm_cluster_members)).mappings().all()
        named = connection.execute(
            sa.select(cluster_members.c.partner_crm_module, cluster_members.c.partner_crm_id).where(
                cluster_members.c.partner_crm_id.is_not(None)
            )
        ).all()
    engine.dispose()
    scored = next(link for link in links if link["match_reason"] == "splink")
    assert scored["match_weight"] is not None
    assert scored["match_detail"]["first_name"]["level"] == "exact"
    assert scored["partner_source_record_id"] is not None
    assert {(m, i) for m, i in named} <= {(link["crm_module"], link["crm_id"]) for link in links}
    assert named  # prospect rows joined through a CRM record name it as their partner

    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    env.update(PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"), LEADFLOW_DATABASE_URL=url, COLUMNS="250")
    command = [sys.executable, "-m", "leadflow", "resolve", "--explain", scored["golden_person_id"]]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    crm_line = next(line for line in result.stdout.splitlines() if scored["crm_id"] in line and "splink" in line)
    assert f"Zoho {scored['crm_module']}" in crm_line
    assert f"{scored['match_weight']:.2f}" in crm_line
    assert f"first_name: exact (+{scored['match_detail']['first_name']['weight']:.1f})" in crm_line
    assert str(scored["partner_source_record_id"]) in crm_line


def test_resolve_before_any_ingest_says_what_to_do(sqlite_url: str) -> None:
    import pytest

    from leadflow.errors import InputError

    engine = open_store(sqlite_url)
    with pytest.raises(InputError, match="leadflow ingest"):
        run_resolve(engine, ResolveSettings())
    engine.dispose()
