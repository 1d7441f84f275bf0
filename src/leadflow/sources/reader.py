"""Read a source file in chunks: each chunk's rows as canonical raw fields (pyarrow arrays) plus provenance."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from leadflow.errors import InputError
from leadflow.normalize.vector import json_objects
from leadflow.sources.csvfile import BadRow, CsvFile, printable
from leadflow.sources.formats import FormatSpec, detect_format, header_key
from leadflow.sources.mapping import load_mapping

DEFAULT_CHUNK_ROWS = 20_000


@dataclass
class SourceChunk:
    """Rows of one chunk: raw fields by canonical name, each row's raw JSON and extras JSON, and bad rows."""

    row_numbers: list[int]
    rows: list[list[str]]
    fields: dict[str, pa.Array]
    raw_json: list[str]
    extras_json: list[str]
    bad: list[BadRow]

    @property
    def first_row(self) -> int:
        numbers = self.row_numbers + [b.row_number for b in self.bad]
        return min(numbers) if numbers else 0

    @property
    def last_row(self) -> int:
        numbers = self.row_numbers + [b.row_number for b in self.bad]
        return max(numbers) if numbers else 0


class SourceFile:
    """A source file opened with its format detected (or forced) and its columns mapped.

    Example:
        >>> # with SourceFile.open(Path("apollo.csv")) as source:
        >>> #     for chunk in source.chunks(): ...
    """

    def __init__(self, csv_file: CsvFile, spec: FormatSpec) -> None:
        self.csv = csv_file
        self.spec = spec
        header = csv_file.header
        index: dict[str, int] = {}
        for position, name in enumerate(header):
            index.setdefault(header_key(name), position)
        self._field_columns: dict[str, list[int]] = {}
        for field_name, candidates in spec.mapping.items():
            positions = [index[header_key(c)] for c in candidates if header_key(c) in index]
            if positions:
                self._field_columns[field_name] = positions
        known = spec.known_keys
        self._extra_columns = [i for i, name in enumerate(header) if header_key(name) not in known]

    @classmethod
    def open(cls, path: Path, *, format_name: str | None = None, mapping: Path | None = None) -> SourceFile:
        """Open ``path``; ``format_name``: ``apollo``, ``salesnav``, ``linkedin`` or ``mapped`` (with ``mapping``)."""
        csv_file = CsvFile.open(path)
        try:
            if format_name == "mapped" or (format_name is None and mapping is not None):
                if mapping is None:
                    raise InputError("--format mapped needs --mapping FILE.toml")
                spec = load_mapping(mapping, csv_file.header)
            else:
                spec = detect_format(csv_file.header, file_name=printable(path.name), forced=format_name)
                missing = spec.missing(csv_file.header)
                if missing:
                    raise InputError(
                        f"{printable(path.name)}: not a {format_name} export, missing {', '.join(missing)}"
                    )
        except Exception:
            csv_file.close()
            raise
        return cls(csv_file, spec)

    def __enter__(self) -> SourceFile:
        return self

    def __exit__(self, *_: object) -> None:
        self.csv.close()

    @property
    def header(self) -> list[str]:
        return self.csv.header

    @property
    def extra_columns(self) -> list[str]:
        """Columns this format does not know (user-added ones such as ``AI custom field 4893``): kept as extras."""
        return [self.header[i] for i in self._extra_columns]

    def chunks(self, size: int = DEFAULT_CHUNK_ROWS) -> Iterator[SourceChunk]:
        header = self.header
        for records in self.csv.chunks(size):
            rows = records.rows
            columns = list(zip(*rows, strict=True)) if rows else [() for _ in header]
            arrays_by_position = [pa.array(column, type=pa.string()) for column in columns]
            fields: dict[str, pa.Array] = {}
            for field_name, positions in self._field_columns.items():
                arrays = [arrays_by_position[p] for p in positions]
                if len(arrays) == 1:
                    fields[field_name] = arrays[0]
                else:
                    blanks = [pc.if_else(pc.equal(pc.utf8_trim_whitespace(a), ""), None, a) for a in arrays]
                    fields[field_name] = pc.coalesce(*blanks)
            raw_json = json_objects(header, arrays_by_position)
            if self._extra_columns:
                extras_json = json_objects(
                    [header[i] for i in self._extra_columns],
                    [pc.utf8_trim_whitespace(arrays_by_position[i]) for i in self._extra_columns],
                )
            else:
                extras_json = ["{}"] * len(rows)
            yield SourceChunk(records.row_numbers, rows, fields, raw_json, extras_json, records.bad)
