"""Stream a delimited text file: encoding and delimiter detection, header, numbered records, bad rows.

Never reads the whole file into memory: records come out in chunks of a fixed number of rows.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from leadflow.errors import InputError
from leadflow.model import QuarantineReason
from leadflow.sources.encoding import SAMPLE_BYTES, detect_encoding

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_SURROGATE = re.compile(r"[\ud800-\udfff]")
csv.field_size_limit(64 * 1024 * 1024)
# A text export has next to no control characters; random or compressed bytes decode to about one in eight.
BINARY_SAMPLE_CHARS = 64 * 1024
BINARY_CONTROL_SHARE = 0.02


@dataclass(frozen=True)
class BadRow:
    """A row that cannot become a source record, with why."""

    row_number: int
    raw_text: str
    reason: QuarantineReason
    detail: str


@dataclass
class RecordChunk:
    """Consecutive data rows: good ones as lists of cells, bad ones set aside, all numbered (1 = first data row)."""

    row_numbers: list[int] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.rows) + len(self.bad)

    @property
    def first_row(self) -> int:
        numbers = self.row_numbers + [b.row_number for b in self.bad]
        return min(numbers) if numbers else 0

    @property
    def last_row(self) -> int:
        numbers = self.row_numbers + [b.row_number for b in self.bad]
        return max(numbers) if numbers else 0


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most, most consistent columns.

    Example:
        >>> sniff_delimiter("a;b;c\\n1;2;3\\n")
        ';'
        >>> sniff_delimiter('"Company, Inc",b\\n"x",y\\n')
        ','
    """
    lines = text.splitlines()[:30]
    sample = "\n".join(lines)
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            records = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
        except csv.Error:
            continue
        records = [r for r in records if r]
        if not records:
            continue
        width = len(records[0])
        if width < 2:
            continue
        agreeing = sum(1 for r in records if len(r) == width)
        score = (agreeing, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def control_share(text: str) -> float:
    """Share of ``text`` that is control characters other than tab, line breaks and form feed (binary data).

    Example:
        >>> control_share("a,b\r\n1,2\n"), control_share("\x00\x01ab")
        (0.0, 0.5)
    """
    if not text:
        return 0.0
    controls = sum(1 for ch in text if (ch < " " and ch not in "\t\r\n\f") or "\x7f" <= ch < "\xa0")
    return controls / len(text)


def printable(text: str) -> str:
    """Text safe for any database column: undecodable bytes as ``\\xNN``, NUL removed."""
    text = text.replace("\x00", "")
    if _SURROGATE.search(text):
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


class CsvFile:
    """An open delimited file: its encoding, delimiter and header, and its records in chunks.

    Example:
        >>> # with CsvFile.open(Path("apollo.csv")) as f: header = f.header; chunks = f.chunks(20_000)
    """

    def __init__(self, path: Path, *, encoding: str | None = None, delimiter: str | None = None) -> None:
        self.path = path
        self._binary: IO[bytes] = path.open("rb")
        sample = self._binary.read(SAMPLE_BYTES)
        self._binary.seek(0)
        self.encoding = encoding or detect_encoding(sample)
        self._text = io.TextIOWrapper(self._binary, encoding=self.encoding, errors="surrogateescape", newline="")
        head = sample[: 256 * 1024].decode(self.encoding, errors="replace").lstrip("\ufeff")
        share = control_share(head[:BINARY_SAMPLE_CHARS])
        if share > BINARY_CONTROL_SHARE:
            self._text.close()
            raise InputError(
                f"{path.name}: not a text file ({share:.0%} of its first characters are control bytes): "
                "give a CSV export (Apollo, Sales Navigator, LinkedIn, or --format mapped)"
            )
        self.delimiter = delimiter or sniff_delimiter(head)
        self._reader = csv.reader(self._lines(), delimiter=self.delimiter)
        self.header = self._read_header()

    @classmethod
    def open(cls, path: Path, *, encoding: str | None = None, delimiter: str | None = None) -> CsvFile:
        if path.is_dir():
            raise InputError(f"{path}: is a directory, not a file")
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        try:
            return cls(path, encoding=encoding, delimiter=delimiter)
        except (PermissionError, IsADirectoryError) as exc:
            raise InputError(f"{path}: cannot read: {(exc.strerror or type(exc).__name__).lower()}") from None

    def __enter__(self) -> CsvFile:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._text.close()

    @property
    def bytes_read(self) -> int:
        """How far into the file reading has got (for progress bars)."""
        try:
            return self._binary.tell()
        except (ValueError, OSError):
            return 0

    def _lines(self) -> Iterator[str]:
        for line in self._text:
            yield line.replace("\x00", "") if "\x00" in line else line

    def _read_header(self) -> list[str]:
        for record in self._reader:
            cells = [c.strip().lstrip("\ufeff").strip() for c in record]
            if not any(cells):
                continue
            if any(_SURROGATE.search(c) for c in cells):
                raise InputError(f"{self.path.name}: the header row cannot be decoded as {self.encoding}")
            return _unique_names(cells)
        raise InputError(f"{self.path.name}: the file is empty (no header row)")

    def chunks(self, size: int) -> Iterator[RecordChunk]:
        """Data records in chunks of ``size`` rows (good and bad together), numbered from 1."""
        width = len(self.header)
        chunk = RecordChunk()
        number = 0
        iterator = iter(self._reader)
        while True:
            try:
                record = next(iterator)
            except StopIteration:
                break
            except csv.Error as exc:
                number += 1
                chunk.bad.append(
                    BadRow(number, f"line {self._reader.line_num}", QuarantineReason.INVALID_VALUE, f"csv: {exc}")
                )
                if chunk.size >= size:
                    yield chunk
                    chunk = RecordChunk()
                continue
            if not record:
                continue  # a blank line is not a row
            number += 1
            bad = self._check(number, record, width)
            if bad is not None:
                chunk.bad.append(bad)
            else:
                if len(record) > width:
                    record = record[:width]
                chunk.row_numbers.append(number)
                chunk.rows.append(record)
            if chunk.size >= size:
                yield chunk
                chunk = RecordChunk()
        if chunk.size:
            yield chunk

    def _check(self, number: int, record: list[str], width: int) -> BadRow | None:
        if len(record) != width and not (len(record) > width and not any(c.strip() for c in record[width:])):
            return BadRow(
                number,
                self.render(record),
                QuarantineReason.WRONG_COLUMN_COUNT,
                f"{len(record)} columns, the header has {width}",
            )
        joined = "".join(record)
        if joined.isascii() or not _SURROGATE.search(joined):
            return None
        for index, cell in enumerate(record):
            if _SURROGATE.search(cell):
                name = self.header[index] if index < width else f"column {index + 1}"
                return BadRow(
                    number,
                    self.render(record),
                    QuarantineReason.UNDECODABLE,
                    f"bytes in {name!r} are not valid {self.encoding}",
                )
        return None

    def render(self, record: list[str]) -> str:
        """A record as one line of this file's dialect, printable."""
        out = io.StringIO()
        csv.writer(out, delimiter=self.delimiter, lineterminator="").writerow(record)
        return printable(out.getvalue())


def _unique_names(cells: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for index, cell in enumerate(cells):
        name = cell or f"column {index + 1}"
        key = name.lower()
        if key in seen:
            seen[key] += 1
            name = f"{name} ({seen[key]})"
        else:
            seen[key] = 1
        names.append(name)
    return names
