"""Related lists: ``settings/related_lists``, a record's related records, notes created on a record."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from leadflow_emulators.common.jsonresp import empty_response, json_response
from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.activities import related_list, related_lists, related_records
from leadflow_emulators.zoho.models.limits import write_cost
from leadflow_emulators.zoho.models.metadata import module_ids
from leadflow_emulators.zoho.responses.common import MODULE, CallContext, batch_status, charge, int_param, route

MAX_PER_PAGE = 200


@route(family="settings", action="READ", target="related_lists")
def get_related_lists(ctx: CallContext) -> Response:
    charge(ctx, 1)
    name = ctx.params.get("module")
    if not name:
        raise ZohoError.required_param("module")
    try:
        meta = ctx.backend.module(name)
    except ZohoError as error:  # a query parameter: Zoho names it (related_lists.json InvalidParamError)
        raise ZohoError(400, error.code, error.message, {"param": "module"}) from None
    ids = module_ids()
    items = [
        item.to_json(meta.api_name, number, ids.get(item.module) or _module_id(ctx, item.module), ctx.version)
        for number, item in enumerate(related_lists(meta.api_name), start=1)
    ]
    wanted = ctx.request.path_params.get("list_id")
    if wanted is not None:
        items = [item for item in items if item["id"] == wanted]
        if not items:
            return empty_response(204)
    return json_response({"related_lists": items})


def _module_id(ctx: CallContext, module: str) -> str | None:
    try:
        return ctx.backend.module(module).id
    except ZohoError:
        return None


def _fields(ctx: CallContext, module: str) -> list[str] | None:
    raw = ctx.params.get("fields")
    if not raw:
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    known = ctx.backend.fields(module)
    for name in names:
        if name != "id" and name not in known:
            raise ZohoError(400, "INVALID_DATA", "invalid data", {"api_name": name, "param": "fields"})
    return names


@route(family="modules", action="READ", target=MODULE)
def get_related_records(ctx: CallContext) -> Response:
    charge(ctx, 1)
    module = str(ctx.request.path_params["module"])
    api_name = str(ctx.request.path_params["related"])
    listing = related_list(ctx.backend.module(module, index=1).api_name, api_name)
    records = related_records(ctx.backend, module, str(ctx.request.path_params["record_id"]), api_name)
    per_page = int_param(ctx, "per_page", MAX_PER_PAGE, maximum=MAX_PER_PAGE)
    page = int_param(ctx, "page", 1)
    records.sort(key=lambda record: (record.get("Modified_Time") or "", int(record["id"])), reverse=True)
    chunk = records[(page - 1) * per_page : page * per_page]
    if not chunk:
        return empty_response(204)
    fields = _fields(ctx, listing.module)
    with ctx.backend.lock:
        data = [ctx.backend.render(listing.module, record, fields) for record in chunk]
    info: dict[str, Any] = {
        "per_page": per_page,
        "count": len(data),
        "page": page,
        "more_records": page * per_page < len(records),
    }
    return json_response({"data": data, "info": info})


@route(family="modules", action="CREATE", target="Notes")
def create_record_notes(ctx: CallContext) -> Response:
    """``POST /crm/v2/{module}/{id}/Notes``: notes whose parent is the record in the path (v2 and v2.1 only;
    later versions create notes through ``POST /Notes`` with ``Parent_Id``)."""

    if ctx.version not in ("v2", "v2.1"):
        raise ZohoError.invalid_url()
    module = ctx.backend.module(str(ctx.request.path_params["module"]), index=1).api_name
    if str(ctx.request.path_params["related"]).lower() != "notes":
        raise ZohoError.invalid_url()
    record_id = str(ctx.request.path_params["record_id"])
    if ctx.backend.get_stored(module, record_id) is None:
        raise ZohoError(400, "INVALID_DATA", "the related id given seems to be invalid", {"resource_path_index": 2})
    body = ctx.json()
    rows = body.get("data") if isinstance(body, dict) else None
    if not isinstance(rows, list) or not rows:
        raise ZohoError.mandatory_missing("data")
    charge(ctx, write_cost(len(rows)))
    parent = {"id": record_id, "module": {"api_name": module}}
    rows = [dict(row, Parent_Id=parent) if isinstance(row, dict) else row for row in rows]
    results = [result.to_json() for result in ctx.backend.insert("Notes", rows)]
    return json_response({"data": results}, status=batch_status(results, created=True))
