"""Record attachments: upload a file or a link, list, download, delete (``/{module}/{id}/Attachments``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from leadflow_emulators.common.clock import iso
from leadflow_emulators.common.jsonresp import empty_response, json_response
from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.attachments import MAX_ATTACHMENT_BYTES, Attachment
from leadflow_emulators.zoho.responses.common import MODULE, CallContext, api_call, charge, int_param, route

MAX_PER_PAGE = 200


def _parent(ctx: CallContext) -> tuple[str, str]:
    module = ctx.backend.module(str(ctx.request.path_params["module"]), index=0).api_name
    record_id = str(ctx.request.path_params["record_id"])
    if ctx.backend.get_stored(module, record_id) is None:
        raise ZohoError(400, "INVALID_DATA", "the related id given seems to be invalid", {"resource_path_index": 1})
    return module, record_id


def render(ctx: CallContext, item: Attachment) -> dict[str, Any]:
    user = ctx.backend.directory.minified(item.user_id)
    return {
        "Owner": user,
        "Modified_By": user,
        "Created_By": user,
        "Parent_Id": {"id": item.parent_id, "name": ctx.backend.display_name(item.module, item.parent_id) or ""},
        "$sharing_permission": "full_access",
        "$attachment_type": 1 if item.link_url is None else 3,
        "id": item.id,
        "Modified_Time": item.created_time,
        "Created_Time": item.created_time,
        "File_Name": item.file_name,
        "Size": str(item.size),
        "$editable": True,
        "$file_id": item.id if item.link_url is None else "",
        "$type": item.kind,
        "$se_module": item.module,
        "$state": "save",
        "$link_url": item.link_url,
    }


def _created(ctx: CallContext, item: Attachment) -> Response:
    user = ctx.backend.directory.minified(item.user_id)
    details = {
        "Modified_Time": item.created_time,
        "Modified_By": user,
        "Created_Time": item.created_time,
        "id": item.id,
        "Created_By": user,
    }
    return json_response(
        {
            "data": [
                {
                    "code": "SUCCESS",
                    "details": details,
                    "message": "attachment uploaded successfully",
                    "status": "success",
                }
            ]
        }
    )


async def upload(request: Request) -> Response:
    """A multipart ``file`` (at most 20 MB) or an ``attachmentUrl`` query parameter (a link)."""
    await request.body()  # cached, so that the auth wrapper can read it again after the form
    file_name: str | None = None
    data: bytes | None = None
    too_large = False
    if request.headers.get("content-type", "").startswith("multipart/"):
        try:
            form = await request.form(max_part_size=MAX_ATTACHMENT_BYTES + 1)
            item = form.get("file")
            if isinstance(item, UploadFile):
                file_name = item.filename or "attachment"
                data = await item.read()
                too_large = len(data) > MAX_ATTACHMENT_BYTES
        except Exception:  # starlette refuses a part over max_part_size
            too_large = True

    def handle(ctx: CallContext) -> Response:
        module, record_id = _parent(ctx)
        link = ctx.params.get("attachmentUrl")
        if too_large:
            raise ZohoError(
                400,
                "FILE_SIZE_MORE_THAN_ALLOWED_SIZE",
                "Please upload a file of size less than 20 MB",
                {"maximum_size": f"{MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB"},
            )
        if data is None and not link:
            raise ZohoError.required_param("file")
        if link and urlsplit(link).scheme not in ("http", "https"):
            raise ZohoError(400, "INVALID_DATA", "invalid data", {"param": "attachmentUrl"})
        charge(ctx, 1)
        user = ctx.backend.directory.current_user_id
        item = ctx.backend.features.attachments.add(
            module,
            record_id,
            file_name=file_name if data is not None else (ctx.params.get("title") or link),
            data=data,
            link_url=None if data is not None else link,
            user_id=user,
            now=iso(ctx.backend.clock.now()),
        )
        return _created(ctx, item)

    return await api_call(request, family="modules", action="CREATE", target="Attachments", handler=handle)


@route(family="modules", action="READ", target=MODULE)
def list_attachments(ctx: CallContext) -> Response:
    module, record_id = _parent(ctx)
    if ctx.version not in ("v2", "v2.1") and not ctx.params.get("fields"):
        raise ZohoError.required_param("fields")
    charge(ctx, 1)
    per_page = int_param(ctx, "per_page", MAX_PER_PAGE, maximum=MAX_PER_PAGE)
    page = int_param(ctx, "page", 1)
    items = ctx.backend.features.attachments.of(module, record_id)
    chunk = items[(page - 1) * per_page : page * per_page]
    if not chunk:
        return empty_response(204)
    info = {"per_page": per_page, "page": page, "count": len(chunk), "more_records": page * per_page < len(items)}
    return json_response({"data": [render(ctx, item) for item in chunk], "info": info})


@route(family="modules", action="READ", target=MODULE)
def download(ctx: CallContext) -> Response:
    module, record_id = _parent(ctx)
    charge(ctx, 1)
    item = ctx.backend.features.attachments.get(module, record_id, str(ctx.request.path_params["attachment_id"]))
    if item is None:
        return empty_response(204)
    if item.data is None:  # a link has no file to download
        raise ZohoError(400, "INVALID_DATA", "the attachment is a link", {"resource_path_index": 3})
    headers = {"Content-Disposition": f'attachment; filename="{item.file_name}"'}
    return Response(item.data, media_type="application/octet-stream", headers=headers)


@route(family="modules", action="DELETE", target=MODULE)
def delete(ctx: CallContext) -> Response:
    module, record_id = _parent(ctx)
    charge(ctx, 1)
    path_id = ctx.request.path_params.get("attachment_id")
    ids = [str(path_id)] if path_id is not None else [i for i in (ctx.params.get("ids") or "").split(",") if i]
    if not ids:
        raise ZohoError.required_param("ids")
    store = ctx.backend.features.attachments
    results = []
    for attachment_id in ids:
        if store.get(module, record_id, attachment_id) is None:
            results.append(
                {
                    "code": "INVALID_DATA",
                    "details": {"id": attachment_id},
                    "message": "the id given seems to be invalid",
                    "status": "error",
                }
            )
            continue
        store.delete(attachment_id)
        results.append(
            {"code": "SUCCESS", "details": {"id": attachment_id}, "message": "record deleted", "status": "success"}
        )
    ok = sum(1 for result in results if result["status"] == "success")
    return json_response({"data": results}, status=200 if ok == len(results) else (400 if ok == 0 else 207))
