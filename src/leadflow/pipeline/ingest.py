"""The ingest stage: source files -> normalized ``prospects`` + ``source_records``, or ``quarantine``.

Every data row of a file ends in exactly one place: a source record with its prospect, or a quarantine row
with its reason. Rows of a file already ingested (same bytes, same row number) are skipped, so re-running
is harmless. One transaction per chunk; a ``runs`` row records the counters.
"""

from __future__ import annotations

import csv
import io
import queue
import threading
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
from leadflow.store.db import store_errors
from leadflow.store.locks import store_lock
from leadflow.store.schema import quarantine, source_records

ProgressCallback = Callable[[Path, int, int], None]
"""Called with (file, bytes read so far, file size) after each chunk."""
RowsProgressCallback = Callable[[Path, int, int, int], None]
"""Called with (file, data rows read so far, bytes read so far, file size) after each chunk."""
_ChunkDone = Callable[["FileReport", int, int], None]

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

    @property
    def name(self) -> str:
        """The file's base name as stored and shown (bytes of a name that is not UTF-8 as ``\\xNN``)."""
        return printable(self.path.name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.name,
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
    rows_progress: RowsProgressCallback | None = None,
    on_wait: Callable[[], None] | None = None,
) -> IngestReport:
    """Ingest files into the store as one run. Raises :class:`InputError` for a file that cannot be read at all.

    Ingest runs on one store take turns (``on_wait`` is called when this one has to wait for another), so the
    same file ingested twice at once is stored once: the second run finds every row already seen.

    Example:
        >>> # report = ingest_files(engine, [Path("apollo.csv")]); report.stored
    """
    for path in paths:  # every file readable and of a known format before anything is written
        with SourceFile.open(path, format_name=format_name, mapping=mapping):
            pass

    def chunk_done(report: FileReport, position: int, size: int) -> None:
        if progress is not None:
            progress(report.path, position, size)
        if rows_progress is not None:
            rows_progress(report.path, report.read, position, size)

    with store_errors(engine, "ingest"), store_lock(engine, "ingest", on_wait=on_wait):
        return _ingest_run(engine, paths, format_name, mapping, default_country, chunk_rows, chunk_done)


def _ingest_run(
    engine: Engine,
    paths: Sequence[Path],
    format_name: str | None,
    mapping: Path | None,
    default_country: str | None,
    chunk_rows: int,
    progress: _ChunkDone,
) -> IngestReport:
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
    progress: _ChunkDone,
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
        if known_file or _in_memory(engine):
            # Some rows may already be stored (or the database lives in this thread's connection only):
            # check, normalize and write each chunk in one transaction.
            for chunk in source.chunks(chunk_rows):
                with engine.begin() as connection:
                    prepared = _prepare_chunk(connection if known_file else None, chunk, report, country)
                    _store_chunk(connection, prepared, report, run_id)
                progress(report, source.csv.bytes_read, size)
            return
        # A new file: a writer thread stores chunk n while this thread reads and normalizes chunk n+1
        # (the database driver releases the GIL while it writes).
        writer = _ChunkWriter(engine, report, run_id)
        try:
            for chunk in source.chunks(chunk_rows):
                writer.put(_prepare_chunk(None, chunk, report, country))
                progress(report, source.csv.bytes_read, size)
        finally:
            writer.close()


def _in_memory(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")


@dataclass
class _PreparedChunk:
    chunk: SourceChunk
    bad: list[BadRow]
    table: pa.Table | None
    stored_index: list[int]


class _ChunkWriter:
    """Stores prepared chunks on a thread of its own, one transaction each; re-raises its first error."""

    def __init__(self, engine: Engine, report: FileReport, run_id: int) -> None:
        self._engine = engine
        self._report = report
        self._run_id = run_id
        self._queue: queue.Queue[_PreparedChunk | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="ingest-writer", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is not None:
                continue  # drain after a failure; the reader sees the error on its next put
            try:
                with self._engine.begin() as connection:
                    _store_chunk(connection, item, self._report, self._run_id)
            except BaseException as exc:  # handed to the reading thread
                self._error = exc

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def put(self, item: _PreparedChunk) -> None:
        self._raise()
        self._queue.put(item)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._raise()


def _file_known(connection: Connection, sha256: str) -> bool:
    for table in (source_records, quarantine):
        if connection.execute(select(exists().where(table.c.file_sha256 == sha256))).scalar():
            return True
    return False


def _prepare_chunk(
    connection: Connection | None,
    chunk: SourceChunk,
    report: FileReport,
    default_country: str | None,
) -> _PreparedChunk:
    """Drop rows already stored (when ``connection`` is given), normalize the rest, set aside rows with no identity."""
    report.read += len(chunk.row_numbers) + len(chunk.bad)
    seen: set[int] = set()
    if connection is not None:
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
        for i, ok in enumerate(identity.to_pylist()):
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
    report.quarantined.update(b.reason.value for b in bad)
    return _PreparedChunk(chunk, bad, table, stored_index)


def _store_chunk(connection: Connection, prepared: _PreparedChunk, report: FileReport, run_id: int) -> None:
    """Write a prepared chunk: quarantine rows, source records, then prospects keyed by the new record ids."""
    now = runs.utcnow()
    kind = report.source_kind
    file_name = report.name
    chunk, bad, table, stored_index = prepared.chunk, prepared.bad, prepared.table, prepared.stored_index
    if bad:
        repo.insert_quarantine(
            connection,
            rows=[
                (run_id, kind, file_name, report.sha256, b.row_number, b.raw_text, b.reason.value, b.detail, now)
                for b in bad
            ],
        )
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
