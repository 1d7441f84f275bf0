"""What every Zoho API route shares: auth and scopes, credits, the sub-concurrency gate, latency faults,
body parsing and the error envelope. ``api_call`` does it around a handler that does the work; ``route``
(the kit's ``api_route`` bound to ``api_call``) turns a handler into a route.

Example (a route; ``MODULE`` takes the scope's target from the path):
    @route(family="modules", action="READ", target=MODULE)
    def get_record(ctx: CallContext) -> Response:
        ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from leadflow_emulators.common.jsonresp import parse_json_body
from leadflow_emulators.common.routes import Endpoint, PathParam, api_route
from leadflow_emulators.zoho.exceptions import ZohoError, render_error
from leadflow_emulators.zoho.models import ZohoBackend
from leadflow_emulators.zoho.models.oauth import scope_allows

SUPPORTED_VERSIONS = frozenset({"v2", "v2.1", "v3", "v4", "v5", "v6", "v7", "v8"})


def backend_of(request: Request) -> ZohoBackend:
    backend: ZohoBackend = request.app.state.backend
    return backend


@dataclass
class CallContext:
    """One API call: the backend, the request's params and body, and the credits to charge."""

    request: Request
    backend: ZohoBackend
    body: bytes
    token: dict[str, Any]
    cost: int = 1
    _json: Any = field(default=None, repr=False)
    _parsed: bool = False

    @property
    def params(self) -> Any:
        return self.request.query_params

    @property
    def version(self) -> str:
        return str(self.request.path_params.get("version", "v8"))

    def json(self) -> Any:
        """The body as JSON whatever the Content-Type (the Zoho SDK sends none); INVALID_DATA "body" if bad."""
        if not self._parsed:
            try:
                self._json = parse_json_body(self.body)
            except ValueError:
                raise ZohoError.invalid_body() from None
            self._parsed = True
        return self._json

    def require_scope(self, family: str, action: str, target: str | None = None) -> None:
        if not scope_allows(self.token["scope"], family, action, target):
            raise ZohoError.scope_mismatch()


Handler = Callable[[CallContext], Response]


async def api_call(
    request: Request,
    *,
    family: str,
    action: str,
    handler: Handler,
    target: str | None = None,
    heavy: Callable[[CallContext], bool] | bool = False,
) -> Response:
    """Authenticate, check the scope, run ``handler`` inside the gates, charge ``ctx.cost`` credits.

    Credits are charged before the work (a refused call costs nothing); handlers set ``ctx.cost`` from
    the request (e.g. 1 per 10 records) through ``charge_for``.
    """
    backend = backend_of(request)
    credit_headers: dict[str, str] = {}
    entered_heavy = False
    try:
        version = request.path_params.get("version")
        if version is not None and version not in SUPPORTED_VERSIONS:
            raise ZohoError.invalid_url()
        token = backend.oauth.check(request.headers.get("authorization"))
        ctx = CallContext(request=request, backend=backend, body=await request.body(), token=token)
        ctx.require_scope(family, action, target)
        if heavy if isinstance(heavy, bool) else heavy(ctx):
            backend.gate.enter_heavy()
            entered_heavy = True
        await backend.faults.delay()
        response = handler(ctx)
    except ZohoError as error:
        return render_error(error, {**backend.credits.headers(), **credit_headers})
    finally:
        if entered_heavy:
            backend.gate.leave_heavy()
    response.headers.update(backend.credits.headers())
    return response


MODULE = PathParam("module")  # the scope target of record routes: the module in the path


def route(
    *,
    family: str,
    action: str,
    target: str | PathParam | None = None,
    heavy: Callable[[CallContext], bool] | bool = False,
) -> Callable[[Handler], Endpoint]:
    """Decorate a handler into a Zoho API route run through ``api_call`` with these options."""
    return api_route(api_call, family=family, action=action, target=target, heavy=heavy)


def charge(ctx: CallContext, cost: int) -> None:
    """Spend the call's credits now (raises LIMIT_EXCEEDED when the 24 h allowance is used up)."""
    ctx.cost = cost
    ctx.backend.credits.charge(cost)


def int_param(ctx: CallContext, name: str, default: int, *, minimum: int = 1, maximum: int | None = None) -> int:
    raw = ctx.params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ZohoError(400, "INVALID_DATA", "invalid data", {"param": name, "expected_data_type": "integer"}) from None
    if value < minimum or (maximum is not None and value > maximum):
        details: dict[str, Any] = {"param": name, "minimum": minimum}
        if maximum is not None:
            details["maximum"] = maximum
        raise ZohoError(400, "INVALID_DATA", "invalid data", details)
    return value


def batch_status(results: list[dict[str, Any]], *, created: bool) -> int:
    """Zoho's batch status: 201 all created, 200 all updated, 207 mixed, 400 all failed."""
    ok = sum(1 for result in results if result.get("status") == "success")
    if ok == len(results):
        if created and all(result.get("action", "insert") == "insert" for result in results):
            return 201
        return 200
    if ok == 0:
        if results and all(result.get("code") == "ALREADY_MODIFIED" for result in results):
            return 412
        return 400
    return 207
