from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

from tests.cli.test_cli import run
from tests.sources.builders import apollo_2025, salesnav, write_csv


def test_ingest_prints_a_summary_and_quarantine_commands_work(tmp_path: Path) -> None:
    write_csv(tmp_path / "apollo.csv", apollo_2025(["AI custom field 4893"]))
    write_csv(tmp_path / "salesnav.csv", salesnav(), encoding="utf-16", delimiter="\t")
    result = run(["ingest", "apollo.csv", "salesnav.csv"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "apollo-2025" in result.stdout
    assert "salesnav" in result.stdout
    assert "no_identity" in result.stdout
    assert "AI custom field 4893" in result.stdout

    again = run(["ingest", "apollo.csv"], tmp_path)
    assert again.returncode == 0, again.stderr
    with sqlite3.connect(tmp_path / "leadflow.db") as db:
        assert db.execute("select count(*) from prospects").fetchone() == (4,)
        assert db.execute("select count(*) from quarantine").fetchone() == (1,)

    listed = run(["quarantine", "list"], tmp_path)
    assert listed.returncode == 0
    assert "no_identity" in listed.stdout

    exported = run(["quarantine", "export", "--out", "q.csv"], tmp_path)
    assert exported.returncode == 0, exported.stderr
    with (tmp_path / "q.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["file_name"], r["row_number"], r["reason"]) for r in rows] == [("apollo.csv", "3", "no_identity")]


def test_unknown_format_names_the_closest_known_one(tmp_path: Path) -> None:
    (tmp_path / "odd.csv").write_text("profileUrl,fullName,companyName\nx,y,z\n", encoding="utf-8")
    result = run(["ingest", "odd.csv"], tmp_path)
    assert result.returncode == 2
    assert "Sales Navigator" in result.stderr
    assert "title" in result.stderr


def test_mapped_format_needs_a_mapping(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    result = run(["ingest", "x.csv", "--format", "mapped"], tmp_path)
    assert result.returncode == 2
    assert "--mapping" in result.stderr


def test_quarantine_export_quotes_formula_cells(tmp_path: Path) -> None:
    header = "First Name,Last Name,Title,Company Name,Email,Email Status\n"
    (tmp_path / "f.csv").write_text(header + '=HYPERLINK("http://evil"),,x,,,\n+1,2\n', encoding="utf-8")
    assert run(["ingest", "f.csv"], tmp_path).returncode == 0
    assert run(["quarantine", "export", "--out", "q.csv"], tmp_path).returncode == 0
    with (tmp_path / "q.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2
    assert all(not r["raw_text"].startswith(("=", "+", "-", "@")) for r in rows)
