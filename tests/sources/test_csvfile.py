from __future__ import annotations

from pathlib import Path

import pytest

from leadflow.errors import InputError
from leadflow.model import QuarantineReason
from leadflow.sources.csvfile import CsvFile
from tests.sources.builders import apollo_2024, apollo_2025, csv_text, write_csv


def _read(path: Path, size: int = 1000) -> tuple[CsvFile, list[tuple[int, list[str]]], list[tuple[int, str]]]:
    good: list[tuple[int, list[str]]] = []
    bad: list[tuple[int, str]] = []
    with CsvFile.open(path) as handle:
        for chunk in handle.chunks(size):
            good.extend(zip(chunk.row_numbers, chunk.rows, strict=True))
            bad.extend((b.row_number, b.reason.value) for b in chunk.bad)
    return handle, good, bad


@pytest.mark.parametrize(
    ("encoding", "delimiter", "detected"),
    [
        ("utf-8", ",", "utf-8"),
        ("utf-8-sig", ",", "utf-8-sig"),
        ("utf-8", ";", "utf-8"),
        ("utf-8", "\t", "utf-8"),
        ("utf-16", "\t", "utf-16"),  # Excel "Unicode Text"
        ("utf-16-le", ",", "utf-16-le"),
        ("cp1252", ";", "cp1252"),  # Excel "CSV" on a European Windows
        ("cp1252", ",", "cp1252"),
    ],
)
def test_encodings_and_delimiters(tmp_path: Path, encoding: str, delimiter: str, detected: str) -> None:
    rows = apollo_2025()
    rows[1][0] = "Zoë"
    rows[2][3] = "Société Générale S.A."
    path = write_csv(tmp_path / "x.csv", rows, encoding=encoding, delimiter=delimiter)
    handle, good, bad = _read(path)
    assert handle.encoding == detected
    assert handle.delimiter == delimiter
    assert handle.header == rows[0]
    assert bad == []
    assert [n for n, _ in good] == [1, 2, 3]
    assert good[0][1][0] == "Zoë"
    assert good[1][1][3] == "Société Générale S.A."


def test_quoted_newlines_stay_in_their_cell(tmp_path: Path) -> None:
    rows = apollo_2024()
    rows[1][2] = "Head of Marketing\nAPAC, and more"
    path = write_csv(tmp_path / "x.csv", rows)
    _, good, bad = _read(path)
    assert bad == []
    assert good[0][1][2] == "Head of Marketing\nAPAC, and more"
    assert [n for n, _ in good] == [1, 2]


def test_bad_rows_are_numbered_and_set_aside(tmp_path: Path) -> None:
    header = ["First Name", "Last Name", "Email"]
    text = csv_text([header, ["Zoë", "Núñez", "zoe@x.io"], ["Bob", "Stone"], ["Cy", "Ng", "cy@x.io", "extra"]])
    text += "\r\n\r\n" + csv_text([["Di", "Ma", "di@x.io", "", ""]])  # blank lines, then trailing empty cells
    raw = text.encode("utf-8") + "Ed,Öz,".encode("latin-1") + b"ed@x.io\r\n"
    path = tmp_path / "x.csv"
    path.write_bytes(raw)
    handle, good, bad = _read(path, size=2)
    assert handle.encoding == "utf-8"
    assert [n for n, _ in good] == [1, 4]
    assert good[1][1] == ["Di", "Ma", "di@x.io"]
    assert bad == [
        (2, QuarantineReason.WRONG_COLUMN_COUNT.value),
        (3, QuarantineReason.WRONG_COLUMN_COUNT.value),
        (5, QuarantineReason.UNDECODABLE.value),
    ]


def test_undefined_cp1252_byte_is_undecodable(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("First Name,Email\r\nRenée,r@x.io\r\n".encode("cp1252") + b"Bad\x81,b@x.io\r\n")
    handle, good, bad = _read(path)
    assert handle.encoding == "cp1252"
    assert good == [(1, ["Renée", "r@x.io"])]
    assert bad == [(2, QuarantineReason.UNDECODABLE.value)]


def test_empty_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"\r\n\r\n")
    with pytest.raises(InputError, match="empty"):
        CsvFile.open(path)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        CsvFile.open(tmp_path / "nope.csv")


def test_duplicate_and_blank_header_names_stay_addressable(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", [["Email", "", "Email"], ["a@x.io", "1", "b@x.io"]])
    with CsvFile.open(path) as handle:
        assert handle.header == ["Email", "column 2", "Email (2)"]


def test_chunks_are_bounded(tmp_path: Path) -> None:
    rows = [["First Name", "Email"]] + [[f"N{i}", f"n{i}@x.io"] for i in range(25)]
    path = write_csv(tmp_path / "x.csv", rows)
    with CsvFile.open(path) as handle:
        sizes = [chunk.size for chunk in handle.chunks(10)]
    assert sizes == [10, 10, 5]


@pytest.mark.parametrize("broken", [0, 3, 7, 9])
@pytest.mark.parametrize("chunk_size", [2, 1000])
def test_an_unclosed_quote_is_quarantined_and_every_line_is_accounted_for(
    tmp_path: Path, broken: int, chunk_size: int
) -> None:
    lines = [f'Ann{i},Lee,"VP, Sales",Acme,ann{i}@acme.io,Verified' for i in range(10)]
    lines[5] = 'Bo,Ng,"Head of\nSales",Acme,bo@acme.io,Verified'  # a real multi-line cell stays one row
    lines[broken] = f'Cy,Oh,"CEO,Acme,cy{broken}@acme.io,Verified'  # the quote never closes
    path = tmp_path / "x.csv"
    path.write_text("First Name,Last Name,Title,Company Name,Email,Email Status\n" + "\n".join(lines) + "\n")
    with CsvFile.open(path) as handle:
        chunks = list(handle.chunks(chunk_size))
    good = {n: row for chunk in chunks for n, row in zip(chunk.row_numbers, chunk.rows, strict=True)}
    bad = {b.row_number: b for chunk in chunks for b in chunk.bad}
    assert sorted([*good, *bad]) == list(range(1, 11))  # one row per line, none swallowed
    assert list(bad) == [broken + 1]
    assert bad[broken + 1].reason is QuarantineReason.INVALID_VALUE
    assert bad[broken + 1].raw_text == lines[broken]
    assert "never closed" in bad[broken + 1].detail
    for number, row in good.items():
        assert row[4] == ("bo@acme.io" if number == 6 else f"ann{number - 1}@acme.io")
    assert good[6][2] == "Head of\nSales"


def test_a_binary_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)))
    with pytest.raises(InputError, match=r"export.csv: not a text file \(a zip archive or Excel workbook\)"):
        CsvFile.open(path)
