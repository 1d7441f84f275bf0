from __future__ import annotations

import json
from pathlib import Path

import pytest

from leadflow.errors import InputError
from leadflow.sources.formats import (
    APOLLO_2024_COLUMNS,
    APOLLO_2025_COLUMNS,
    LINKEDIN_COLUMNS,
    SALESNAV_COLUMNS,
    detect_format,
)
from leadflow.sources.mapping import load_mapping
from leadflow.sources.reader import SourceFile
from tests.sources.builders import apollo_2025, write_csv


def test_apollo_2024_header_has_52_columns() -> None:
    assert len(APOLLO_2024_COLUMNS) == 52
    assert "First Phone" in APOLLO_2024_COLUMNS
    assert "Company" in APOLLO_2024_COLUMNS


@pytest.mark.parametrize(
    ("header", "name"),
    [
        (list(APOLLO_2024_COLUMNS), "apollo-2024"),
        (list(APOLLO_2025_COLUMNS), "apollo-2025"),
        ([*APOLLO_2025_COLUMNS, "AI custom field 4893"], "apollo-2025"),
        ([c.upper() for c in APOLLO_2025_COLUMNS], "apollo-2025"),
        (["First Name", "Last Name", "Title", "Company", "Email", "Email Status"], "apollo-2024"),
        (["First Name", "Last Name", "Title", "Company Name", "Email", "Email Status", "Do Not Call"], "apollo-2025"),
        (list(SALESNAV_COLUMNS), "salesnav"),
        (["profileUrl", "fullName", "companyName", "title", "vmid"], "salesnav"),
        (list(LINKEDIN_COLUMNS), "linkedin"),
    ],
)
def test_detect_format(header: list[str], name: str) -> None:
    assert detect_format(header).name == name


def test_unknown_header_names_the_closest_format_and_its_missing_columns() -> None:
    with pytest.raises(InputError) as caught:
        detect_format(["First Name", "Last Name", "Company Name", "Email"], file_name="leads.csv")
    message = str(caught.value)
    assert "leads.csv" in message
    assert "Apollo contacts export" in message
    assert "Title" in message
    assert "Email Status" in message
    assert "--format mapped" in message


def test_forced_format_must_fit() -> None:
    with pytest.raises(InputError, match="Sales Navigator"):
        detect_format(list(APOLLO_2025_COLUMNS), forced="salesnav")


def test_user_added_columns_are_extras(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", apollo_2025(["AI custom field 4893", "Lead Source"]))
    with SourceFile.open(path) as source:
        assert source.extra_columns == ["AI custom field 4893", "Lead Source"]
        chunk = next(source.chunks())
    assert json.loads(chunk.extras_json[0]) == {
        "AI custom field 4893": "AI custom field 4893 value 1",
        "Lead Source": "Lead Source value 1",
    }
    assert chunk.fields["company_name"].to_pylist()[0] == "Gulf Capital"


def test_mapping_file(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'default_country = "de"\n[columns]\nfirst_name = "Vorname"\nlast_name = "Nachname"\n'
        'email = "E-Mail"\nphone_direct = ["Telefon", "Tel."]\n',
        encoding="utf-8",
    )
    spec = load_mapping(mapping, ["Vorname", "Nachname", "E-Mail", "Telefon", "Tel.", "Notiz"])
    assert spec.default_country == "DE"
    assert spec.mapping["phone_direct"] == ("Telefon", "Tel.")
    with pytest.raises(InputError, match="no column"):
        load_mapping(mapping, ["Vorname", "Nachname"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[columns]\nemial = 'x'\n", "unknown fields emial"),
        ("nothing = 1\n", r"\[columns\]"),
        ("[columns\n", "not a valid TOML"),
        ("source_kind = 'crm2'\n[columns]\nemail = 'x'\n", "source_kind"),
        ("[columns]\nemail = 3\n", "column name"),
    ],
)
def test_bad_mapping_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_mapping(path)
