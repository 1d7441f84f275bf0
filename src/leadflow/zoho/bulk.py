"""Bulk write (zipped CSV uploads, one job per 25,000 rows) and bulk read (200,000 records per page).

Rows stream through: they are written into a compressed CSV as they come, each full file is uploaded and its
job created before the next file is built, then every job is awaited and its result file mapped back to the
input rows.
"""

from __future__ import annotations

import csv
import io
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from leadflow.errors import ApiError, InputError, TransientError
from leadflow.http.paging import Page, paginate
from leadflow.zoho.api import ZohoApi
from leadflow.zoho.credits import BULK_READ_COST, BULK_WRITE_COST
from leadflow.zoho.metadata import OrgApi
from leadflow.zoho.paging import MORE_RECORDS
from leadflow.zoho.results import RecordResult

WRITE_FILE_ROWS = 25_000
READ_PAGE_RECORDS = 200_000
OPERATIONS = ("insert", "update", "upsert")
_DONE = frozenset({"COMPLETED", "FAILED", "FAILURE"})
_STATUS_ACTION = {"ADDED": "insert", "CREATED": "insert", "UPDATED": "update"}


class CallbackWaiter:
    """Wakes bulk waits when Zoho's job callback arrives: the web route calls :meth:`notify` with the job id.

    Example:
        >>> waiter = CallbackWaiter()
        >>> waiter.notify("5725767000000567001")
        >>> waiter.wait("5725767000000567001", timeout=0.01)
        True
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._done: set[str] = set()

    def notify(self, job_id: str) -> None:
        with self._cond:
            self._done.add(str(job_id))
            self._cond.notify_all()

    def wait(self, job_id: str, timeout: float) -> bool:
        """True when the callback for ``job_id`` came (now or earlier), False after ``timeout`` seconds."""
        with self._cond:
            return self._cond.wait_for(lambda: str(job_id) in self._done, timeout=timeout)


@dataclass(frozen=True)
class BulkJobSummary:
    """One bulk write job: its id, the input rows it covered and Zoho's counts.

    Example:
        >>> BulkJobSummary(id="572", first_index=25_000, rows=25_000, state="COMPLETED", added=24_990).skipped
        0
    """

    id: str
    first_index: int
    rows: int
    state: str
    added: int = 0
    updated: int = 0
    skipped: int = 0


@dataclass
class BulkWriteResult:
    """Every input row's outcome (``results[i]`` is row ``i``) and the jobs that carried them.

    Example:
        >>> result = zoho.bulk.write("Leads", rows, operation="upsert", find_by="Email")  # doctest: +SKIP
        >>> sum(r.ok for r in result.results)  # doctest: +SKIP
        10000
    """

    jobs: list[BulkJobSummary] = field(default_factory=list)
    results: list[RecordResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {"insert": 0, "update": 0, "error": 0}
        for result in self.results:
            out[result.action if result.ok and result.action in out else "error"] += 1
        return out


def csv_value(value: Any) -> str:
    """A record value as bulk write's CSV wants it.

    Example:
        >>> csv_value(True), csv_value(["A", "B"]), csv_value({"id": "57", "name": "x"}), csv_value(None)
        ('true', 'A;B', '57', '')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return str(value.get("id", ""))
    if isinstance(value, list | tuple):
        return ";".join(csv_value(v) for v in value)
    return str(value)


def parse_errors(text: str) -> list[dict[str, str]]:
    """Bulk write's ``ERRORS`` column (``CODE-column`` items joined by ``:``) as a list of dicts.

    Example:
        >>> parse_errors("MANDATORY_NOT_FOUND-Last_Name:INVALID_DATA-Email")
        [{'code': 'MANDATORY_NOT_FOUND', 'column': 'Last_Name'}, {'code': 'INVALID_DATA', 'column': 'Email'}]
    """
    out = []
    for part in (p for p in text.split(":") if p.strip()):
        code, _, column = part.strip().partition("-")
        out.append({"code": code, "column": column})
    return out


class BulkApi:
    """Zoho's bulk APIs; waits poll with backoff, or sleep until a callback when a URL and waiter are set.

    Example:
        >>> result = zoho.bulk.write("Leads", ({"Last_Name": n, "Email": f"{n}@x.io"} for n in names))
        ... # doctest: +SKIP
    """

    def __init__(
        self,
        api: ZohoApi,
        org: OrgApi,
        *,
        callback_url: str | None = None,
        waiter: CallbackWaiter | None = None,
        poll_initial: float = 1.0,
        poll_max: float = 30.0,
        timeout: float = 6 * 3600,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api = api
        self.org = org
        self.callback_url = callback_url
        self.waiter = waiter
        self.poll_initial = poll_initial
        self.poll_max = poll_max
        self.timeout = timeout
        self.sleep = sleep

    # -- write -----------------------------------------------------------------------------------------
    def write(
        self,
        module: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        operation: str = "upsert",
        find_by: str | None = "Email",
        fields: Sequence[str] | None = None,
        callback_url: str | None = None,
        file_rows: int = WRITE_FILE_ROWS,
    ) -> BulkWriteResult:
        """Write ``rows`` to ``module`` through bulk write jobs and return each row's outcome.

        ``fields`` fixes the CSV columns (default: the first row's keys); a row with a key outside them is
        not sent and gets an error result (``UNKNOWN_COLUMN``). ``find_by`` is ignored for ``insert``.
        """
        if operation not in OPERATIONS:
            raise InputError(f"bulk write operation must be one of {', '.join(OPERATIONS)}, not {operation!r}")
        if operation != "insert" and not find_by:
            raise InputError(f"bulk {operation} needs find_by (a unique field, or id for update)")
        if not 1 <= file_rows <= WRITE_FILE_ROWS:
            raise InputError(f"file_rows must be 1..{WRITE_FILE_ROWS}")
        result = BulkWriteResult()
        pending: list[tuple[str, int, list[int]]] = []  # job id, first index, input indexes sent
        columns: list[str] | None = list(fields) if fields else None
        iterator = iter(enumerate(rows))
        index_base = 0
        rejected: dict[int, RecordResult] = {}
        while True:
            buffer = io.BytesIO()
            sent: list[int] = []
            consumed = 0
            with (
                zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive,
                archive.open(f"{module}.csv", "w") as raw,
            ):
                text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                writer: Any = None
                for index, row in iterator:
                    consumed += 1
                    if columns is None:
                        columns = list(row.keys())
                    if writer is None:
                        writer = csv.writer(text)
                        writer.writerow(columns)
                    unknown = [key for key in row if key not in columns]
                    if unknown:
                        rejected[index] = RecordResult.failed(
                            index,
                            code="UNKNOWN_COLUMN",
                            message=f"row has keys outside the file's columns: {', '.join(unknown)}",
                            details={"columns": unknown},
                        )
                    else:
                        writer.writerow([csv_value(row.get(column)) for column in columns])
                        sent.append(index)
                    if len(sent) >= file_rows:
                        break
                text.flush()
                text.detach()
            if consumed == 0:
                break
            if sent:
                assert columns is not None
                file_id = self._upload(module, buffer.getvalue())
                job_id = self._create_write_job(module, operation, find_by, columns, file_id, callback_url)
                pending.append((job_id, index_base, sent))
            index_base += consumed
        by_index: dict[int, RecordResult] = dict(rejected)
        for job_id, first_index, sent in pending:
            status = self.wait_write(job_id, callback_url=callback_url)
            summary, outcomes = self._write_outcomes(job_id, first_index, sent, status)
            result.jobs.append(summary)
            by_index.update(outcomes)
        result.results = [by_index[i] for i in sorted(by_index)]
        return result

    def wait_write(self, job_id: str, *, callback_url: str | None = None) -> dict[str, Any]:
        """Wait until bulk write job ``job_id`` ends; its final status body."""
        return self._wait(job_id, partial(self._write_status, job_id), callback_url or self.callback_url)

    def _upload(self, module: str, data: bytes) -> str:
        headers = {"feature": "bulk-write", "X-CRM-ORG": str(self.org.get().get("zgid") or self.org.get().get("id"))}
        reply = self.api.call(
            "POST",
            self.api.upload_url(),
            headers=headers,
            files={"file": (f"{module}.zip", data, "application/zip")},
            idempotent=True,  # an orphan upload is harmless; no job refers to it
            label="bulk upload",
        )
        body = reply.body if isinstance(reply.body, dict) else {}
        details = body.get("details") or (body.get("data") or [{}])[0].get("details") or {}
        file_id = details.get("file_id") if isinstance(details, dict) else None
        if not file_id:
            raise ApiError(f"bulk upload answered without a file_id: {body}", status=reply.status)
        return str(file_id)

    def _create_write_job(
        self,
        module: str,
        operation: str,
        find_by: str | None,
        columns: Sequence[str],
        file_id: str,
        callback_url: str | None,
    ) -> str:
        resource: dict[str, Any] = {
            "type": "data",
            "module": {"api_name": module},
            "file_id": file_id,
            "field_mappings": [{"api_name": column, "index": i} for i, column in enumerate(columns)],
        }
        if operation != "insert" and find_by:
            resource["find_by"] = find_by
        body: dict[str, Any] = {"character_encoding": "UTF-8", "operation": operation, "resource": [resource]}
        url = callback_url or self.callback_url
        if url:
            body["callback"] = {"url": url, "method": "post"}
        reply = self.api.call(
            "POST",
            self.api.bulk_url("write"),
            json=body,
            cost=BULK_WRITE_COST,
            complex_call=True,
            idempotent=False,
            label="bulk write job",
        )
        payload = reply.body if isinstance(reply.body, dict) else {}
        details = payload.get("details") or (payload.get("data") or [{}])[0].get("details") or {}
        job_id = details.get("id") if isinstance(details, dict) else None
        if not job_id:
            raise ApiError(f"bulk write job answered without an id: {payload}", status=reply.status)
        return str(job_id)

    def _write_status(self, job_id: str) -> tuple[str, dict[str, Any]]:
        reply = self.api.call("GET", self.api.bulk_url(f"write/{job_id}"), complex_call=True, label="bulk write status")
        body = reply.body if isinstance(reply.body, dict) else {}
        if "status" not in body and reply.data():
            body = reply.data()[0]
        return str(body.get("status") or body.get("state") or ""), body

    def _write_outcomes(
        self, job_id: str, first_index: int, sent: list[int], status: dict[str, Any]
    ) -> tuple[BulkJobSummary, dict[int, RecordResult]]:
        state = str(status.get("status") or status.get("state"))
        resources = status.get("resource") or [{}]
        counts = resources[0].get("file", {}) if isinstance(resources[0], dict) else {}
        summary = BulkJobSummary(
            id=job_id,
            first_index=first_index,
            rows=len(sent),
            state=state,
            added=int(counts.get("added_count") or 0),
            updated=int(counts.get("updated_count") or 0),
            skipped=int(counts.get("skipped_count") or 0),
        )
        download = (status.get("result") or {}).get("download_url")
        outcomes: dict[int, RecordResult] = {}
        rows: list[dict[str, str]] = []
        if download:
            rows = list(_csv_rows(self.api.download(str(download), label="bulk write result")))
        elif state not in ("COMPLETED",):
            message = str(resources[0].get("message") or f"bulk write job {job_id} ended {state}")
            for index in sent:
                outcomes[index] = RecordResult.failed(
                    index, code="JOB_FAILED", message=message, details={"job": job_id}
                )
            return summary, outcomes
        for position, index in enumerate(sent):
            if position >= len(rows):
                outcomes[index] = RecordResult.failed(
                    index, code="NO_RESULT", message="the job's result file has no row for this record"
                )
                continue
            outcomes[index] = _outcome(index, rows[position], job_id)
        return summary, outcomes

    # -- read ------------------------------------------------------------------------------------------
    def read(
        self,
        module: str,
        fields: Sequence[str],
        *,
        criteria: Mapping[str, Any] | None = None,
        modified_since: datetime | None = None,
        callback_url: str | None = None,
    ) -> Iterator[dict[str, str]]:
        """Every record of ``module`` through bulk read jobs (50 credits each, 200,000 records per page).

        Values come back as CSV text. ``criteria`` is Zoho's JSON criteria; ``modified_since`` adds
        ``Modified_Time > value``.

        Example:
            >>> for row in zoho.bulk.read("Contacts", ["Email", "Last_Name", "Modified_Time"]):
            ...     print(row["Email"])  # doctest: +SKIP
        """
        query_criteria = dict(criteria) if criteria else None
        if modified_since is not None:
            since = {
                "field": {"api_name": "Modified_Time"},
                "comparator": "greater_than",
                "value": (modified_since if modified_since.tzinfo else modified_since.replace(tzinfo=UTC)).isoformat(
                    timespec="seconds"
                ),
            }
            query_criteria = {"group_operator": "and", "group": [query_criteria, since]} if query_criteria else since

        def run_job(page: int) -> Page[dict[str, Any]]:
            """One read job for ``page``, waited on; its result (download URL, ``more_records``) is the item."""
            job_id = self._create_read_job(module, fields, query_criteria, page, callback_url)
            status = self._wait(job_id, partial(self._read_status, job_id), callback_url or self.callback_url)
            state = str(status.get("state") or status.get("status"))
            if state != "COMPLETED":
                raise ApiError(f"bulk read job {job_id} ended {state}", vendor_code=state, details=status)
            result = dict(status.get("result") or {})
            if not result.get("download_url"):
                result["download_url"] = f"/crm/bulk/{self.api.version}/read/{job_id}/result"
            return Page([result], result)

        for result in paginate(run_job, MORE_RECORDS):
            yield from _csv_rows(self.api.download(str(result["download_url"]), label="bulk read result"))

    def _create_read_job(
        self,
        module: str,
        fields: Sequence[str],
        criteria: Mapping[str, Any] | None,
        page: int,
        callback_url: str | None,
    ) -> str:
        query: dict[str, Any] = {"module": {"api_name": module}, "page": page}
        if fields:
            query["fields"] = list(fields)
        if criteria:
            query["criteria"] = dict(criteria)
        body: dict[str, Any] = {"query": query, "file_type": "csv"}
        url = callback_url or self.callback_url
        if url:
            body["callback"] = {"url": url, "method": "post"}
        reply = self.api.call(
            "POST",
            self.api.bulk_url("read"),
            json=body,
            cost=BULK_READ_COST,
            complex_call=True,
            idempotent=True,
            label="bulk read job",
        )
        items = reply.data()
        details = items[0].get("details") if items else (reply.body or {}).get("details")
        job_id = details.get("id") if isinstance(details, dict) else None
        if not job_id:
            raise ApiError(f"bulk read job answered without an id: {reply.body}", status=reply.status)
        return str(job_id)

    def _read_status(self, job_id: str) -> tuple[str, dict[str, Any]]:
        reply = self.api.call("GET", self.api.bulk_url(f"read/{job_id}"), complex_call=True, label="bulk read status")
        items = reply.data()
        body = items[0] if items else (reply.body if isinstance(reply.body, dict) else {})
        return str(body.get("state") or body.get("status") or ""), body

    # -- waiting ---------------------------------------------------------------------------------------
    def _wait(
        self, job_id: str, status: Callable[[], tuple[str, dict[str, Any]]], callback_url: str | None
    ) -> dict[str, Any]:
        delay = self.poll_initial
        deadline = time.monotonic() + self.timeout
        use_callback = bool(callback_url and self.waiter)
        while True:
            state, body = status()
            if state.upper() in _DONE:
                return body
            if time.monotonic() >= deadline:
                raise TransientError(
                    f"bulk job {job_id} is still {state} after {self.timeout:.0f}s: wait for it again later"
                    " (zoho.bulk.wait_write) rather than submitting it a second time",
                    details={"job_id": job_id, "state": state},
                )
            if use_callback:
                assert self.waiter is not None
                # The callback wakes us early; the status check after the timeout covers a lost callback.
                self.waiter.wait(job_id, timeout=self.poll_max)
            else:
                self.sleep(delay)
            delay = min(delay * 1.5, self.poll_max)


def _outcome(index: int, row: Mapping[str, str], job_id: str) -> RecordResult:
    status = (row.get("STATUS") or "").strip().upper()
    record_id = (row.get("RECORD_ID") or "").strip() or None
    errors = parse_errors(row.get("ERRORS") or "")
    action = _STATUS_ACTION.get(status)
    if action and not errors:
        return RecordResult(
            index=index,
            id=record_id,
            action=action,
            status="success",
            code="SUCCESS",
            message=status.lower(),
            details={"job": job_id},
        )
    first = errors[0] if errors else {"code": status or "SKIPPED", "column": ""}
    return RecordResult(
        index=index,
        id=record_id,
        action=None,
        status="error",
        code=first["code"],
        message=f"{status.lower() or 'skipped'}: " + "; ".join(f"{e['code']} {e['column']}".strip() for e in errors),
        details={"errors": errors, "job": job_id, **({"api_name": first["column"]} if first["column"] else {})},
    )


def _csv_rows(data: bytes) -> Iterator[dict[str, str]]:
    """Rows of the CSV inside a result zip (or of a bare CSV), read lazily."""
    if data[:2] == b"PK":
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = [n for n in archive.namelist() if not n.endswith("/")]
        for name in names:
            with archive.open(name) as raw:
                yield from csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
        return
    yield from csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
