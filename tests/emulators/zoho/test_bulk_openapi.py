"""COQL, upload, bulk write and bulk read replies checked against Zoho's OpenAPI description (v8).

Uses emu-core's checker (``oas.py``: OpenAPI 3.0 -> JSON Schema, ``oneOf`` read as ``anyOf``, its allow-list)
and adds the operations of ``coql.json``, ``bulk_write.json`` and ``bulk_read.json`` with the known bugs of
those three files patched below, each with its reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from leadflow_emulators.zoho.bulk import make_zip
from leadflow_emulators.zoho.models.users import ZGID
from tests.emulators.zoho.oas import OpenApiChecker, Operation
from tests.specs import ZOHO_OAS, spec_path

from .bulk_http_support import emulator, wait_for

BULK_FILES = ("coql.json", "bulk_write.json", "bulk_read.json")


def _patch_bulk(documents: dict[str, dict[str, Any]]) -> None:
    write = documents["bulk_write.json"]["components"]["schemas"]
    # (b1) Upload and job creation share Success_Response, whose details require the job's ``id`` and
    #      ``created_by``; Zoho's upload reply (and the SDK's model) carries ``file_id`` and ``created_time``.
    write["Success_Response"]["properties"]["details"].pop("required", None)
    # (b2) ``file_id`` is typed int64 while Zoho's documented replies send it as a numeric string (the SDK
    #      converts with int()).
    write["Success_Response"]["properties"]["details"]["properties"]["file_id"] = {"type": ["integer", "string"]}
    read = documents["bulk_read.json"]["components"]["schemas"]
    # (b3) Query marks every key required (cvid, criteria, file_type, ...), though each is optional in a job
    #      request and Zoho echoes only what was sent.
    read["Query"].pop("required", None)
    # (b4) Job_Detail requires ``result`` in every state; Zoho adds it only once the job is COMPLETED.
    read["Job_Detail"]["required"].remove("result")
    # (b5) Result requires ``next_page_token``; Zoho sends it only when more records remain.
    read["Result"]["required"].remove("next_page_token")
    # (b6) Criteria: ``value`` is typed object, but Zoho's own examples (and the SDK) send strings, numbers
    #      and arrays; ``type`` is required although requests never carry it; ``field`` points at
    #      Minified_Field, which requires an ``id`` that a request names only by ``api_name``.
    criteria = read["Criteria"]
    criteria["properties"]["value"] = {}
    criteria.pop("required", None)
    criteria["properties"]["field"] = {"type": "object", "properties": {"api_name": {"type": "string"}}}


@pytest.fixture(scope="module")
def spec() -> OpenApiChecker:
    spec = OpenApiChecker(spec_path(*ZOHO_OAS))
    _patch_bulk(spec.documents)
    for name in BULK_FILES:
        for path, item in spec.documents[name]["paths"].items():
            if path.startswith("/{"):
                continue  # the download URL: a zip, not JSON
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"
            literal = sum(1 for part in path.split("/") if part and not part.startswith("{"))
            for method in item:
                spec.operations.append(Operation(name, path, method, re.compile(pattern), literal))
    return spec


@pytest.fixture
def checked(spec: OpenApiChecker) -> Iterator[tuple[TestClient, list[tuple[str, str, int]]]]:
    seen: list[tuple[str, str, int]] = []

    def validate(response: httpx.Response) -> None:
        response.read()
        path = re.sub(r"^/crm/bulk/v[0-9.]+/", "/crm/bulk/v8/", response.request.url.path)
        if not response.content or response.headers.get("content-type") != "application/json":
            return
        if not (path.startswith("/crm/bulk/") or path.endswith(("/coql", "/upload"))):
            return
        operation = spec.check(response.request.method, path, response.status_code, response.json())
        seen.append((operation.method, operation.path, response.status_code))

    with emulator() as client:
        client.event_hooks = {"request": [], "response": [validate]}
        yield client, seen


def test_bulk_and_coql_replies_match_the_spec(checked: tuple[TestClient, list[tuple[str, str, int]]]) -> None:
    client, seen = checked
    backend = client.app.state.backend  # type: ignore[attr-defined]
    backend.insert("Leads", [{"Last_Name": f"Spec{i}", "Email": f"s{i}@x.io"} for i in range(5)])
    coql = "/crm/v8/coql"
    client.post(coql, content=json.dumps({"select_query": "select Last_Name, Owner from Leads limit 2"}))
    client.post(coql, content=json.dumps({"select_query": "select Last_Name Leads"}))
    client.post(coql, content=json.dumps({"select_query": "select Nope from Leads"}))
    client.post(coql, content=json.dumps({"select_query": "select id from Leads limit 5000"}))

    zipped = make_zip("leads.csv", [["Last_Name", "Email"], ["New", "s1@x.io"], ["", "bad@x.io"]])
    uploaded = client.post(
        "/crm/v8/upload",
        files={"file": ("leads.zip", zipped, "application/zip")},
        headers={"feature": "bulk-write", "X-CRM-ORG": ZGID},
    )
    file_id = uploaded.json()["details"]["file_id"]
    resource = {"type": "data", "module": {"api_name": "Leads"}, "file_id": file_id, "find_by": "Email"}
    job = client.post("/crm/bulk/v8/write", json={"operation": "upsert", "resource": [resource]})
    wait_for(client, f"/crm/bulk/v8/write/{job.json()['details']['id']}")
    client.get("/crm/bulk/v8/write/999")

    read = client.post(
        "/crm/bulk/v8/read",
        json={
            "query": {
                "module": {"api_name": "Leads"},
                "fields": ["Last_Name", "Email"],
                "criteria": {"field": {"api_name": "Email"}, "comparator": "ends_with", "value": "x.io"},
            }
        },
    )
    wait_for(client, f"/crm/bulk/v8/read/{read.json()['data'][0]['details']['id']}")
    client.post("/crm/bulk/v8/read", json={"query": {"module": {"api_name": "Leads"}, "page": 99}})
    client.get("/crm/bulk/v8/read/999")

    statuses = {(method, path, status) for method, path, status in seen}
    assert {
        ("post", "/crm/v8/coql", 200),
        ("post", "/crm/v8/coql", 400),
        ("post", "/crm/v8/upload", 200),
        ("post", "/crm/bulk/v8/write", 201),
        ("get", "/crm/bulk/v8/write/{job_id}", 200),
        ("get", "/crm/bulk/v8/write/{job_id}", 400),
        ("post", "/crm/bulk/v8/read", 201),
        ("post", "/crm/bulk/v8/read", 400),
        ("get", "/crm/bulk/v8/read/{job_id}", 200),
        ("get", "/crm/bulk/v8/read/{job_id}", 404),
    } <= statuses
