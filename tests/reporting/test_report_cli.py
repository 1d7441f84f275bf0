"""``leadflow report ...`` through the real app (typer's runner): every format, files, and the error paths."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadflow.cli.app import app
from leadflow.errors import LeadflowError
from leadflow.reporting import REPORTS
from leadflow.store import open_store
from tests.reporting import known_store


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'leadflow.db'}"
    engine = open_store(url)
    with engine.begin() as connection:
        known_store.build(connection)
    engine.dispose()
    (tmp_path / "leadflow.toml").write_text("", encoding="utf-8")
    return {"LEADFLOW_DATABASE_URL": url, "COLUMNS": "220", "LEADFLOW_CONFIG": str(tmp_path / "leadflow.toml")}


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    exception = result.exception
    if isinstance(exception, LeadflowError):
        return exception.exit_code, str(exception)
    if exception is not None and not isinstance(exception, SystemExit):
        raise exception
    return result.exit_code, result.output


def test_funnel_as_a_table_for_people(env: dict[str, str]) -> None:
    code, output = run(env, "report", "funnel")
    assert code == 0, output
    assert "Outreach funnel" in output
    assert "Rows ingested" in output
    assert "Deal won" in output
    assert "75.0%" in output  # 3 of 4 people in Zoho
    assert "Duplicates avoided" in output


def test_pipeline_table_shows_money_with_the_configured_currency(env: dict[str, str], tmp_path: Path) -> None:
    code, output = run(env, "report", "pipeline")
    assert code == 0, output
    assert "€10,000" in output
    assert "€5,000" in output
    config = tmp_path / "usd.toml"
    config.write_text('[report]\ncurrency = "USD"\n')
    code, output = run({**env, "LEADFLOW_CONFIG": str(config)}, "report", "pipeline")
    assert code == 0, output
    assert "$10,000" in output


def test_json_has_raw_numbers_and_the_filters(env: dict[str, str]) -> None:
    code, output = run(env, "report", "funnel", "--format", "json", "--since", "2026-11-01", "--until", "2026-11-30")
    assert code == 0, output
    document = json.loads(output)
    assert document["filters"] == {"since": "2026-11-01", "until": "2026-11-30"}
    funnel_rows = {row["step"]: row for row in document["tables"][0]["rows"]}
    assert funnel_rows["ingested"]["count"] == 4
    assert funnel_rows["in_zoho"]["overall_rate"] == 1.0


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_every_report_in_every_format(env: dict[str, str], name: str, tmp_path: Path) -> None:
    for output_format in ("table", "csv", "json"):
        code, output = run(env, "report", name, "--format", output_format)
        assert code == 0, f"{name} {output_format}: {output}"
        assert output.strip()
    out = tmp_path / f"{name}.json"
    code, output = run(env, "report", name, "--format", "json", "--out", str(out))
    assert code == 0, output
    assert json.loads(out.read_text(encoding="utf-8"))["report"] == name


def test_csv_one_file_per_table(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "funnel.csv"
    code, output = run(env, "report", "funnel", "--format", "csv", "--out", str(out), "--segment", "dach")
    assert code == 0, output
    assert not out.exists()
    steps = list(csv.DictReader((tmp_path / "funnel-funnel.csv").open(encoding="utf-8")))
    assert {row["step"]: int(row["count"]) for row in steps}["people"] == 2
    quality = list(csv.DictReader((tmp_path / "funnel-quality.csv").open(encoding="utf-8")))
    assert [row["measure"] for row in quality] == ["rows_ingested", "duplicates_avoided", "quarantined"]
    single = tmp_path / "segments.csv"
    code, output = run(env, "report", "segments", "--format", "csv", "--out", str(single))
    assert code == 0, output
    assert [row["segment"] for row in csv.DictReader(single.open(encoding="utf-8"))] == ["dach", "nurture"]


def test_csv_on_the_terminal_has_a_section_per_table(env: dict[str, str]) -> None:
    code, output = run(env, "report", "pipeline", "--format", "csv", "--owner", "Bob Owner")
    assert code == 0, output
    stages, closed = output.split("\n\n")
    assert stages.startswith("# stages\n")
    rows = list(csv.DictReader(io.StringIO(stages.split("\n", 1)[1])))
    assert [(row["stage"], row["deals"], row["amount"]) for row in rows] == [("Qualification", "1", "5000.0")]
    assert closed.strip() == "# closed\nmonth,won,lost,won_amount,lost_amount,win_rate"


def test_table_into_a_file(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "sync.txt"
    code, output = run(env, "report", "sync", "--out", str(out))
    assert code == 0, output
    text = out.read_text(encoding="utf-8")
    assert "Failures by reason" in text
    assert "INVALID_DATA" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "--since must be a date as YYYY-MM-DD, not 'yesterday'"),
        (["--until", "2026-13-01"], "--until must be a date"),
        (["--since", "2026-12-01", "--until", "2026-11-01"], "is after --until"),
        (["--source", "carrier pigeon"], "--source must be one of"),
        (["--segment", ""], "--segment must not be empty"),
        (["--format", "xml"], "--format must be one of table, csv, json"),
    ],
)
def test_bad_options_one_line_exit_2(env: dict[str, str], args: list[str], message: str) -> None:
    code, output = run(env, "report", "funnel", *args)
    assert code == 2
    assert message in output
    assert "\n" not in output.strip()


def test_unwritable_out_one_line_exit_2(env: dict[str, str], tmp_path: Path) -> None:
    for out in (tmp_path / "no" / "such" / "f.csv", tmp_path, Path("/proc/version") if os.geteuid() == 0 else None):
        if out is None:
            continue
        code, output = run(env, "report", "funnel", "--format", "csv", "--out", str(out))
        assert code == 2, output
        assert str(out) in output
        assert "\n" not in output.strip()
    assert not (tmp_path / "no").exists()
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        try:
            code, output = run(env, "report", "funnel", "--out", str(locked / "f.txt"))
            assert code == 2
            assert "permission denied" in output
        finally:
            locked.chmod(0o755)
