"""Workflows, users and calendars/appointments."""

from __future__ import annotations

from starlette.responses import Response

from leadflow_emulators.ghl.models import validation as v
from leadflow_emulators.ghl.responses.common import V2_CONVERSATIONS, Ctx, route

CALENDARS = V2_CONVERSATIONS  # calendars answer to Version 2021-04-15 as conversations do


@route(scope="workflows.readonly")
def list_workflows(ctx: Ctx) -> Response:
    ctx.check_location(ctx.params.get("locationId"))
    return ctx.ok({"workflows": ctx.backend.directory.workflows()})


@route(scope="users.readonly")
def list_users(ctx: Ctx) -> Response:
    ctx.check_location(ctx.params.get("locationId"))
    return ctx.ok({"users": ctx.backend.directory.users()})


@route(scope="users.readonly")
def get_user(ctx: Ctx) -> Response:
    return ctx.ok(ctx.backend.directory.user(ctx.path("userId")))


@route(version=CALENDARS, scope="calendars.readonly")
def list_calendars(ctx: Ctx) -> Response:
    ctx.check_location(ctx.params.get("locationId"))
    return ctx.ok({"calendars": ctx.backend.directory.calendars()})


@route(version=CALENDARS, scope="calendars/events.write")
def create_appointment(ctx: Ctx) -> Response:
    body = v.check_body(ctx.json(), v.APPOINTMENT)
    return ctx.ok(ctx.backend.directory.book(body), status=201)


@route(version=CALENDARS, scope="calendars/events.readonly")
def get_appointment(ctx: Ctx) -> Response:
    return ctx.ok({"appointment": ctx.backend.directory.appointment(ctx.path("eventId"))})
