"""The ingest stage: source files -> normalized ``prospects`` + ``source_records``, or ``quarantine``.

Every data row of a file ends in exactly one place: a source record with its prospect, or a quarantine row
with its reason. Rows of a file already ingested (same bytes, same row number) are skipped, so re-running
is harmless. One transaction per chunk; a ``runs`` row records the counters.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, Engine, exists, select

from leadflow.log import get_logger
from leadflow.model import QuarantineReason, RunStatus
from leadflow.normalize.prospect import PROSPECT_FIELDS, normalize_batch
from leadflow.sources.csvfile import BadRow, file_sha256, printable
from leadflow.sources.reader import DEFAULT_CHUNK_ROWS, SourceChunk, SourceFile
from leadflow.store import ingest as repo
from leadflow.store import runs
from leadflow.store.schema import quarantine, source_records

ProgressCallback = Callable[[Path, int, int], None]
"""Called with (file, bytes read so far, file size) after each chunk."""

_HEAD = ("source_record_id", "run_id", "source_kind", "file_name", "row_number")
PROSPECT_INSERT_COLUMNS: tuple[str, ...] = (*_HEAD, *PROSPECT_FIELDS, "extras")


@dataclass
class FileReport:
    """What happened to one file."""

    path: Path
    format: str = ""
    source_kind: str = ""
    encoding: str = ""
    delimiter: str = ""
    sha256: str = ""
    extra_columns: list[str] = field(default_factory=list)
    read: int = 0
    stored: int = 0
    already_seen: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.path.name,
            "format": self.format,
            "source_kind": self.source_kind,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "sha256": self.sha256,
            "extra_columns": self.extra_columns,
            "read": self.read,
            "stored": self.stored,
            "already_seen": self.already_seen,
            "quarantined": dict(self.quarantined),
        }


@dataclass
class IngestReport:
    """What one ``ingest`` run did, per file and in total."""

    run_id: int
    files: list[FileReport]

    @property
    def read(self) -> int:
        return sum(f.read for f in self.files)

    @property
    def stored(self) -> int:
        return sum(f.stored for f in self.files)

    @property
    def already_seen(self) -> int:
        return sum(f.already_seen for f in self.files)

    @property
    def quarantined(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(f.quarantined)
        return total

    def counters(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "stored": self.stored,
            "already_seen": self.already_seen,
            "quarantined": dict(self.quarantined),
            "files": [f.as_dict() for f in self.files],
        }


def ingest_files(
    engine: Engine,
    paths: Sequence[Path],
    *,
    format_name: str | None = None,
    mapping: Path | None = None,
    default_country: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Ingest files into the store as one run. Raises :class:`InputError` for a file that cannot be read at all.

    Example:
        >>> # report = ingest_files(engine, [Path("apollo.csv")]); report.stored
    """
    with engine.begin() as connection:
        run_id = runs.start_run(connection, kind="ingest")
    report = IngestReport(run_id=run_id, files=[])
    try:
        for path in paths:
            file_report = FileReport(path=path)
            report.files.append(file_report)
            _ingest_file(engine, path, file_report, run_id, format_name, mapping, default_country, chunk_rows, progress)
            get_logger(__name__).info("ingest.file", **file_report.as_dict())
    except BaseException as exc:
        with engine.begin() as connection:
            runs.finish_run(
                connection, run_id=run_id, status=RunStatus.FAILED, counters=report.counters(), error=str(exc)[:2000]
            )
        raise
    with engine.begin() as connection:
        runs.finish_run(connection, run_id=run_id, status=RunStatus.SUCCEEDED, counters=report.counters())
    return report


def _ingest_file(
    engine: Engine,
    path: Path,
    report: FileReport,
    run_id: int,
    format_name: str | None,
    mapping: Path | None,
    default_country: str | None,
    chunk_rows: int,
    progress: ProgressCallback | None,
) -> None:
    report.sha256 = file_sha256(path)
    size = path.stat().st_size
    with SourceFile.open(path, format_name=format_name, mapping=mapping) as source:
        report.format = source.spec.name
        report.source_kind = source.spec.kind.value
        report.encoding = source.csv.encoding
        report.delimiter = source.csv.delimiter
        report.extra_columns = source.extra_columns
        country = (source.spec.default_country or default_country or "").upper() or None
        with engine.connect() as connection:
            known_file = _file_known(connection, report.sha256)
        for chunk in source.chunks(chunk_rows):
            with engine.begin() as connection:
                _write_chunk(connection, chunk, report, run_id, country, known_file)
            if progress is not None:
                progress(path, source.csv.bytes_read, size)


def _file_known(connection: Connection, sha256: str) -> bool:
    for table in (source_records, quarantine):
        if connection.execute(select(exists().where(table.c.file_sha256 == sha256))).scalar():
            return True
    return False


def _write_chunk(
    connection: Connection,
    chunk: SourceChunk,
    report: FileReport,
    run_id: int,
    default_country: str | None,
    known_file: bool,
) -> None:
    now = runs.utcnow()
    kind = report.source_kind
    file_name = report.path.name
    report.read += len(chunk.row_numbers) + len(chunk.bad)
    seen: set[int] = set()
    if known_file:
        seen = repo.seen_row_numbers(
            connection, file_sha256=report.sha256, first_row=chunk.first_row, last_row=chunk.last_row
        )
        report.already_seen += len(seen)

    bad = [b for b in chunk.bad if b.row_number not in seen]
    keep = [i for i, number in enumerate(chunk.row_numbers) if number not in seen]
    if len(keep) != len(chunk.row_numbers):
        chunk = _select(chunk, keep)

    stored_index: list[int] = []
    table: pa.Table | None = None
    if chunk.row_numbers:
        table, identity = normalize_batch(chunk.fields, length=len(chunk.row_numbers), default_country=default_country)
        flags = identity.to_pylist()
        for i, ok in enumerate(flags):
            if ok:
                stored_index.append(i)
            else:
                bad.append(
                    BadRow(
                        chunk.row_numbers[i],
                        printable(_render(chunk.rows[i], report.delimiter or ",")),
                        QuarantineReason.NO_IDENTITY,
                        "no valid e-mail, LinkedIn URL, Sales Navigator id, Apollo id, or name with company",
                    )
                )

    if bad:
        repo.insert_quarantine(
            connection,
            rows=[
                (run_id, kind, file_name, report.sha256, b.row_number, b.raw_text, b.reason.value, b.detail, now)
                for b in bad
            ],
        )
        report.quarantined.update(b.reason.value for b in bad)

    if table is None or not stored_index:
        return
    numbers = [chunk.row_numbers[i] for i in stored_index]
    repo.insert_source_records(
        connection,
        rows=[
            (run_id, kind, file_name, report.sha256, chunk.row_numbers[i], chunk.raw_json[i], now) for i in stored_index
        ],
    )
    ids = repo.source_record_ids(connection, file_sha256=report.sha256, first_row=min(numbers), last_row=max(numbers))
    if len(stored_index) != len(table):
        table = table.take(pa.array(stored_index, type=pa.int64()))
    columns = [table.column(name).to_pylist() for name in PROSPECT_FIELDS]
    extras = [chunk.extras_json[i] for i in stored_index]
    rows = [
        (ids[number], run_id, kind, file_name, number, *values, extra)
        for number, extra, *values in zip(numbers, extras, *columns, strict=True)
    ]
    repo.insert_prospects(connection, columns=PROSPECT_INSERT_COLUMNS, rows=rows)
    report.stored += len(rows)


def _select(chunk: SourceChunk, keep: list[int]) -> SourceChunk:
    indices = pa.array(keep, type=pa.int64())
    return SourceChunk(
        row_numbers=[chunk.row_numbers[i] for i in keep],
        rows=[chunk.rows[i] for i in keep],
        fields={name: array.take(indices) for name, array in chunk.fields.items()},
        raw_json=[chunk.raw_json[i] for i in keep],
        extras_json=[chunk.extras_json[i] for i in keep],
        bad=chunk.bad,
    )


def _render(row: list[str], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="").writerow(row)
    return out.getvalue()
