"""Locations API v2: the sub-account with its settings, custom fields, custom values and tags."""

from __future__ import annotations

from starlette.responses import Response

from leadflow_emulators.ghl.models import validation as v
from leadflow_emulators.ghl.models.core import public
from leadflow_emulators.ghl.responses.common import Ctx, route


def _location(ctx: Ctx) -> str:
    location_id = ctx.path("locationId")
    ctx.check_location(location_id)
    return location_id


@route(scope="locations.readonly", token_class=None)
def get_location(ctx: Ctx) -> Response:
    return ctx.ok({"location": public(ctx.backend.directory.location(_location(ctx)))})


@route(scope="locations/customFields.readonly")
def list_custom_fields(ctx: Ctx) -> Response:
    _location(ctx)
    return ctx.ok({"customFields": ctx.backend.custom_fields.all(ctx.params.get("model", "all"))})


@route(scope="locations/customFields.write")
def create_custom_field(ctx: Ctx) -> Response:
    _location(ctx)
    body = v.check_body(ctx.json(), v.CUSTOM_FIELD, required=("name", "dataType"))
    return ctx.ok({"customField": ctx.backend.custom_fields.create(body)}, status=201)


@route(scope="locations/customFields.readonly")
def get_custom_field(ctx: Ctx) -> Response:
    _location(ctx)
    return ctx.ok({"customField": ctx.backend.custom_fields.get(ctx.path("id"))})


@route(scope="locations/customFields.write")
def update_custom_field(ctx: Ctx) -> Response:
    _location(ctx)
    body = v.check_body(ctx.json(), v.CUSTOM_FIELD)
    return ctx.ok({"customField": ctx.backend.custom_fields.update(ctx.path("id"), body)})


@route(scope="locations/customFields.write")
def delete_custom_field(ctx: Ctx) -> Response:
    _location(ctx)
    ctx.backend.custom_fields.delete(ctx.path("id"))
    return ctx.ok({"succeded": True})


@route(scope="locations/customValues.readonly")
def list_custom_values(ctx: Ctx) -> Response:
    _location(ctx)
    return ctx.ok({"customValues": ctx.backend.directory.custom_values()})


@route(scope="locations/customValues.write")
def create_custom_value(ctx: Ctx) -> Response:
    _location(ctx)
    body = v.check_body(ctx.json(), v.CUSTOM_VALUE, required=("name", "value"))
    return ctx.ok({"customValue": ctx.backend.directory.put_custom_value(body)}, status=201)


@route(scope="locations/customValues.readonly")
def get_custom_value(ctx: Ctx) -> Response:
    _location(ctx)
    return ctx.ok({"customValue": ctx.backend.directory.custom_value(ctx.path("id"))})


@route(scope="locations/customValues.write")
def update_custom_value(ctx: Ctx) -> Response:
    _location(ctx)
    body = v.check_body(ctx.json(), v.CUSTOM_VALUE)
    return ctx.ok({"customValue": ctx.backend.directory.put_custom_value(body, ctx.path("id"))})


@route(scope="locations/customValues.write")
def delete_custom_value(ctx: Ctx) -> Response:
    _location(ctx)
    ctx.backend.directory.delete_custom_value(ctx.path("id"))
    return ctx.ok({"succeded": True})


@route(scope="locations/tags.readonly")
def list_tags(ctx: Ctx) -> Response:
    _location(ctx)
    return ctx.ok({"tags": ctx.backend.directory.tags()})


@route(scope="locations/tags.write")
def create_tag(ctx: Ctx) -> Response:
    _location(ctx)
    body = v.check_body(ctx.json(), v.LOCATION_TAG, required=("name",))
    return ctx.ok({"tag": ctx.backend.directory.create_tag(body["name"])})


@route(scope="locations/tags.readonly")
def get_tag(ctx: Ctx) -> Response:
    _location(ctx)
    return ctx.ok({"tag": ctx.backend.directory.tag(ctx.path("tagId"))})


@route(scope="locations/tags.write")
def update_tag(ctx: Ctx) -> Response:
    _location(ctx)
    body = v.check_body(ctx.json(), v.LOCATION_TAG, required=("name",))
    return ctx.ok({"tag": ctx.backend.directory.rename_tag(ctx.path("tagId"), body["name"])})


@route(scope="locations/tags.write")
def delete_tag(ctx: Ctx) -> Response:
    _location(ctx)
    ctx.backend.directory.delete_tag(ctx.path("tagId"))
    return ctx.ok({"succeded": True})
