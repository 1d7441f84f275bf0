from __future__ import annotations

from pathlib import Path

from leadflow.pipeline.ingest import ingest_files
from leadflow.store import ingest as repo
from leadflow.store import open_store
from tests.sources.builders import apollo_2025, csv_text


def test_quarantine_and_prospect_queries(database_url: str, tmp_path: Path) -> None:
    rows = apollo_2025()
    path = tmp_path / "a.csv"
    path.write_text(csv_text(rows) + csv_text([rows[1][:3]]), encoding="utf-8")
    engine = open_store(database_url)
    report = ingest_files(engine, [path])
    with engine.connect() as connection:
        assert repo.count_prospects(connection) == 2
        assert repo.count_prospects(connection, run_id=report.run_id) == 2
        assert repo.quarantine_counts(connection) == {"no_identity": 1, "wrong_column_count": 1}
        listed = repo.list_quarantine(connection, reason="wrong_column_count")
        assert [(q["row_number"], q["file_name"], q["source_kind"]) for q in listed] == [(4, "a.csv", "apollo")]
        assert listed[0]["detail"] == f"3 columns, the header has {len(rows[0])}"
        assert len(list(repo.iter_quarantine(connection, run_id=report.run_id))) == 2
        assert repo.list_quarantine(connection, run_id=report.run_id + 1) == []
        sha = report.files[0].sha256
        assert repo.seen_row_numbers(connection, file_sha256=sha, first_row=1, last_row=4) == {1, 2, 3, 4}
        ids = repo.source_record_ids(connection, file_sha256=sha, first_row=1, last_row=4)
        assert sorted(ids) == [1, 2]
        prospects = repo.get_prospects(connection, file_name="a.csv")
        assert [p["source_record_id"] for p in prospects] == [ids[1], ids[2]]
    engine.dispose()
