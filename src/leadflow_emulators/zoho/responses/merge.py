"""``POST /{module}/{master_id}/actions/merge``: Zoho's find and merge (see ``models.merge``)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from leadflow_emulators.common.jsonresp import json_response
from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.merge import merge_records
from leadflow_emulators.zoho.models.results import RecordError, RecordResult
from leadflow_emulators.zoho.responses.common import MODULE, CallContext, charge, route

MERGE_COST = 1  # not in Zoho's list of calls that cost more than one credit


def _ids(items: Any, key: str) -> list[str]:
    if not isinstance(items, list):
        raise RecordError("INVALID_DATA", "invalid data", {"api_name": key, "json_path": f"$.merge[0].{key}"})
    out = []
    for index, item in enumerate(items):
        value = item.get("id") if isinstance(item, dict) else None
        if value in (None, ""):
            raise RecordError(
                "MANDATORY_NOT_FOUND",
                "required field not found",
                {"api_name": "id", "json_path": f"$.merge[0].{key}[{index}].id"},
            )
        out.append(str(value))
    return out


def _sources(items: Any) -> dict[str, str]:
    if items is None:
        return {}
    if not isinstance(items, list):
        raise RecordError(
            "INVALID_DATA",
            "invalid data",
            {"api_name": "master_record_fields", "json_path": "$.merge[0].master_record_fields"},
        )
    out: dict[str, str] = {}
    for index, item in enumerate(items):
        path = f"$.merge[0].master_record_fields[{index}]"
        name = item.get("api_name") if isinstance(item, dict) else None
        data = item.get("_data") if isinstance(item, dict) else None
        if not isinstance(name, str) or not isinstance(data, list) or len(data) != 1:
            raise RecordError(
                "MANDATORY_NOT_FOUND", "required field not found", {"api_name": "_data", "json_path": path}
            )
        out[name] = _ids(data, f"master_record_fields[{index}]._data")[0]
    return out


@route(family="modules", action="UPDATE", target=MODULE)
def merge(ctx: CallContext) -> Response:
    body = ctx.json()
    items = body.get("merge") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise ZohoError.mandatory_missing("merge")
    if len(items) > 1:
        raise ZohoError(
            400, "LIMIT_EXCEEDED", "limit exceeded", {"api_name": "merge", "json_path": "$.merge", "maximum_length": 1}
        )
    charge(ctx, MERGE_COST)
    item = items[0] if isinstance(items[0], dict) else {}
    module = ctx.backend.module(str(ctx.request.path_params["module"]), index=0).api_name
    master_id = str(ctx.request.path_params["record_id"])
    try:
        merge_records(
            ctx.backend, module, master_id, _ids(item.get("data"), "data"), _sources(item.get("master_record_fields"))
        )
    except RecordError as error:
        return json_response({"merge": [RecordResult.from_error(error).to_json()]}, status=400)
    return json_response(
        {
            "merge": [
                {
                    "code": "SUCCESS",
                    "details": {"id": master_id},
                    "message": "records merged successfully",
                    "status": "success",
                }
            ]
        },
        status=201,
    )
