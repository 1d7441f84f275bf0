"""Opportunities API v2: pipelines, opportunities, status, search."""

from __future__ import annotations

from starlette.responses import Response

from leadflow_emulators.ghl.models import validation as v
from leadflow_emulators.ghl.responses.common import Ctx, route

READ = "opportunities.readonly"
WRITE = "opportunities.write"


@route(scope=READ)
def pipelines(ctx: Ctx) -> Response:
    ctx.check_location(ctx.params.get("locationId"))
    return ctx.ok({"pipelines": ctx.backend.opportunities.pipelines()})


@route(scope=READ)
def search_opportunities(ctx: Ctx) -> Response:
    params = ctx.params
    ctx.check_location(
        params.get("location_id") or params.get("locationId")
    )  # v2 spec: location_id; v3/SDK: locationId
    page, meta = ctx.backend.opportunities.search(params)
    return ctx.ok(
        {"opportunities": [ctx.backend.opportunities.render(doc) for doc in page], "meta": meta, "aggregations": {}}
    )


@route(scope=WRITE)
def create_opportunity(ctx: Ctx) -> Response:
    body = v.check_body(ctx.json(), v.CREATE_OPPORTUNITY)
    return ctx.ok({"opportunity": ctx.backend.opportunities.render(ctx.backend.opportunities.create(body))}, status=201)


@route(scope=READ)
def get_opportunity(ctx: Ctx) -> Response:
    return ctx.ok({"opportunity": ctx.backend.opportunities.render(ctx.backend.opportunities.get(ctx.path("id")))})


@route(scope=WRITE)
def update_opportunity(ctx: Ctx) -> Response:
    body = v.check_body(ctx.json(), v.UPDATE_OPPORTUNITY)
    return ctx.ok(
        {"opportunity": ctx.backend.opportunities.render(ctx.backend.opportunities.update(ctx.path("id"), body))}
    )


@route(scope=WRITE)
def update_status(ctx: Ctx) -> Response:
    body = v.check_body(ctx.json(), v.OPPORTUNITY_STATUS_BODY, required=("status",))
    ctx.backend.opportunities.set_status(ctx.path("id"), body["status"])
    return ctx.ok({"succeded": True})


@route(scope=WRITE)
def delete_opportunity(ctx: Ctx) -> Response:
    ctx.backend.opportunities.delete(ctx.path("id"))
    return ctx.ok({"succeded": True})
