"""Bulk write and bulk read end to end through the emulator app: upload, jobs, states, results, callbacks."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from leadflow_emulators.zoho.bulk import make_zip
from leadflow_emulators.zoho.models.backend import ZohoBackend
from leadflow_emulators.zoho.models.users import ZGID

from .bulk_http_support import BASE_URL, CallbackReceiver, bulk_state, emulator, wait_for

UPLOAD_HEADERS = {"feature": "bulk-write", "X-CRM-ORG": ZGID}


@pytest.fixture
def client() -> Iterator[TestClient]:
    with emulator() as client:
        yield client


def backend_of(client: TestClient) -> ZohoBackend:
    backend: ZohoBackend = client.app.state.backend  # type: ignore[attr-defined]
    return backend


def upload(client: TestClient, rows: list[list[Any]], headers: dict[str, str] | None = None) -> Any:
    data = make_zip("leads.csv", rows)
    return client.post(
        "/crm/v8/upload",
        files={"file": ("leads.zip", data, "application/zip")},
        headers=UPLOAD_HEADERS if headers is None else headers,
    )


def csv_rows(data: bytes) -> list[list[str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (name,) = archive.namelist()
        return list(csv.reader(io.StringIO(archive.read(name).decode("utf-8"))))


def write_job(client: TestClient, file_id: str, operation: str = "insert", **resource: Any) -> Any:
    body: dict[str, Any] = {
        "operation": operation,
        "resource": [{"type": "data", "module": {"api_name": "Leads"}, "file_id": file_id, **resource}],
    }
    if "callback" in resource:
        body["callback"] = resource.pop("callback")
        body["resource"][0].pop("callback")
    return client.post("/crm/bulk/v8/write", json=body)


# ---- upload -------------------------------------------------------------------------------------------------


def test_upload_returns_a_numeric_file_id(client: TestClient) -> None:
    reply = upload(client, [["Last_Name"], ["Ng"]])
    assert reply.status_code == 200
    body = reply.json()
    assert (body["status"], body["code"], body["message"]) == ("success", "FILE_UPLOAD_SUCCESS", "file uploaded.")
    assert body["details"]["file_id"].isdigit()
    assert body["details"]["created_time"].endswith("+00:00")


@pytest.mark.parametrize("headers", [{}, {"feature": "bulk-write"}, {"feature": "x", "X-CRM-ORG": ZGID}])
def test_upload_needs_feature_and_org_headers(client: TestClient, headers: dict[str, str]) -> None:
    reply = upload(client, [["Last_Name"], ["Ng"]], headers=headers)
    assert reply.status_code == 400
    assert reply.json()["x-error"] == "check if headers [feature, X-CRM-ORG] are present and valid"


def test_upload_rejects_a_plain_csv(client: TestClient) -> None:
    reply = client.post(
        "/crm/v8/upload", files={"file": ("leads.csv", b"Last_Name\nNg\n", "text/csv")}, headers=UPLOAD_HEADERS
    )
    assert (reply.status_code, reply.json()["code"]) == (400, "INVALID_FILE_FORMAT")


def test_upload_without_a_file_part(client: TestClient) -> None:
    reply = client.post("/crm/v8/upload", data={"x": "1"}, headers=UPLOAD_HEADERS)
    assert (reply.status_code, reply.json()["code"]) == (400, "INVALID_DATA")


def test_upload_needs_a_token(client: TestClient) -> None:
    reply = client.post(
        "/crm/v8/upload",
        files={"file": ("a.zip", make_zip("a.csv", [["x"]]), "application/zip")},
        headers={**UPLOAD_HEADERS, "Authorization": "Zoho-oauthtoken nope"},
    )
    assert (reply.status_code, reply.json()["code"]) == (401, "INVALID_TOKEN")


# ---- bulk write ---------------------------------------------------------------------------------------------


def test_bulk_write_end_to_end_with_states_result_and_callback(client: TestClient) -> None:
    backend = backend_of(client)
    rows = [["Last_Name", "Email"], ["Ng", "ng@x.io"], ["", "no-name@x.io"], ["Li", "li@x.io"]]
    file_id = upload(client, rows).json()["details"]["file_id"]
    credits = backend.credits.remaining()
    state = bulk_state(client)
    state.runner.pause()
    with CallbackReceiver() as receiver:
        reply = write_job(
            client,
            file_id,
            callback={"url": receiver.url, "method": "post"},
            field_mappings=[{"api_name": "Last_Name", "index": 0}, {"api_name": "Email", "index": 1}],
        )
        assert reply.status_code == 201
        created = reply.json()
        assert (created["status"], created["code"]) == ("success", "SUCCESS")
        job_id = created["details"]["id"]
        assert isinstance(job_id, str)
        assert created["details"]["created_by"]["id"] == backend.directory.current_user_id
        assert credits - backend.credits.remaining() == 500

        added = client.get(f"/crm/bulk/v8/write/{job_id}").json()
        assert added["status"] == "ADDED"
        assert "result" not in added
        state.runner.resume()
        done = wait_for(client, f"/crm/bulk/v8/write/{job_id}")
        callback = receiver.wait()

    assert done["status"] == "COMPLETED"
    assert done["operation"] == "insert"
    file_info = done["resource"][0]["file"]
    assert (file_info["added_count"], file_info["updated_count"], file_info["skipped_count"]) == (2, 0, 1)
    assert file_info["total_count"] == 3
    url = done["result"]["download_url"]
    assert url == f"{BASE_URL}/crm/bulk/v8/write/{job_id}/result"
    assert (callback["job_id"], callback["state"]) == (job_id, "COMPLETED")
    assert callback["result"]["download_url"] == url

    download = client.get(url)
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert download.headers["content-disposition"] == f'attachment; filename="{job_id}.zip"'
    rows = csv_rows(download.content)
    assert rows[0] == ["Last_Name", "Email", "RECORD_ID", "STATUS", "ERRORS"]
    assert [r[3] for r in rows[1:]] == ["ADDED", "SKIPPED", "ADDED"]
    assert rows[2][4] == "MANDATORY_NOT_FOUND-Last_Name"
    assert backend.get_stored("Leads", rows[1][2])["Email"] == "ng@x.io"  # type: ignore[index]
    assert len(list(backend.stored_records("Leads"))) == 2


def test_job_is_in_progress_while_rows_are_written(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    state = bulk_state(client)
    seen: list[dict[str, Any]] = []
    original = state.source.write

    def spy(module: str, operation: Any, records: list[dict[str, Any]], find_by: str | None) -> Any:
        (job,) = state.write_jobs.values()
        seen.append(client.get(f"/crm/bulk/v8/write/{job.id}").json())
        return original(module, operation, records, find_by)

    monkeypatch.setattr(state.source, "write", spy)
    file_id = upload(client, [["Last_Name"], ["Ng"]]).json()["details"]["file_id"]
    job_id = write_job(client, file_id).json()["details"]["id"]
    assert wait_for(client, f"/crm/bulk/v8/write/{job_id}")["status"] == "COMPLETED"
    (during,) = seen
    assert during["status"] == "IN PROGRESS"
    assert during["resource"][0]["file"]["total_count"] == 1
    assert "result" not in during


def test_bulk_upsert_counts_updates(client: TestClient) -> None:
    backend = backend_of(client)
    backend.insert("Leads", [{"Last_Name": "Old", "Email": "a@x.io"}])
    file_id = upload(client, [["Last_Name", "Email"], ["New", "a@x.io"], ["Other", "b@x.io"]]).json()["details"][
        "file_id"
    ]
    job_id = write_job(client, file_id, "upsert", find_by="Email").json()["details"]["id"]
    done = wait_for(client, f"/crm/bulk/v8/write/{job_id}")
    counts = done["resource"][0]["file"]
    assert (counts["added_count"], counts["updated_count"], counts["skipped_count"]) == (1, 1, 0)
    assert sorted(r["Last_Name"] for r in backend.stored_records("Leads")) == ["New", "Other"]


def test_bulk_write_costs_500_credits_and_is_refused_without_them() -> None:
    with emulator(ZohoBackend(seed=2, daily_credits=450)) as client:
        file_id = upload(client, [["Last_Name"], ["Ng"]]).json()["details"]["file_id"]
        reply = write_job(client, file_id)
        assert (reply.status_code, reply.json()["code"]) == (400, "LIMIT_EXCEEDED")
        assert bulk_state(client).write_jobs == {}
        read = client.post("/crm/bulk/v8/read", json={"query": {"module": {"api_name": "Leads"}}})
        assert read.status_code == 201
        assert backend_of(client).credits.remaining() == 450 - 1 - 50  # upload 1, bulk read 50


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"resource": []}, "MANDATORY_NOT_FOUND"),
        ({"operation": "insert", "resource": [{"module": {"api_name": "Leads"}, "file_id": "1"}]}, "INVALID_FILE_ID"),
        (
            {"operation": "insert", "resource": [{"module": {"api_name": "Nopes"}, "file_id": "1"}]},
            "MODULE_NOT_AVAILABLE",
        ),
    ],
)
def test_bulk_write_request_errors(client: TestClient, body: dict[str, Any], code: str) -> None:
    reply = client.post("/crm/bulk/v8/write", json=body)
    assert (reply.status_code, reply.json()["code"]) == (400, code)


def test_unknown_job_and_early_download(client: TestClient) -> None:
    assert client.get("/crm/bulk/v8/write/123").json()["code"] == "RESOURCE_NOT_FOUND"
    file_id = upload(client, [["Last_Name"], ["Ng"]]).json()["details"]["file_id"]
    state = bulk_state(client)
    state.runner.pause()
    job_id = write_job(client, file_id).json()["details"]["id"]
    early = client.get(f"/crm/bulk/v8/write/{job_id}/result")
    assert (early.status_code, early.json()["code"]) == (400, "RESOURCE_NOT_FOUND")
    state.runner.resume()


def test_bulk_written_records_survive_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "zoho.db")
    with emulator(ZohoBackend(db_path=db, seed=3)) as client:
        file_id = upload(client, [["Last_Name"], *([f"n{i}"] for i in range(250))]).json()["details"]["file_id"]
        job_id = write_job(client, file_id).json()["details"]["id"]
        assert wait_for(client, f"/crm/bulk/v8/write/{job_id}")["status"] == "COMPLETED"
        backend_of(client).close()
    reopened = ZohoBackend(db_path=db, seed=3)
    assert len(list(reopened.stored_records("Leads"))) == 250
    reopened.close()


# ---- bulk read ----------------------------------------------------------------------------------------------


def test_bulk_read_end_to_end(client: TestClient) -> None:
    backend = backend_of(client)
    backend.insert(
        "Leads",
        [
            {"Last_Name": f"L{i}", "Lead_Source": "Apollo" if i % 3 == 0 else "Chat", "No_of_Employees": i}
            for i in range(9)
        ],
    )
    credits = backend.credits.remaining()
    with CallbackReceiver() as receiver:
        reply = client.post(
            "/crm/bulk/v8/read",
            json={
                "callback": {"url": receiver.url, "method": "post"},
                "query": {
                    "module": {"api_name": "Leads"},
                    "fields": ["Last_Name", "No_of_Employees", "Owner"],
                    "criteria": {"field": {"api_name": "Lead_Source"}, "comparator": "equal", "value": "Apollo"},
                    "page": 1,
                },
            },
        )
        assert reply.status_code == 201
        (item,) = reply.json()["data"]
        assert (item["code"], item["details"]["operation"], item["details"]["state"]) == (
            "ADDED_SUCCESSFULLY",
            "read",
            "ADDED",
        )
        job_id = item["details"]["id"]
        assert job_id.isdigit()
        assert credits - backend.credits.remaining() == 50
        done = wait_for(client, f"/crm/bulk/v8/read/{job_id}")
        callback = receiver.wait()
    (job,) = done["data"]
    assert job["result"] == {
        "page": 1,
        "count": 3,
        "download_url": f"/crm/bulk/v8/read/{job_id}/result",
        "per_page": 200_000,
        "more_records": False,
    }
    assert (callback["job_id"], callback["state"]) == (job_id, "COMPLETED")
    download = client.get(job["result"]["download_url"])
    assert download.headers["content-type"] == "application/zip"
    rows = csv_rows(download.content)
    assert rows[0] == ["Id", "Last_Name", "No_of_Employees", "Owner"]
    assert [(r[1], r[2], r[3]) for r in rows[1:]] == [
        (f"L{i}", str(i), backend.directory.current_user_id) for i in (0, 3, 6)
    ]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"module": {"api_name": "Nopes"}}, "MODULE_NOT_AVAILABLE"),
        ({"module": {"api_name": "Leads"}, "fields": ["Nope"]}, "FIELD_NOT_AVAILABLE"),
        (
            {
                "module": {"api_name": "Leads"},
                "criteria": {"api_name": "Last_Name", "comparator": "greater_than", "value": "a"},
            },
            "INVALID_CRITERIA",
        ),
    ],
)
def test_bulk_read_request_errors(client: TestClient, query: dict[str, Any], code: str) -> None:
    reply = client.post("/crm/bulk/v8/read", content=json.dumps({"query": query}))
    assert (reply.status_code, reply.json()["code"]) == (400, code)


def test_bulk_read_unknown_job(client: TestClient) -> None:
    reply = client.get("/crm/bulk/v8/read/42")
    assert (reply.status_code, reply.json()["code"]) == (404, "RESOURCE_NOT_FOUND")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/crm/v8/coql", {"select_query": "select id from Leads"}),
        ("POST", "/crm/bulk/v8/read", {"query": {"module": {"api_name": "Leads"}}}),
        ("POST", "/crm/bulk/v8/write", {"operation": "insert", "resource": []}),
    ],
)
def test_coql_and_bulk_count_against_the_sub_concurrency_limit(
    client: TestClient, method: str, path: str, body: dict[str, Any]
) -> None:
    gate = backend_of(client).gate
    for _ in range(gate.sub_limit):
        gate.enter_heavy()
    try:
        reply = client.request(method, path, json=body)
        assert (reply.status_code, reply.json()["code"]) == (429, "TOO_MANY_REQUESTS")
    finally:
        for _ in range(gate.sub_limit):
            gate.leave_heavy()
    assert client.request(method, path, json=body).status_code != 429
