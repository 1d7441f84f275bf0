from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from leadflow.errors import InputError
from leadflow.pipeline.ingest import ingest_files
from leadflow.store import open_store, runs
from leadflow.store.ingest import get_prospects, list_quarantine, quarantine_counts
from leadflow.store.schema import prospects, quarantine, source_records
from tests.sources.builders import apollo_2024, apollo_2025, csv_text, linkedin, salesnav, write_csv


def _files(tmp_path: Path) -> list[Path]:
    return [
        write_csv(tmp_path / "apollo-2025.csv", apollo_2025(["AI custom field 4893"])),
        write_csv(tmp_path / "apollo-2024.csv", apollo_2024(), encoding="cp1252", delimiter=";"),
        write_csv(tmp_path / "salesnav.csv", salesnav(), encoding="utf-16", delimiter="\t"),
        write_csv(tmp_path / "linkedin.csv", linkedin(), encoding="utf-8-sig"),
    ]


def _count(connection: sa.Connection, table: sa.Table) -> int:
    return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_ingest_every_format_into_prospects(database_url: str, tmp_path: Path) -> None:
    engine = open_store(database_url)
    report = ingest_files(engine, _files(tmp_path))
    assert (report.read, report.stored, dict(report.quarantined)) == (8, 7, {"no_identity": 1})
    assert [f.format for f in report.files] == ["apollo-2025", "apollo-2024", "salesnav", "linkedin"]
    with engine.connect() as connection:
        assert _count(connection, source_records) == 7
        assert _count(connection, prospects) == 7
        rows = {(p["file_name"], p["row_number"]): p for p in get_prospects(connection)}
        run = runs.get_run(connection, run_id=report.run_id)
    assert run is not None
    assert run["status"] == "succeeded"
    assert run["counters"]["stored"] == 7

    layla = rows[("apollo-2025.csv", 1)]
    assert layla["email"] == "layla.saeed@gulfcap.example"
    assert layla["last_name"] == "Saeed"
    assert layla["other_emails"] == ["layla@gmail.com"]
    assert layla["phone_e164"] == "+971501234567"
    assert layla["technologies"] == ["Salesforce", "Microsoft Office 365"]
    assert layla["extras"] == {"AI custom field 4893": "AI custom field 4893 value 1"}
    assert layla["do_not_call"] is False
    assert (layla["country"], layla["seniority"], layla["persona"]) == ("AE", "c_suite", "economic_buyer")

    bob = rows[("apollo-2025.csv", 2)]
    assert (bob["email_status"], bob["do_not_call"], bob["first_name_key"]) == ("catch_all", True, "bob")

    priya = rows[("apollo-2024.csv", 1)]
    assert (priya["phone_e164"], priya["company_key"], priya["company_domain"]) == (
        "+919811342484",
        "brightlane technologies",
        "brightlane.in",
    )

    liz = rows[("salesnav.csv", 1)]
    assert (liz["salesnav_id"], liz["linkedin_slug"], liz["first_name_key"]) == (
        "ACwAAABCDEF12345",
        "liz-warren-hughes",
        "elizabeth",
    )
    assert (liz["last_name"], liz["company_key"], liz["company_linkedin_id"]) == (
        "Warren-Hughes",
        "nimbus ai",
        "18234567",
    )
    marc = rows[("salesnav.csv", 2)]
    assert (marc["last_name"], marc["salesnav_id"], marc["country"]) == ("Dubois", "ACwAAAXYZ98765", "FR")
    assert rows[("linkedin.csv", 1)]["linkedin_url"] == "https://www.linkedin.com/in/sam-okafor"
    engine.dispose()


def test_reingesting_the_same_file_adds_nothing(database_url: str, tmp_path: Path) -> None:
    engine = open_store(database_url)
    files = _files(tmp_path)
    first = ingest_files(engine, files, chunk_rows=100)
    second = ingest_files(engine, files, chunk_rows=100)
    assert (second.read, second.stored, second.already_seen, sum(second.quarantined.values())) == (8, 0, 8, 0)
    with engine.connect() as connection:
        assert _count(connection, prospects) == first.stored
        assert _count(connection, quarantine) == 1
    engine.dispose()


def test_every_row_is_stored_or_quarantined_with_its_reason(database_url: str, tmp_path: Path) -> None:
    rows = apollo_2025()
    text = csv_text(rows)
    text += csv_text([rows[1][:10]])  # truncated row: wrong column count
    good = csv_text([rows[2]])
    broken = good.replace("Miller", "Mill\udcffer").encode("utf-8", "surrogateescape")  # invalid UTF-8 byte
    path = tmp_path / "mixed.csv"
    path.write_bytes(text.encode("utf-8") + broken + b'"unterminated,quote\r\n')
    engine = open_store(database_url)
    report = ingest_files(engine, [path], chunk_rows=2)
    with engine.connect() as connection:
        stored = _count(connection, source_records)
        counts = quarantine_counts(connection)
        listed = list_quarantine(connection)
    assert report.read == stored + sum(counts.values())
    assert stored == 2
    assert counts["no_identity"] == 1
    assert counts["wrong_column_count"] >= 1
    assert counts["undecodable"] == 1
    undecodable = next(q for q in listed if q["reason"] == "undecodable")
    assert "\\xff" in undecodable["raw_text"]
    assert sorted(q["row_number"] for q in listed) == list(range(3, report.read + 1))
    engine.dispose()


def test_mapped_csv(database_url: str, tmp_path: Path) -> None:
    mapping = tmp_path / "fair.toml"
    mapping.write_text(
        'default_country = "DE"\n[columns]\nfirst_name = "Vorname"\nlast_name = "Nachname"\n'
        'email = "E-Mail"\ncompany_name = "Firma"\nphone_direct = "Telefon"\ntitle = "Position"\n',
        encoding="utf-8",
    )
    path = write_csv(
        tmp_path / "messe.csv",
        [
            ["Vorname", "Nachname", "E-Mail", "Firma", "Telefon", "Position", "Notiz"],
            [
                "Jürgen",
                "Weiß",
                "J.Weiss@Example-Maschinen.de",
                "Beispiel Maschinen GmbH",
                "030 1234567",
                "Einkaufsleiter",
                "Stand 4",
            ],
        ],
        encoding="cp1252",
        delimiter=";",
    )
    engine = open_store(database_url)
    report = ingest_files(engine, [path], format_name="mapped", mapping=mapping)
    assert report.stored == 1
    with engine.connect() as connection:
        (row,) = get_prospects(connection)
    assert row["source_kind"] == "mapped"
    assert (row["first_name"], row["last_name_key"], row["company_key"]) == ("Jürgen", "weiss", "beispiel maschinen")
    assert row["phone_e164"] == "+49301234567"
    assert row["extras"] == {"Notiz": "Stand 4"}
    assert json.dumps(row["technologies"]) == "[]"
    engine.dispose()


def test_a_file_of_unknown_format_stops_the_run_before_anything_is_written(database_url: str, tmp_path: Path) -> None:
    good = write_csv(tmp_path / "apollo.csv", apollo_2025())
    odd = write_csv(tmp_path / "odd.csv", [["foo", "bar"], ["1", "2"]])
    engine = open_store(database_url)
    with pytest.raises(InputError, match=r"odd\.csv: unknown export format"):
        ingest_files(engine, [good, odd])
    with engine.connect() as connection:
        assert _count(connection, source_records) == 0
        assert runs.list_runs(connection, kind="ingest") == []
    engine.dispose()


def test_a_failed_write_fails_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from leadflow.store import ingest as repo

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(repo, "insert_prospects", broken)
    engine = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_files(engine, _files(tmp_path), chunk_rows=1)
    with engine.connect() as connection:
        (run,) = runs.list_runs(connection, kind="ingest")
        assert _count(connection, prospects) == 0
    assert run["status"] == "failed"
    assert run["error"] == "disk full"
    engine.dispose()


def test_in_memory_sqlite_store(tmp_path: Path) -> None:
    engine = open_store("sqlite://")
    report = ingest_files(engine, _files(tmp_path))
    assert report.stored == 7
    engine.dispose()
