"""Bulk write and read without HTTP: upload parsing, request validation, jobs over the real backend."""

from __future__ import annotations

import csv
import io
import threading
import time
import zipfile
from typing import Any

import pytest

from leadflow_emulators.common.jobs import JobRunner
from leadflow_emulators.zoho import bulk, bulk_read
from leadflow_emulators.zoho.bulk import (
    BulkError,
    Upload,
    WriteJob,
    make_zip,
    parse_write_request,
    read_upload,
    run_write_job,
)
from leadflow_emulators.zoho.bulk_read import ReadJob, parse_read_request, run_read_job
from leadflow_emulators.zoho.bulk_source import BackendSource
from leadflow_emulators.zoho.models.backend import ZohoBackend

NOW = "2026-11-26T10:00:00+00:00"
ADMIN = {"id": "5725767000000411001", "name": "Leadflow Admin"}


@pytest.fixture
def source() -> BackendSource:
    return BackendSource(ZohoBackend(seed=7))


def upload(rows: list[list[Any]], name: str = "leads.csv") -> Upload:
    return read_upload(make_zip(name, rows), file_id="111", created_time=NOW)


def unzip_csv(data: bytes) -> list[list[str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (name,) = archive.namelist()
        return list(csv.reader(io.StringIO(archive.read(name).decode("utf-8"))))


def write_spec(source: BackendSource, body: dict[str, Any], up: Upload) -> bulk.WriteSpec:
    return parse_write_request(
        body,
        fields=source.fields,
        module_id=source.module_id,
        uploads={up.file_id: up},
        mandatory=source.mandatory,
    )


def resource(module: str = "Leads", **extra: Any) -> dict[str, Any]:
    return {"type": "data", "module": {"api_name": module}, "file_id": "111", **extra}


def run_write(source: BackendSource, body: dict[str, Any], up: Upload) -> WriteJob:
    job = WriteJob("9000", write_spec(source, body, up), NOW, ADMIN)
    run_write_job(job, writer=source.write, fields=source.fields, lookup_index=source.index)
    return job


# ---- uploads ------------------------------------------------------------------------------------------------


def test_upload_reads_header_and_rows_with_bom_and_quotes() -> None:
    data = make_zip("x.csv", [])  # replaced below by a hand-written CSV with a BOM
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("dir/people.csv", '\ufeffLast_Name,Company\n"Ng, Jr.",Acme\n\n')
    data = buffer.getvalue()
    parsed = read_upload(data, file_id="5", created_time=NOW)
    assert (parsed.csv_name, parsed.header, parsed.rows) == (
        "people.csv",
        ["Last_Name", "Company"],
        [["Ng, Jr.", "Acme"]],
    )


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"Last_Name\nNg\n", "INVALID_FILE_FORMAT"),
        (b"x" * (bulk.MAX_FILE_BYTES + 1), "FILE_TOO_LARGE"),
    ],
)
def test_upload_rejects_non_zip_and_oversize(data: bytes, code: str) -> None:
    with pytest.raises(BulkError) as caught:
        read_upload(data, file_id="1", created_time=NOW)
    assert caught.value.code == code


def test_upload_rejects_two_files_or_no_csv() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.csv", "Last_Name\nA\n")
        archive.writestr("b.csv", "Last_Name\nB\n")
    with pytest.raises(BulkError) as caught:
        read_upload(buffer.getvalue(), file_id="1", created_time=NOW)
    assert caught.value.code == "FILE_NOT_SUPPORTED"
    with pytest.raises(BulkError) as caught:
        read_upload(make_zip("a.txt", [["x"]]), file_id="1", created_time=NOW)
    assert caught.value.code == "FILE_NOT_SUPPORTED"


def test_upload_allows_25000_rows_and_no_more() -> None:
    rows: list[list[Any]] = [["Last_Name"], *([f"n{i}"] for i in range(bulk.MAX_ROWS))]
    assert len(upload(rows).rows) == bulk.MAX_ROWS
    with pytest.raises(BulkError) as caught:
        upload([*rows, ["one too many"]])
    assert (caught.value.code, caught.value.details["limit"]) == ("LIMIT_EXCEEDED", 25_000)


# ---- bulk write request validation --------------------------------------------------------------------------

LEADS = [["Last_Name", "Email", "Company"], ["Ng", "ng@acme.io", "Acme"]]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "INVALID_DATA"),
        ({"resource": [resource()]}, "MANDATORY_NOT_FOUND"),
        ({"operation": "merge", "resource": [resource()]}, "INVALID_DATA"),
        ({"operation": "insert"}, "MANDATORY_NOT_FOUND"),
        ({"operation": "insert", "resource": [resource("Nopes")]}, "MODULE_NOT_AVAILABLE"),
        ({"operation": "insert", "resource": [{**resource(), "file_id": "222"}]}, "INVALID_FILE_ID"),
        (
            {"operation": "insert", "resource": [resource(field_mappings=[{"api_name": "Last_Nam", "index": 0}])]},
            "INVALID_FIELD",
        ),
        (
            {"operation": "insert", "resource": [resource(field_mappings=[{"api_name": "Last_Name", "index": 7}])]},
            "COLUMN_INDEX_NOT_FOUND",
        ),
        (
            {"operation": "insert", "resource": [resource(field_mappings=[{"api_name": "Last_Name"}])]},
            "MISSING_REQUIRED_KEY",
        ),
        (
            {"operation": "insert", "resource": [resource(field_mappings=[{"api_name": "Email", "index": 1}])]},
            "MANDATORY_FIELDS_NOT_MAPPED",
        ),
        ({"operation": "upsert", "resource": [resource()]}, "MANDATORY_NOT_FOUND"),
        ({"operation": "update", "resource": [resource(find_by="Phone")]}, "INVALID_DATA"),
        (
            {"operation": "insert", "callback": {"url": "http://x/cb", "method": "get"}, "resource": [resource()]},
            "INVALID_CALLBACK_METHOD",
        ),
    ],
)
def test_write_request_errors(source: BackendSource, body: dict[str, Any], code: str) -> None:
    with pytest.raises(BulkError) as caught:
        write_spec(source, body, upload(LEADS))
    assert caught.value.code == code
    assert caught.value.body()["status"] == "error"


def test_write_request_without_mappings_maps_the_header(source: BackendSource) -> None:
    spec = write_spec(source, {"operation": "insert", "resource": [resource()]}, upload(LEADS))
    assert [(m.api_name, m.index) for m in spec.mappings] == [("Last_Name", 0), ("Email", 1), ("Company", 2)]
    assert spec.module_id == source.module_id("Leads")


# ---- bulk write jobs over the backend ------------------------------------------------------------------------


def test_insert_job_counts_and_result_csv(source: BackendSource) -> None:
    rows = [
        ["Last_Name", "Email", "No_of_Employees"],
        ["Ng", "ng@acme.io", "12"],
        ["", "nobody@acme.io", "3"],
        ["Li", "not-an-email", "many"],
        ["Ho", "", ""],
    ]
    job = run_write(source, {"operation": "insert", "resource": [resource()]}, upload(rows))
    assert (job.added, job.updated, job.skipped) == (2, 0, 2)
    result = unzip_csv(job.result_zip or b"")
    assert result[0] == ["Last_Name", "Email", "No_of_Employees", "RECORD_ID", "STATUS", "ERRORS"]
    assert [r[4] for r in result[1:]] == ["ADDED", "SKIPPED", "SKIPPED", "ADDED"]
    assert result[2][5] == "MANDATORY_NOT_FOUND-Last_Name"
    assert result[3][5].startswith("INVALID_DATA-")
    stored = source.backend.get_stored("Leads", result[1][3])
    assert stored is not None
    assert (stored["Last_Name"], stored["Email"], stored["No_of_Employees"]) == ("Ng", "ng@acme.io", 12)
    assert "Email" not in (source.backend.get_stored("Leads", result[4][3]) or {"Email": 1})


def test_upsert_job_updates_by_find_by_and_inserts_the_rest(source: BackendSource) -> None:
    (existing,) = source.backend.insert("Leads", [{"Last_Name": "Old", "Email": "ng@acme.io"}])
    body = {"operation": "upsert", "resource": [resource(find_by="Email")]}
    job = run_write(source, body, upload([["Last_Name", "Email"], ["New", "NG@acme.io"], ["Fresh", "f@x.io"]]))
    assert (job.added, job.updated, job.skipped) == (1, 1, 0)
    result = unzip_csv(job.result_zip or b"")
    assert result[1][2:4] == [existing.id, "UPDATED"]
    assert source.backend.get_stored("Leads", existing.id or "")["Last_Name"] == "New"  # type: ignore[index]
    assert len(list(source.records("Leads"))) == 2


def test_update_job_by_id_and_by_a_field(source: BackendSource) -> None:
    a, b = source.backend.insert(
        "Leads", [{"Last_Name": "A", "Email": "a@x.io"}, {"Last_Name": "B", "Email": "b@x.io"}]
    )
    by_id = run_write(
        source,
        {"operation": "update", "resource": [resource(find_by="id")]},
        upload([["id", "Company"], [a.id, "Acme"], ["5725767999999999999", "Ghost"]]),
    )
    assert (by_id.updated, by_id.skipped) == (1, 1)
    assert unzip_csv(by_id.result_zip or b"")[2][4] == "INVALID_DATA-id"
    by_email = run_write(
        source,
        {"operation": "update", "resource": [resource(find_by="Email")]},
        upload([["Email", "Company"], ["B@x.io", "Beta"], ["c@x.io", "Gamma"]]),
    )
    assert (by_email.updated, by_email.skipped) == (1, 1)
    assert source.backend.get_stored("Leads", b.id or "")["Company"] == "Beta"  # type: ignore[index]


def test_lookup_mapping_with_find_by(source: BackendSource) -> None:
    (acme,) = source.backend.insert("Accounts", [{"Account_Name": "Acme"}])
    body = {
        "operation": "insert",
        "resource": [
            resource(
                "Contacts",
                field_mappings=[
                    {"api_name": "Last_Name", "index": 0},
                    {"api_name": "Account_Name", "index": 1, "find_by": "Account_Name"},
                    {"api_name": "Lead_Source", "default_value": {"value": "Apollo"}},
                ],
            )
        ],
    }
    job = run_write(source, body, upload([["Last_Name", "Company"], ["Ada", "acme"], ["Bo", "Unknown Inc"]]))
    assert (job.added, job.skipped) == (1, 1)
    result = unzip_csv(job.result_zip or b"")
    contact = source.backend.get_stored("Contacts", result[1][2]) or {}
    assert contact["Account_Name"] == {"id": acme.id}
    assert contact["Lead_Source"] == "Apollo"
    assert result[2][4] == "INVALID_DATA-Company"  # errors name the upload's column header


def test_owner_by_email_and_several_errors_in_one_cell(source: BackendSource) -> None:
    body = {
        "operation": "insert",
        "resource": [
            resource(
                "Contacts",
                field_mappings=[
                    {"api_name": "Last_Name", "index": 0},
                    {"api_name": "Account_Name", "index": 1, "find_by": "Account_Name"},
                    {"api_name": "Owner", "index": 2, "find_by": "email"},
                ],
            )
        ],
    }
    rows = [["Last_Name", "Company", "Owner"], ["Ada", "", "SAM@leadflow.example"], ["Bo", "Nope Inc", "x@y.z"]]
    job = run_write(source, body, upload(rows))
    result = unzip_csv(job.result_zip or b"")
    assert result[1][4] == "ADDED"
    assert (source.backend.get_stored("Contacts", result[1][3]) or {})["Owner"] == {"id": "5725767000000411002"}
    assert result[2][4:] == ["SKIPPED", "INVALID_DATA-Company,Owner"]


def test_error_cell_format() -> None:
    errors = [("MANDATORY_NOT_FOUND", "Company"), ("MANDATORY_NOT_FOUND", "Last_Name"), ("DUPLICATE_DATA", "Email")]
    assert bulk.format_errors(errors) == "MANDATORY_NOT_FOUND-Company,Last_Name:DUPLICATE_DATA-Email"
    assert bulk.format_errors([]) == ""


def test_result_keeps_the_first_three_mapped_columns(source: BackendSource) -> None:
    rows = [["Skip", "Last_Name", "Email", "Company", "City"], ["x", "Ng", "ng@x.io", "Acme", "Oslo"]]
    mappings = [{"api_name": name, "index": i} for i, name in enumerate(rows[0]) if i]
    job = run_write(source, {"operation": "insert", "resource": [resource(field_mappings=mappings)]}, upload(rows))
    with zipfile.ZipFile(io.BytesIO(job.result_zip or b"")) as archive:
        assert archive.namelist() == ["Leads-leads.csv"]
    result = unzip_csv(job.result_zip or b"")
    assert result[0] == ["Last_Name", "Email", "Company", "RECORD_ID", "STATUS", "ERRORS"]
    assert result[1][:3] == ["Ng", "ng@x.io", "Acme"]
    assert result[1][4] == "ADDED"


def test_lookup_columns_by_header_without_mappings(source: BackendSource) -> None:
    (acme,) = source.backend.insert("Accounts", [{"Account_Name": "Acme"}])
    rows = [["Last_Name", "Account_Name.id"], ["Ada", acme.id or ""]]
    by_id = run_write(source, {"operation": "insert", "resource": [resource("Contacts")]}, upload(rows))
    rows = [["Last_Name", "Account_Name.Account_Name"], ["Bo", "ACME"]]
    by_name = run_write(source, {"operation": "insert", "resource": [resource("Contacts")]}, upload(rows))
    for job in (by_id, by_name):
        assert job.added == 1
        record_id = unzip_csv(job.result_zip or b"")[1][2]
        assert (source.backend.get_stored("Contacts", record_id) or {})["Account_Name"] == {"id": acme.id}


def test_write_job_status_body(source: BackendSource) -> None:
    body = {
        "operation": "insert",
        "callback": {"url": "http://127.0.0.1:1/cb", "method": "post"},
        "resource": [resource()],
    }
    job = WriteJob("9001", write_spec(source, body, upload(LEADS)), NOW, ADMIN)
    added = job.body(None)
    assert added["status"] == "ADDED"
    assert "result" not in added
    assert "added_count" not in added["resource"][0]["file"]
    run_write_job(job, writer=source.write, fields=source.fields, lookup_index=source.index)
    job.state = "COMPLETED"
    done = job.body("http://host/crm/bulk/v8/write/9001/result")
    assert done["result"] == {"download_url": "http://host/crm/bulk/v8/write/9001/result"}
    assert done["resource"][0]["file"] == {
        "status": "COMPLETED",
        "name": "leads.csv",
        "added_count": 1,
        "skipped_count": 0,
        "updated_count": 0,
        "total_count": 1,
    }
    assert done["callback"] == {"url": "http://127.0.0.1:1/cb", "method": "post"}


# ---- bulk read -------------------------------------------------------------------------------------------------


def read(source: BackendSource, query: dict[str, Any], per_page: int = bulk_read.READ_PAGE_SIZE) -> ReadJob:
    spec = parse_read_request({"query": query}, fields=source.fields, module_id=source.module_id, per_page=per_page)
    job = ReadJob("8000", spec, NOW, ADMIN)
    run_read_job(job, fields=source.fields, records=source.records, get_record=source.get_record)
    return job


def seed(source: BackendSource) -> list[str]:
    (acme,) = source.backend.insert("Accounts", [{"Account_Name": "Acme", "Industry": "Technology"}])
    results = source.backend.insert(
        "Contacts",
        [
            {"Last_Name": "Ada", "Email": "ada@acme.io", "Lead_Source": "Apollo", "Account_Name": {"id": acme.id}},
            {"Last_Name": "Bo", "Email": "bo@beta.io", "Lead_Source": "Web Form"},
            {"Last_Name": "Cy", "Lead_Source": "Apollo"},
        ],
    )
    return [r.id or "" for r in results]


def test_read_job_with_criteria_and_fields(source: BackendSource) -> None:
    ids = seed(source)
    job = read(
        source,
        {
            "module": {"api_name": "Contacts"},
            "fields": ["Last_Name", "Email", "Account_Name", "Account_Name.Industry"],
            "criteria": {
                "group_operator": "and",
                "group": [
                    {"field": {"api_name": "Lead_Source"}, "comparator": "equal", "value": "Apollo"},
                    {"field": {"api_name": "Last_Name"}, "comparator": "starts_with", "value": "a"},
                ],
            },
        },
    )
    rows = unzip_csv(job.result_zip or b"")
    account_id = (source.backend.get_stored("Contacts", ids[0]) or {})["Account_Name"]["id"]
    assert rows == [
        ["Id", "Last_Name", "Email", "Account_Name", "Account_Name.Industry"],
        [ids[0], "Ada", "ada@acme.io", account_id, "Technology"],
    ]
    assert (job.count, job.more_records) == (1, False)


@pytest.mark.parametrize(
    ("comparator", "value", "expected"),
    [
        ("not_equal", "Apollo", ["Bo"]),
        ("in", ["Web Form", "Chat"], ["Bo"]),
        ("not_in", ["Web Form"], ["Ada", "Cy"]),
        ("contains", "poll", ["Ada", "Cy"]),
        ("not_contains", "poll", ["Bo"]),
        ("ends_with", "form", ["Bo"]),
    ],
)
def test_read_comparators(source: BackendSource, comparator: str, value: Any, expected: list[str]) -> None:
    seed(source)
    job = read(
        source,
        {
            "module": {"api_name": "Contacts"},
            "fields": ["Last_Name"],
            "criteria": {"field": {"api_name": "Lead_Source"}, "comparator": comparator, "value": value},
        },
    )
    assert [r[1] for r in unzip_csv(job.result_zip or b"")[1:]] == expected


def test_read_pages_and_more_records(source: BackendSource) -> None:
    seed(source)
    first = read(source, {"module": {"api_name": "Contacts"}, "fields": ["Last_Name"]}, per_page=2)
    second = read(source, {"module": {"api_name": "Contacts"}, "fields": ["Last_Name"], "page": 2}, per_page=2)
    assert [r[1] for r in unzip_csv(first.result_zip or b"")[1:]] == ["Ada", "Bo"]
    assert (first.count, first.more_records) == (2, True)
    assert [r[1] for r in unzip_csv(second.result_zip or b"")[1:]] == ["Cy"]
    assert (second.count, second.more_records) == (1, False)
    body = second.body()
    assert body["state"] == "ADDED"
    second.state = "COMPLETED"
    assert second.body()["result"]["download_url"] == "/crm/bulk/v8/read/8000/result"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"module": {"api_name": "Nopes"}}, "MODULE_NOT_AVAILABLE"),
        ({"module": {"api_name": "Leads"}, "fields": ["Nope"]}, "FIELD_NOT_AVAILABLE"),
        ({"module": {"api_name": "Leads"}, "page": 51}, "PAGE_RANGE_EXCEEDED"),
        (
            {"module": {"api_name": "Leads"}, "criteria": {"group_operator": "xor", "group": []}},
            "GROUP_OPERATOR_NOT_SUPPORTED",
        ),
        (
            {"module": {"api_name": "Leads"}, "criteria": {"api_name": "Email", "comparator": "near", "value": 1}},
            "INVALID_CRITERIA",
        ),
    ],
)
def test_read_request_errors(source: BackendSource, query: dict[str, Any], code: str) -> None:
    with pytest.raises(BulkError) as caught:
        parse_read_request({"query": query}, fields=source.fields, module_id=source.module_id)
    assert caught.value.code == code


def test_read_criteria_are_type_checked_up_front(source: BackendSource) -> None:
    spec = parse_read_request(
        {
            "query": {
                "module": "Leads",
                "criteria": {"api_name": "No_of_Employees", "comparator": "greater_than", "value": "lots"},
            }
        },
        fields=source.fields,
        module_id=source.module_id,
    )
    with pytest.raises(BulkError) as caught:
        bulk_read.validate_read_spec(spec, fields=source.fields, get_record=source.get_record)
    assert caught.value.code == "INVALID_CRITERIA"


def test_read_criteria_limit(source: BackendSource) -> None:
    group = [{"api_name": "Email", "comparator": "equal", "value": f"{i}@x.io"} for i in range(26)]
    with pytest.raises(BulkError) as caught:
        parse_read_request(
            {"query": {"module": "Leads", "criteria": {"group_operator": "or", "group": group}}},
            fields=source.fields,
            module_id=source.module_id,
        )
    assert caught.value.code == "CRITERIA_LIMIT_EXCEEDED"


# ---- runner ----------------------------------------------------------------------------------------------------


def test_runner_runs_jobs_in_order_off_the_calling_thread() -> None:
    runner = JobRunner(name="zoho-bulk-jobs")
    seen: list[tuple[int, str]] = []
    for n in range(5):
        runner.submit(lambda n=n: seen.append((n, threading.current_thread().name)))  # type: ignore[misc]
    runner.submit(lambda: 1 / 0)  # a crashing job does not stop the worker
    runner.submit(lambda: seen.append((5, threading.current_thread().name)))
    assert runner.wait_idle(5)
    runner.close()
    assert [n for n, _ in seen] == [0, 1, 2, 3, 4, 5]
    assert {name for _, name in seen} == {"zoho-bulk-jobs"}


def test_runner_thread_retires_when_idle_and_comes_back() -> None:
    runner = JobRunner(idle_seconds=0.05)
    done: list[int] = []
    runner.submit(lambda: done.append(1))
    assert runner.wait_idle(5)
    deadline = time.monotonic() + 5
    while (
        any(t.name == "zoho-bulk-jobs" and t.is_alive() for t in threading.enumerate()) and time.monotonic() < deadline
    ):
        time.sleep(0.02)
    assert not any(t.name == "zoho-bulk-jobs" and t.is_alive() for t in threading.enumerate())
    runner.submit(lambda: done.append(2))
    assert runner.wait_idle(5)
    assert done == [1, 2]
    runner.close()
