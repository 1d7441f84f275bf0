"""Deal pipelines: ``GET /settings/pipeline?layout_id=`` (stages with forecast category and type)."""

from __future__ import annotations

from starlette.responses import Response

from leadflow_emulators.common.jsonresp import json_response
from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.deals import pipelines_json
from leadflow_emulators.zoho.responses.common import CallContext, charge, route


def layout_id(ctx: CallContext) -> str:
    """The Deals layout's id (the emulator has one layout per module: the module id + 1)."""
    return str(int(ctx.backend.module("Deals").id) + 1)


@route(family="settings", action="READ", target="pipeline")
def get_pipelines(ctx: CallContext) -> Response:
    charge(ctx, 1)
    wanted = ctx.params.get("layout_id")
    if not wanted:
        raise ZohoError.required_param("layout_id")
    if wanted != layout_id(ctx):
        raise ZohoError(400, "INVALID_DATA", "invalid data", {"param": "layout_id"})
    stage = ctx.backend.fields("Deals")["Stage"]
    ids = {value: f"{stage.id[:-3]}{number:03d}" for number, value in enumerate(stage.pick_list_values, start=1)}
    pipelines = pipelines_json(ids)
    pipeline_id = ctx.request.path_params.get("pipeline_id")
    if pipeline_id is not None:
        pipelines = [item for item in pipelines if item["id"] == pipeline_id]
        if not pipelines:
            raise ZohoError(400, "INVALID_DATA", "invalid data", {"resource_path_index": 3})
    return json_response({"pipeline": pipelines})
