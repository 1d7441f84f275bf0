"""HTTP routes for COQL, file upload, bulk write and bulk read (auth, credits and gates via ``api_call``).

Jobs are kept by the backend (``backend.jobs``, see ``bulk_jobs``) and run on its background worker; a
finished job POSTs its callback. Mount ``BULK_ROUTES`` before the generic ``/crm/{version}/{module}``
routes (``coql`` and ``upload`` would otherwise be taken for module names).

Example:
    >>> sorted({route.path for route in BULK_ROUTES})[:2]
    ['/crm/bulk/{version}/read', '/crm/bulk/{version}/read/{job_id}']
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadflow_emulators.common.clock import iso
from leadflow_emulators.common.jsonresp import empty_response, json_response
from leadflow_emulators.zoho.bulk import (
    MAX_FILE_BYTES,
    BulkError,
    WriteJob,
    parse_write_request,
    read_upload,
)
from leadflow_emulators.zoho.bulk_jobs import BulkJobs
from leadflow_emulators.zoho.bulk_read import ReadJob, parse_read_request, validate_read_spec
from leadflow_emulators.zoho.coql import CoqlError, parse
from leadflow_emulators.zoho.coql_eval import execute
from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.limits import BULK_READ_COST, BULK_WRITE_COST, coql_cost
from leadflow_emulators.zoho.responses.common import CallContext, api_call, charge, route


def bulk_jobs(ctx: CallContext) -> BulkJobs:
    """The backend's bulk job state (files, jobs, worker)."""
    return ctx.backend.jobs


def _zoho(error: BulkError | CoqlError) -> ZohoError:
    status = error.status if isinstance(error, BulkError) else error.status_code
    return ZohoError(status, error.code, error.message, error.details)


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# ---- COQL -------------------------------------------------------------------------------------------------


@route(family="coql", action="READ", heavy=True)
def coql(ctx: CallContext) -> Response:
    body = ctx.json()
    text = body.get("select_query") if isinstance(body, dict) else None
    if not isinstance(text, str):
        raise ZohoError(400, "MANDATORY_NOT_FOUND", "required field not found", {"api_name": "select_query"})
    state = bulk_jobs(ctx)
    try:
        query = parse(text)
        if state.source.module_fields(query.module) is None:
            raise CoqlError("INVALID_QUERY", "invalid module given", {"module": query.module})
        ctx.require_scope("modules", "READ", state.source.module_name(query.module))
        charge(ctx, coql_cost(query.limit))
        include_converted = "converted__s" in text.lower()
        result = execute(
            query,
            fields=state.source.fields,
            records=lambda module: state.source.visible_records(module, include_converted=include_converted),
            get_record=state.source.get_record,
            sorted_by_id=True,
            index=lambda module, field, value: state.source.indexed(
                module, field, value, include_converted=include_converted
            ),
        )
    except CoqlError as exc:
        raise _zoho(exc) from None
    if not result.data:
        return empty_response(204)
    return json_response(result.body())


# ---- upload ------------------------------------------------------------------------------------------------


class _UploadHeaderError(ZohoError):
    """Zoho's reply when the upload headers are missing or wrong: a gateway-style body, not the usual one."""

    def __init__(self) -> None:
        super().__init__(400, "INVALID_REQUEST", "check if headers [feature, X-CRM-ORG] are present and valid")

    def body(self) -> dict[str, Any]:
        return {
            "ERROR_MESSAGE": "Bad Request",
            "ERROR_CODE": 400,
            "x-error": self.message,
            "info": "Forbidden",
            "x-info": "Link not valid",
            "http_status": "400",
        }


async def upload(request: Request) -> Response:
    await request.body()
    data: bytes | None = None
    filename = ""
    form_error: str | None = None
    try:
        form = await request.form(max_part_size=MAX_FILE_BYTES + 1)
        item = form.get("file")
        if isinstance(item, UploadFile):
            filename = item.filename or ""
            data = await item.read()
    except Exception as exc:  # not multipart: reported after authentication, like every other error
        form_error = str(exc)

    def handle(ctx: CallContext) -> Response:
        backend = ctx.backend
        if ctx.request.headers.get("feature") != "bulk-write" or ctx.request.headers.get(
            "X-CRM-ORG"
        ) != backend.directory.org().get("zgid"):
            raise _UploadHeaderError()
        if form_error is not None or data is None or not filename:
            raise ZohoError(
                400, "INVALID_DATA", "the multipart field file with a filename is required", {"param": "file"}
            )
        charge(ctx, 1)
        state = bulk_jobs(ctx)
        file_id = backend.ids.next_id()
        created = iso(backend.clock.now())
        try:
            state.uploads[file_id] = read_upload(data, file_id=file_id, created_time=created)
        except BulkError as exc:
            raise _zoho(exc) from None
        return json_response(
            {
                "status": "success",
                "code": "FILE_UPLOAD_SUCCESS",
                "message": "file uploaded.",
                "details": {"file_id": file_id, "created_time": created},
            }
        )

    return await api_call(request, family="files", action="CREATE", handler=handle, heavy=True)


# ---- bulk write ----------------------------------------------------------------------------------------------


@route(family="bulk", action="CREATE", heavy=True)
def create_write_job(ctx: CallContext) -> Response:
    state = bulk_jobs(ctx)
    try:
        spec = parse_write_request(
            ctx.json(),
            fields=state.source.module_fields,
            module_id=state.source.module_id,
            uploads=state.uploads,
            mandatory=state.source.mandatory,
        )
    except BulkError as exc:
        raise _zoho(exc) from None
    ctx.require_scope("modules", "CREATE", spec.module)
    charge(ctx, BULK_WRITE_COST)
    job = WriteJob(ctx.backend.ids.next_id(), spec, iso(ctx.backend.clock.now()), state.created_by())
    state.write_jobs[job.id] = job
    state.base_urls[job.id] = _base_url(ctx.request)
    state.submit_write(job)
    return json_response(
        {
            "status": "success",
            "code": "SUCCESS",
            "message": "success",
            "details": {"id": job.id, "created_by": job.created_by},
        },
        status=201,
    )


def _write_job(state: BulkJobs, job_id: str) -> WriteJob:
    job = state.write_jobs.get(job_id)
    if job is None:
        raise ZohoError(400, "RESOURCE_NOT_FOUND", "The requested resource doesn't exist.", {"resource": job_id})
    return job


@route(family="bulk", action="READ")
def get_write_job(ctx: CallContext) -> Response:
    state = bulk_jobs(ctx)
    job = _write_job(state, str(ctx.request.path_params["job_id"]))
    charge(ctx, 1)
    return json_response(job.body(state.download_url(job.id)))


def _zip_response(data: bytes, name: str) -> Response:
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@route(family="bulk", action="READ")
def download_write_result(ctx: CallContext) -> Response:
    state = bulk_jobs(ctx)
    job = _write_job(state, str(ctx.request.path_params["job_id"]))
    if job.state != "COMPLETED" or job.result_zip is None:
        raise ZohoError(400, "RESOURCE_NOT_FOUND", "The requested resource doesn't exist.", {"resource": job.id})
    charge(ctx, 1)
    return _zip_response(job.result_zip, f"{job.id}.zip")


# ---- bulk read -----------------------------------------------------------------------------------------------


@route(family="bulk", action="READ", heavy=True)
def create_read_job(ctx: CallContext) -> Response:
    state = bulk_jobs(ctx)
    try:
        spec = parse_read_request(
            ctx.json(),
            fields=state.source.module_fields,
            module_id=state.source.module_id,
            per_page=ctx.backend.limits.bulk_read_page_size,
            max_page=ctx.backend.limits.bulk_read_max_page,
        )
        validate_read_spec(spec, fields=state.source.fields, get_record=state.source.get_record)
    except BulkError as exc:
        raise _zoho(exc) from None
    ctx.require_scope("modules", "READ", spec.module)
    charge(ctx, BULK_READ_COST)
    job = ReadJob(ctx.backend.ids.next_id(), spec, iso(ctx.backend.clock.now()), state.created_by())
    state.read_jobs[job.id] = job
    state.submit_read(job)
    details = {
        "id": job.id,
        "operation": "read",
        "state": "ADDED",
        "created_by": job.created_by,
        "created_time": job.created_time,
    }
    return json_response(
        {
            "data": [
                {
                    "status": "success",
                    "code": "ADDED_SUCCESSFULLY",
                    "message": "Added successfully.",
                    "details": details,
                }
            ],
            "info": {},
        },
        status=201,
    )


def _read_job(state: BulkJobs, job_id: str, status: int) -> ReadJob:
    job = state.read_jobs.get(job_id)
    if job is None:
        raise ZohoError(status, "RESOURCE_NOT_FOUND", "The requested resource doesn't exist.", {"resource": job_id})
    return job


@route(family="bulk", action="READ")
def get_read_job(ctx: CallContext) -> Response:
    job = _read_job(bulk_jobs(ctx), str(ctx.request.path_params["job_id"]), 404)
    charge(ctx, 1)
    return json_response({"data": [job.body()]})


@route(family="bulk", action="READ")
def download_read_result(ctx: CallContext) -> Response:
    job = _read_job(bulk_jobs(ctx), str(ctx.request.path_params["job_id"]), 400)
    if job.state != "COMPLETED" or job.result_zip is None:
        raise ZohoError(400, "RESOURCE_NOT_FOUND", "The requested resource doesn't exist.", {"resource": job.id})
    charge(ctx, 1)
    return _zip_response(job.result_zip, f"{job.id}.zip")


BULK_ROUTES: list[Route] = [
    Route("/crm/{version}/coql", coql, methods=["POST"]),
    Route("/crm/{version}/upload", upload, methods=["POST"]),
    Route("/crm/bulk/{version}/write", create_write_job, methods=["POST"]),
    Route("/crm/bulk/{version}/write/{job_id}", get_write_job, methods=["GET"]),
    Route("/crm/bulk/{version}/write/{job_id}/result", download_write_result, methods=["GET"]),
    Route("/crm/bulk/{version}/read", create_read_job, methods=["POST"]),
    Route("/crm/bulk/{version}/read/{job_id}", get_read_job, methods=["GET"]),
    Route("/crm/bulk/{version}/read/{job_id}/result", download_read_result, methods=["GET"]),
]
