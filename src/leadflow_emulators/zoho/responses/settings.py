"""Metadata and org routes: modules, fields (incl. creating custom fields), layouts, tags, users, org."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from leadflow_emulators.common.jsonresp import empty_response, json_response
from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.metadata import ModuleMeta
from leadflow_emulators.zoho.models.results import RecordError, RecordResult
from leadflow_emulators.zoho.responses.common import CallContext, charge, route

TAG_LIMIT_PER_MODULE = 2000


def _module_param(ctx: CallContext) -> ModuleMeta:
    name = ctx.params.get("module")
    if not name:
        raise ZohoError.required_param("module")
    return ctx.backend.module(name)


def _status(items: list[dict[str, Any]], success: int) -> int:
    ok = sum(1 for item in items if item.get("status") == "success")
    return success if ok == len(items) else (400 if ok == 0 else 207)


@route(family="settings", action="READ", target="modules")
def get_modules(ctx: CallContext) -> Response:
    charge(ctx, 1)
    return json_response({"modules": [meta.to_json() for meta in ctx.backend.modules()]})


@route(family="settings", action="CREATE", target="modules")
def create_modules(ctx: CallContext) -> Response:
    charge(ctx, 1)
    body = ctx.json()
    items = body.get("modules") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise ZohoError.mandatory_missing("modules")
    results = []
    for index, item in enumerate(items):
        label = item.get("plural_label") if isinstance(item, dict) else None
        if not isinstance(label, str) or not label.strip():
            results.append(
                {
                    "code": "MANDATORY_NOT_FOUND",
                    "message": "required field not found",
                    "status": "error",
                    "details": {"api_name": "plural_label", "json_path": f"$.modules[{index}].plural_label"},
                }
            )
            continue
        api_name = str(item.get("api_name") or "_".join(label.split()))
        try:
            meta = ctx.backend.create_module(api_name)
        except ZohoError as error:
            results.append({**error.body(), "details": {**error.details, "json_path": f"$.modules[{index}]"}})
            continue
        results.append(
            {
                "code": "SUCCESS",
                "details": {"id": meta.id, "api_name": meta.api_name},
                "message": "module created",
                "status": "success",
            }
        )
    return json_response({"modules": results}, status=_status(results, 200))


@route(family="settings", action="READ", target="modules")
def get_module(ctx: CallContext) -> Response:
    charge(ctx, 1)
    meta = ctx.backend.module(str(ctx.request.path_params["api_name"]), index=3)
    body = meta.to_json()
    body["fields"] = [field.to_json(meta.api_name, meta.id, ctx.version) for field in meta.fields.values()]
    return json_response({"modules": [body]})


@route(family="settings", action="READ", target="fields")
def get_fields(ctx: CallContext) -> Response:
    charge(ctx, 1)
    meta = _module_param(ctx)
    field_id = ctx.request.path_params.get("field_id")
    fields = [field.to_json(meta.api_name, meta.id, ctx.version) for field in meta.fields.values()]
    if field_id is not None:
        fields = [field for field in fields if field["id"] == field_id or field["api_name"] == field_id]
        if not fields:
            return empty_response(204)
    return json_response({"fields": fields})


@route(family="settings", action="CREATE", target="fields")
def create_fields(ctx: CallContext) -> Response:
    charge(ctx, 1)
    meta = _module_param(ctx)
    body = ctx.json()
    specs = body.get("fields") if isinstance(body, dict) else None
    if not isinstance(specs, list) or not specs:
        raise ZohoError.mandatory_missing("fields")
    results = []
    for index, spec in enumerate(specs):
        try:
            if not isinstance(spec, dict):
                raise RecordError("INVALID_DATA", "invalid data", {"json_path": f"$.fields[{index}]"})
            field = ctx.backend.add_field(meta.api_name, spec, index)
        except RecordError as error:
            results.append(RecordResult.from_error(error).to_json())
            continue
        results.append(
            {
                "code": "SUCCESS",
                "details": {"id": field.id, "api_name": field.api_name},
                "message": "field created",
                "status": "success",
            }
        )
    return json_response({"fields": results}, status=_status(results, 201))


@route(family="settings", action="READ", target="layouts")
def get_layouts(ctx: CallContext) -> Response:
    charge(ctx, 1)
    meta = _module_param(ctx)
    fields = [field.to_json(meta.api_name, meta.id, ctx.version) for field in meta.fields.values()]
    admin = ctx.backend.directory.minified(ctx.backend.directory.current_user_id)
    layout = {
        "id": str(int(meta.id) + 1),
        "name": "Standard",
        "display_label": "Standard",
        "api_name": "Standard",
        "status": "active",
        "visible": True,
        "source": "crm",
        "created_time": "2026-01-01T00:00:00+00:00",
        "modified_time": "2026-01-01T00:00:00+00:00",
        "created_by": admin,
        "modified_by": admin,
        "has_more_profiles": False,
        "profiles": [
            {
                "name": "Administrator",
                "id": "5725767000000026011",
                "default": True,
                "_default_view": {"name": "Standard", "id": str(int(meta.id) + 1), "type": "layout"},
            }
        ],
        "sections": [
            {
                "display_label": f"{meta.singular_label} Information",
                "sequence_number": 1,
                "api_name": f"{meta.singular_label} Information",
                "name": f"{meta.singular_label} Information",
                "column_count": 2,
                "tab_traversal": "left_to_right",
                "isSubformSection": False,
                "generated_type": "default",
                "type": "used",
                "id": str(int(meta.id) + 2),
                "fields": fields,
            }
        ],
    }
    return json_response({"layouts": [layout]})


@route(family="settings", action="READ", target="tags")
def get_tags(ctx: CallContext) -> Response:
    charge(ctx, 1)
    meta = _module_param(ctx)
    tags = ctx.backend.tags(meta.api_name)
    return json_response({"tags": tags, "info": {"count": len(tags), "allowed_count": TAG_LIMIT_PER_MODULE}})


def _tag_details(tag: dict[str, Any]) -> dict[str, Any]:
    return {
        key: tag[key]
        for key in ("created_time", "modified_time", "modified_by", "id", "created_by", "color_code", "name")
    }


@route(family="settings", action="CREATE", target="tags")
def create_tags(ctx: CallContext) -> Response:
    charge(ctx, 1)
    meta = _module_param(ctx)
    body = ctx.json()
    items = body.get("tags") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise ZohoError.mandatory_missing("tags")
    results = []
    for index, item in enumerate(items):
        try:
            tag = ctx.backend.create_tag(meta.api_name, item.get("name") if isinstance(item, dict) else None, index)
        except RecordError as error:
            results.append(RecordResult.from_error(error).to_json())
            continue
        results.append(
            {
                "code": "SUCCESS",
                "details": _tag_details(tag),
                "message": "tags created successfully",
                "status": "success",
            }
        )
    return json_response({"tags": results}, status=_status(results, 201))


@route(family="settings", action="UPDATE", target="tags")
def update_tag(ctx: CallContext) -> Response:
    charge(ctx, 1)
    meta = _module_param(ctx)
    body = ctx.json()
    items = body.get("tags") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        raise ZohoError.mandatory_missing("tags")
    tag = ctx.backend.rename_tag(meta.api_name, str(ctx.request.path_params["tag_id"]), items[0].get("name"))
    return json_response(
        {
            "tags": [
                {
                    "code": "SUCCESS",
                    "details": _tag_details(tag),
                    "message": "tags updated successfully",
                    "status": "success",
                }
            ]
        }
    )


@route(family="settings", action="DELETE", target="tags")
def delete_tag(ctx: CallContext) -> Response:
    charge(ctx, 1)
    tag_id = str(ctx.request.path_params["tag_id"])
    name = ctx.params.get("module")
    modules = [ctx.backend.module(name)] if name else ctx.backend.modules()
    for meta in modules:
        if any(tag["id"] == tag_id for tag in ctx.backend.tags(meta.api_name)):
            tag = ctx.backend.delete_tag(meta.api_name, tag_id)
            return json_response(
                {
                    "tags": [
                        {
                            "code": "SUCCESS",
                            "details": _tag_details(tag),
                            "message": "tags deleted successfully",
                            "status": "success",
                        }
                    ]
                }
            )
    raise ZohoError(400, "INVALID_DATA", "the id given seems to be invalid", {"api_name": "id", "id": tag_id})


@route(family="users", action="READ")
def get_users(ctx: CallContext) -> Response:
    charge(ctx, 1)
    directory = ctx.backend.directory
    user_id = ctx.request.path_params.get("user_id")
    kind = ctx.params.get("type") or "AllUsers"
    users = list(directory.users.values())
    if user_id is not None:
        users = [user for user in users if user["id"] == user_id]
    elif kind == "CurrentUser":
        users = [directory.current_user()]
    elif kind == "AdminUsers":
        users = [user for user in users if user["profile"]["name"] == "Administrator"]
    elif kind not in ("AllUsers", "ActiveUsers", "ActiveConfirmedUsers", "ConfirmedUsers"):
        users = []
    if not users:
        return empty_response(204)
    return json_response(
        {"users": users, "info": {"per_page": 200, "count": len(users), "page": 1, "more_records": False}}
    )


@route(family="org", action="READ")
def get_org(ctx: CallContext) -> Response:
    charge(ctx, 1)
    return json_response({"org": [ctx.backend.directory.org()]})
