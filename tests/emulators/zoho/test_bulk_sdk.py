"""Contract tests: COQL, bulk write and bulk read through Zoho's official SDK (zohocrmsdk8-0) over a socket.

Reuses emu-core's ``sdk_server`` fixture (one live emulator and an initialised SDK per module).
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from leadflow_emulators.zoho.bulk import make_zip
from leadflow_emulators.zoho.models import ZohoBackend
from leadflow_emulators.zoho.models.users import ZGID
from tests.emulators.zoho.conftest import LiveServer
from tests.emulators.zoho.test_sdk_contract import sdk_server  # noqa: F401  (the shared SDK fixture)

pytest.importorskip("zohocrmsdk.src.com.zoho.crm.api.initializer")

from zohocrmsdk.src.com.zoho.crm.api import HeaderMap, coql
from zohocrmsdk.src.com.zoho.crm.api import bulk_read as br
from zohocrmsdk.src.com.zoho.crm.api import bulk_write as bw
from zohocrmsdk.src.com.zoho.crm.api.fields import MinifiedField
from zohocrmsdk.src.com.zoho.crm.api.modules import MinifiedModule
from zohocrmsdk.src.com.zoho.crm.api.util import Choice, StreamWrapper

Server = tuple[LiveServer, ZohoBackend]


def _module(name: str) -> MinifiedModule:
    module = MinifiedModule()
    module.set_api_name(name)
    return module


def _zip_rows(stream_wrapper: Any) -> list[list[str]]:
    stream = stream_wrapper.get_stream()
    data = b"".join(stream) if not isinstance(stream, bytes | bytearray) else bytes(stream)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (name,) = archive.namelist()
        return list(csv.reader(io.StringIO(archive.read(name).decode("utf-8"))))


def _query(text: str) -> Any:
    body = coql.BodyWrapper()
    body.set_select_query(text)
    return coql.CoqlOperations().get_records(body)


def test_coql_through_the_sdk(sdk_server: Server) -> None:  # noqa: F811
    _, backend = sdk_server
    backend.insert("Leads", [{"Last_Name": f"Sdk{i}", "Company": "SdkCo", "No_of_Employees": i} for i in range(5)])
    response = _query("select Last_Name, No_of_Employees from Leads where Company = 'SdkCo' order by Last_Name limit 3")
    assert response.get_status_code() == 200
    wrapper = response.get_object()
    assert isinstance(wrapper, coql.ResponseWrapper), wrapper
    assert [r.get_key_value("Last_Name") for r in wrapper.get_data()] == ["Sdk0", "Sdk1", "Sdk2"]
    assert wrapper.get_info().get_more_records() is True
    assert wrapper.get_info().get_count() == 3


def test_coql_errors_arrive_as_api_exception(sdk_server: Server) -> None:  # noqa: F811
    for text, code in (("select Last_Name Leads", "SYNTAX_ERROR"), ("select Nope from Leads", "INVALID_QUERY")):
        response = _query(text)
        assert response.get_status_code() == 400
        error = response.get_object()
        assert isinstance(error, coql.APIException), error
        assert error.get_code().get_value() == code
    empty = _query("select Last_Name from Leads where Last_Name = 'nobody at all'")
    assert empty.get_status_code() == 204


def test_bulk_write_through_the_sdk(sdk_server: Server, tmp_path: Path) -> None:  # noqa: F811
    _, backend = sdk_server
    operations = bw.BulkWriteOperations()
    archive = tmp_path / "leads.zip"
    archive.write_bytes(
        make_zip(
            "leads.csv", [["Last_Name", "Email"], ["Bulk1", "bulk1@sdk.io"], ["Bulk2", "bulk2@sdk.io"], ["", "x@y.z"]]
        )
    )
    upload_body = bw.FileBodyWrapper()
    upload_body.set_file(StreamWrapper(file_path=str(archive)))
    headers = HeaderMap()
    headers.add(bw.UploadFileHeader.feature, "bulk-write")
    headers.add(bw.UploadFileHeader.x_crm_org, ZGID)
    uploaded = operations.upload_file(upload_body, headers).get_object()
    assert isinstance(uploaded, bw.SuccessResponse), uploaded
    file_id = uploaded.get_details()["file_id"]

    resource = bw.Resource()
    resource.set_type(Choice("data"))
    resource.set_module(_module("Leads"))
    resource.set_file_id(str(file_id))
    mappings = []
    for index, name in enumerate(["Last_Name", "Email"]):
        mapping = bw.FieldMapping()
        mapping.set_api_name(name)
        mapping.set_index(index)
        mappings.append(mapping)
    resource.set_field_mappings(mappings)
    resource.set_find_by("Email")
    request = bw.RequestWrapper()
    request.set_operation(Choice("upsert"))
    request.set_resource([resource])
    created = operations.create_bulk_write_job(request)
    assert created.get_status_code() == 201
    job = created.get_object()
    assert isinstance(job, bw.SuccessResponse), job
    job_id = str(job.get_details()["id"])

    deadline = time.monotonic() + 30
    details = operations.get_bulk_write_job_details(job_id).get_object()
    while details.get_status() != "COMPLETED" and time.monotonic() < deadline:
        time.sleep(0.05)
        details = operations.get_bulk_write_job_details(job_id).get_object()
    assert isinstance(details, bw.BulkWriteResponse), details
    file_info = details.get_resource()[0].get_file()
    assert (file_info.get_added_count(), file_info.get_skipped_count(), file_info.get_total_count()) == (2, 1, 3)

    download = operations.download_bulk_write_result(details.get_result().get_download_url()).get_object()
    assert isinstance(download, bw.FileBodyWrapper), download
    rows = _zip_rows(download.get_file())
    assert [r[3] for r in rows[1:]] == ["ADDED", "ADDED", "SKIPPED"]
    assert backend.get_stored("Leads", rows[1][2])["Email"] == "bulk1@sdk.io"  # type: ignore[index]


def test_bulk_read_through_the_sdk(sdk_server: Server) -> None:  # noqa: F811
    _, backend = sdk_server
    backend.insert(
        "Contacts", [{"Last_Name": f"Read{i}", "Lead_Source": "Chat" if i % 2 else "Apollo"} for i in range(6)]
    )
    operations = br.BulkReadOperations()
    query = br.Query()
    query.set_module(_module("Contacts"))
    query.set_fields(["Last_Name", "Lead_Source"])
    query.set_page(1)
    criteria = br.Criteria()
    field = MinifiedField()
    field.set_api_name("Lead_Source")
    criteria.set_field(field)
    criteria.set_comparator(Choice("equal"))
    criteria.set_value("Chat")
    query.set_criteria(criteria)
    body = br.BodyWrapper()
    body.set_query(query)
    created = operations.create_bulk_read_job(body)
    assert created.get_status_code() == 201
    wrapper = created.get_object()
    assert isinstance(wrapper, br.ActionWrapper), wrapper
    job_id = int(wrapper.get_data()[0].get_details()["id"])

    deadline = time.monotonic() + 30
    while True:
        job = operations.get_bulk_read_job_details(job_id).get_object().get_data()[0]
        if job.get_state().get_value() == "COMPLETED" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert job.get_result().get_count() == 3
    assert job.get_result().get_more_records() is False
    download = operations.download_result(job_id).get_object()
    assert isinstance(download, br.FileBodyWrapper), download
    rows = _zip_rows(download.get_file())
    assert rows[0] == ["Id", "Last_Name", "Lead_Source"]
    assert sorted(r[1] for r in rows[1:]) == ["Read1", "Read3", "Read5"]
