"""Stream a delimited text file: encoding and delimiter detection, header, numbered records, bad rows.

Never reads the whole file into memory: records come out in chunks of a fixed number of rows.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import deque
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
BINARY_SAMPLE_BYTES = 64 * 1024
BINARY_MAGIC = (
    (b"PK\x03\x04", "a zip archive or Excel workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 workbook"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)


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


def binary_kind(sample: bytes, encoding: str) -> str | None:
    """What a file's first bytes are when they are not text (``None`` when they may be).

    Example:
        >>> binary_kind(b"PK\\x03\\x04...", "cp1252"), binary_kind(b"a,b\\n1,2\\n", "utf-8")
        ('a zip archive or Excel workbook', None)
    """
    for magic, kind in BINARY_MAGIC:
        if sample.startswith(magic):
            return kind
    if encoding.startswith("utf-16"):
        return None
    if sample.count(0) > max(1, len(sample) // 1000):  # random bytes hold one NUL in 256; text next to none
        return "binary data"
    return None


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
        kind = binary_kind(sample[:BINARY_SAMPLE_BYTES], self.encoding)
        if kind is not None:
            self._text.close()
            raise InputError(
                f"{printable(path.name)}: not a text file ({kind}): give a CSV export "
                "(Apollo, Sales Navigator, LinkedIn, or --format mapped); save a workbook as CSV first"
            )
        self.delimiter = delimiter or sniff_delimiter(head)
        self._feed = _LineFeed(self._lines())
        self._reader = csv.reader(self._feed, delimiter=self.delimiter)
        self.header = self._read_header()

    @classmethod
    def open(cls, path: Path, *, encoding: str | None = None, delimiter: str | None = None) -> CsvFile:
        if path.is_dir():
            raise InputError(f"{printable(str(path))}: is a directory, not a file")
        if not path.is_file():
            raise InputError(f"{printable(str(path))}: no such file")
        try:
            return cls(path, encoding=encoding, delimiter=delimiter)
        except (PermissionError, IsADirectoryError) as exc:
            raise InputError(
                f"{printable(str(path))}: cannot read: {(exc.strerror or type(exc).__name__).lower()}"
            ) from None

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
                raise InputError(f"{printable(self.path.name)}: the header row cannot be decoded as {self.encoding}")
            return _unique_names(cells)
        raise InputError(f"{printable(self.path.name)}: the file is empty (no header row)")

    def chunks(self, size: int) -> Iterator[RecordChunk]:
        """Data records in chunks of ``size`` rows (good and bad together), numbered from 1.

        A quote that opens a cell and never closes would make the parser read the following lines into that
        cell. When a record over several lines looks like that (:meth:`_runaway_quote`), its first line is
        quarantined (``invalid_value``) and reading resumes at the next line, so no line disappears into
        another row.
        """
        width = len(self.header)
        chunk = RecordChunk()
        number = 0
        iterator = iter(self._reader)
        feed = self._feed
        while True:
            feed.start_record()
            try:
                record = next(iterator)
            except StopIteration:
                break
            except csv.Error as exc:
                number += 1
                chunk.bad.append(self._broken_line(number, f"csv: {exc}"))
            else:
                if not record:
                    continue  # a blank line is not a row
                number += 1
                suspect = len(feed.taken) > 1 or self._wrong_width(record, width)
                if suspect and self._runaway_quote(record, width):
                    chunk.bad.append(self._broken_line(number, "a quote opens a cell and is never closed"))
                else:
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

    def _broken_line(self, number: int, why: str) -> BadRow:
        """The current record's first line as a bad row; its later lines are read again as rows of their own."""
        taken = self._feed.taken
        line_number, text = taken[0] if taken else (self._feed.lines_read, "")
        self._feed.push_back(taken[1:])
        detail = f"line {line_number:,}: {why}"
        return BadRow(number, printable(text.rstrip("\r\n")), QuarantineReason.INVALID_VALUE, detail)

    def _runaway_quote(self, record: list[str], width: int) -> bool:
        """Whether a record over several lines swallowed lines a never-closed quote should have left alone.

        A line wholly inside the quoted cell (between its first and last line, or up to the end of the file; it
        holds no quote) that is, alone, a record of the header's width is a row, not cell text. A record with
        the wrong number of columns is a runaway when its quote runs to the end of the file, or when any of its
        later lines is, alone, a record of the header's width (the quote that ended the cell opened that row's).
        """
        taken = self._feed.taken
        to_the_end = self._ends_inside_quote([line for _, line in taken])
        if self._wrong_width(record, width):
            return to_the_end or any(self._width_alone(line) == width for _, line in taken[1:])
        inside = taken[1:] if to_the_end else taken[1:-1]
        return any('"' not in line and self._width_alone(line) == width for _, line in inside)

    def _ends_inside_quote(self, lines: list[str]) -> bool:
        """Whether these lines end inside a quoted cell (only the end of the file stops a reader there)."""
        try:
            for _ in csv.reader(lines, delimiter=self.delimiter, strict=True):
                pass
        except csv.Error as exc:
            return "unexpected end of data" in str(exc)
        return False

    def _width_alone(self, line: str) -> int:
        try:
            return len(next(csv.reader([line], delimiter=self.delimiter), []))
        except csv.Error:
            return 0

    @staticmethod
    def _wrong_width(record: list[str], width: int) -> bool:
        """More or fewer cells than the header has (empty cells past its end do not count)."""
        return len(record) != width and not (len(record) > width and not any(c.strip() for c in record[width:]))

    def _check(self, number: int, record: list[str], width: int) -> BadRow | None:
        if self._wrong_width(record, width):
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


class _LineFeed:
    """The file's lines for :func:`csv.reader`, numbered (1 = the file's first line), remembering those of the
    record being read; lines pushed back are handed out again before any new one."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self._pending: deque[tuple[int, str]] = deque()
        self.lines_read = 0
        self.taken: list[tuple[int, str]] = []

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        if self._pending:
            item = self._pending.popleft()
        else:
            line = next(self._lines)
            self.lines_read += 1
            item = (self.lines_read, line)
        self.taken.append(item)
        return item[1]

    def start_record(self) -> None:
        self.taken = []

    def push_back(self, items: list[tuple[int, str]]) -> None:
        self._pending.extendleft(reversed(items))


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
