"""Failures a user meets on the command line are one line, name what failed, and exit non-zero (issue 17)."""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.cli.test_cli import LEADFLOW, run

APOLLO_HEADER = ["First Name", "Last Name", "Title", "Company Name", "Email", "Email Status"]


def write_apollo(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(APOLLO_HEADER)
        for i in range(rows):
            company = i % 50
            email = f"p{i}@acme{company}.io"
            writer.writerow([f"Ann{i}", f"Lee{i % 97}", "VP Sales", f"Acme {company}", email, "Verified"])


def assert_one_line_error(result: subprocess.CompletedProcess[str], *, exit_code: int = 2) -> str:
    assert result.returncode == exit_code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def read_only_target(tmp_path: Path) -> Path:
    """A path that cannot be written: a file in a read-only folder, or (as root, who ignores modes) /proc's."""
    if os.geteuid() == 0:
        return Path("/proc/version")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    return folder / "out.csv"


OUT_COMMANDS = [
    ["export", "clusters"],
    ["export", "scores"],
    ["export", "sync-map"],
    ["quarantine", "export"],
]


@pytest.mark.parametrize("command", OUT_COMMANDS, ids=lambda c: " ".join(c))
def test_out_to_a_directory_a_missing_folder_or_a_read_only_path_is_one_line_exit_2(
    tmp_path: Path, command: list[str]
) -> None:
    (tmp_path / "adir").mkdir()
    line = assert_one_line_error(run([*command, "--out", "adir"], tmp_path))
    assert "adir" in line
    assert "directory" in line

    line = assert_one_line_error(run([*command, "--out", "missing/sub/out.csv"], tmp_path))
    assert "missing/sub/out.csv" in line
    assert "does not exist" in line
    assert not (tmp_path / "missing").exists()  # no folder the user did not ask for

    target = read_only_target(tmp_path)
    line = assert_one_line_error(run([*command, "--out", str(target)], tmp_path))
    assert str(target) in line
    assert "cannot write" in line


def test_unknown_country_and_quarantine_reason_are_refused_with_the_valid_values(tmp_path: Path) -> None:
    write_apollo(tmp_path / "a.csv", 2)
    line = assert_one_line_error(run(["ingest", "a.csv", "--country", "XX"], tmp_path))
    assert "'XX'" in line
    assert "ISO 3166 alpha-2" in line
    assert not (tmp_path / "leadflow.db").exists()  # refused before the store was opened

    ok = run(["ingest", "a.csv", "--country", "germany"], tmp_path)
    assert ok.returncode == 0, ok.stderr

    for command in (["quarantine", "list"], ["quarantine", "export", "--out", "q.csv"]):
        line = assert_one_line_error(run([*command, "--reason", "bogus"], tmp_path))
        assert "no_identity" in line
        assert "wrong_column_count" in line
        assert "'bogus'" in line
    assert not (tmp_path / "q.csv").exists()


def test_ingest_of_a_directory_or_a_binary_file_says_so_without_echoing_bytes(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    line = assert_one_line_error(run(["ingest", "exports"], tmp_path))
    assert line == "error: exports: is a directory, not a file"

    noise = bytes(range(256)) * 40
    (tmp_path / "photo.csv").write_bytes(noise)
    result = run(["ingest", "photo.csv"], tmp_path)
    line = assert_one_line_error(result)
    assert "photo.csv: not a text file" in line
    assert line.isprintable()
    assert line.isascii()


def _start_ingest(tmp_path: Path, database_url: str) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    environment["PYTHONPATH"] = str(Path(__file__).resolve().parents[2] / "src")
    environment["LEADFLOW_DATABASE_URL"] = database_url
    return subprocess.Popen(
        [*LEADFLOW, "ingest", "same.csv"],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_ingests_of_one_file_at_once_on_a_new_store_both_finish_and_store_rows_once(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'leadflow.db'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    rows = 20_000
    write_apollo(tmp_path / "same.csv", rows)
    processes = [_start_ingest(tmp_path, url) for _ in range(2)]
    outputs = [process.communicate(timeout=300) for process in processes]
    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
        assert "Traceback" not in stdout + stderr
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(sa.text("SELECT count(*) FROM source_records")).scalar_one()
            prospects = connection.execute(sa.text("SELECT count(*) FROM prospects")).scalar_one()
            runs = connection.execute(sa.text("SELECT status FROM runs WHERE kind = 'ingest'")).scalars().all()
    finally:
        engine.dispose()
    assert (stored, prospects) == (rows, rows)
    assert sorted(runs) == ["succeeded", "succeeded"]
    stdout = "".join(out for out, _ in outputs)
    assert f"{rows:,}" in stdout  # one run stored them all, the other saw them all


def test_ingest_summary_uses_thousands_separators(tmp_path: Path) -> None:
    write_apollo(tmp_path / "a.csv", 1_500)
    result = run(["ingest", "a.csv"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1,500" in result.stdout
    with sqlite3.connect(tmp_path / "leadflow.db") as db:
        assert db.execute("select count(*) from prospects").fetchone() == (1_500,)


def test_progress_counts_rows_with_a_rate_and_stages_name_their_steps(tmp_path: Path) -> None:
    write_apollo(tmp_path / "a.csv", 4_000)
    terminal = {"TTY_COMPATIBLE": "1", "LEADFLOW_INGEST_CHUNK_ROWS": "1000"}  # rich draws bars as on a terminal
    ingested = run(["ingest", "a.csv"], tmp_path, **terminal)
    assert ingested.returncode == 0, ingested.stderr
    assert "4,000 rows" in ingested.stdout  # rows, not bytes
    assert "/s" in ingested.stdout
    assert " MB" not in ingested.stdout
    assert " kB" not in ingested.stdout

    resolved = run(["resolve"], tmp_path)
    assert resolved.returncode == 0, resolved.stderr
    assert "resolve: matching 4,000 records" in resolved.stdout
    assert "golden people: one record per real person" in resolved.stdout
    scored = run(["score"], tmp_path)
    assert scored.returncode == 0, scored.stderr
    assert "score: scoring 4,000 golden people" in scored.stdout
    assert "scored 4,000 records" in scored.stdout


def test_a_mapping_given_with_another_format_is_refused_not_ignored(tmp_path: Path) -> None:
    write_apollo(tmp_path / "a.csv", 2)
    (tmp_path / "m.toml").write_text('[columns]\nemail = "Email"\n', encoding="utf-8")
    line = assert_one_line_error(run(["ingest", "a.csv", "--format", "apollo", "--mapping", "m.toml"], tmp_path))
    assert "--mapping is for --format mapped" in line
    line = assert_one_line_error(run(["ingest", "a.csv", "--format", "mapped", "--mapping", "."], tmp_path))
    assert line == "error: .: is a directory, not a file"


def test_an_unclosed_quote_is_quarantined_at_its_line_and_no_line_is_swallowed(tmp_path: Path) -> None:
    lines = [f"Ann{i},Lee,VP Sales,Acme,ann{i}@acme.io,Verified" for i in range(8)]
    lines[2] = 'Bo,Ng,"CEO,Acme,bo@acme.io,Verified'  # the quote never closes
    (tmp_path / "a.csv").write_text(",".join(APOLLO_HEADER) + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    result = run(["ingest", "a.csv"], tmp_path)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "leadflow.db") as db:
        stored = [row for (row,) in db.execute("select email from prospects order by row_number")]
        quarantined = db.execute("select row_number, reason, raw_text, detail from quarantine").fetchall()
    assert stored == [f"ann{i}@acme.io" for i in range(8) if i != 2]  # every other line is its own row
    assert quarantined == [(3, "invalid_value", lines[2], "line 4: a quote opens a cell and is never closed")]
    listed = run(["quarantine", "list", "--reason", "invalid_value"], tmp_path)
    assert "never closed" in listed.stdout
