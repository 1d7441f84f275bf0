"""OAuth 2.0: ``/oauth/token`` (v2 snake_case or v3 camelCase forms), ``/oauth/locationToken`` and
``/oauth/installedLocations`` (v2), ``/oauth/location-token`` and ``/oauth/installed-locations`` (v3, what
the official SDK calls)."""

from __future__ import annotations

from starlette.responses import Response

from leadflow_emulators.ghl.models.oauth import camel_case
from leadflow_emulators.ghl.responses.common import COMPANY, V3, Ctx, route


@route(version=None, authenticated=False)
def token(ctx: Ctx) -> Response:
    return ctx.ok(ctx.backend.oauth.token(ctx.form()))


@route(scope="oauth.write", token_class=COMPANY)
def location_token(ctx: Ctx) -> Response:
    assert ctx.principal is not None
    return ctx.ok(ctx.backend.oauth.location_token(ctx.principal, ctx.form()))


@route(scope="oauth.readonly", token_class=COMPANY)
def installed_locations(ctx: Ctx) -> Response:
    assert ctx.principal is not None
    return ctx.ok(ctx.backend.oauth.installed_locations(ctx.principal, ctx.params))


@route(version=(V3,), scope="oauth.write", token_class=COMPANY)
def location_token_v3(ctx: Ctx) -> Response:
    assert ctx.principal is not None
    return ctx.ok(camel_case(ctx.backend.oauth.location_token(ctx.principal, ctx.form())))


@route(version=(V3,), scope="oauth.readonly", token_class=COMPANY)
def installed_locations_v3(ctx: Ctx) -> Response:
    assert ctx.principal is not None
    return ctx.ok(ctx.backend.oauth.installed_locations(ctx.principal, ctx.params, v3=True))
