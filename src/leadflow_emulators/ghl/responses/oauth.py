"""OAuth 2.0 (``/oauth/token``, ``/oauth/locationToken``, ``/oauth/installedLocations``)."""

from __future__ import annotations

from starlette.responses import Response

from leadflow_emulators.ghl.responses.common import COMPANY, Ctx, route


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
