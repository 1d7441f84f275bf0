"""``GET|POST /crm/{version}/functions/{name}/actions/execute``: run a REST API function.

``auth_type=oauth`` (the default) takes the usual token; ``auth_type=apikey`` takes ``zapikey`` instead.
Arguments come from the query string, an ``arguments`` parameter holding a JSON object, and a JSON body.
"""

from __future__ import annotations

import ast
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from leadflow_emulators.common.jsonresp import json_response, parse_json_body
from leadflow_emulators.zoho.exceptions import ZohoError, render_error
from leadflow_emulators.zoho.models.functions import Function, FunctionFailed
from leadflow_emulators.zoho.responses.common import CallContext, api_call, backend_of, charge

_RESERVED = ("auth_type", "zapikey", "arguments")


def _parse_arguments(raw: str) -> Any:
    """The ``arguments`` parameter: JSON, or the Python-style map the official SDK sends (``str(dict)``)."""
    try:
        return json.loads(raw)
    except ValueError:
        return ast.literal_eval(raw)


def _arguments(request: Request, body: bytes) -> dict[str, Any]:
    arguments: dict[str, Any] = {key: value for key, value in request.query_params.items() if key not in _RESERVED}
    for raw in (request.query_params.get("arguments"), body):
        if not raw:
            continue
        try:
            parsed = _parse_arguments(raw) if isinstance(raw, str) else parse_json_body(raw)
        except (ValueError, SyntaxError):
            raise ZohoError(400, "INVALID_DATA", "invalid data", {"param": "arguments"}) from None
        if isinstance(parsed, dict):
            inner = parsed.get("arguments")
            arguments.update(inner if isinstance(inner, dict) else parsed)
        elif parsed is not None:
            raise ZohoError(
                400, "INVALID_DATA", "invalid data", {"param": "arguments", "expected_data_type": "jsonobject"}
            )
    return arguments


def _function(request: Request) -> Function:
    name = str(request.path_params["name"])
    function = backend_of(request).features.functions.get(name)
    if function is None:
        raise ZohoError(
            404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one", {"function": name}
        )
    return function


def _run(function: Function, arguments: dict[str, Any], user_id: str) -> Response:
    try:
        output = function.run(arguments)
    except FunctionFailed as error:
        return json_response(
            {
                "code": "FUNCTION_EXECUTION_FAILURE",
                "details": {"name": function.name},
                "message": str(error),
                "status": "error",
            },
            status=400,
        )
    kind = "map" if isinstance(output, dict) else "list" if isinstance(output, list) else "string"
    text = output if isinstance(output, str) else json.dumps(output)
    return json_response(
        {
            "code": "success",
            "details": {"output": text, "output_type": kind, "id": user_id},
            "message": "function executed successfully",
        }
    )


async def execute(request: Request) -> Response:
    backend = backend_of(request)
    body = await request.body()
    if request.query_params.get("auth_type") == "apikey":
        try:
            function = _function(request)
            if not request.query_params.get("zapikey") or request.query_params["zapikey"] != function.api_key:
                raise ZohoError.invalid_token()
            backend.credits.charge(1)
            return _run(function, _arguments(request, body), backend.directory.current_user_id)
        except ZohoError as error:
            return render_error(error, backend.credits.headers())

    def handle(ctx: CallContext) -> Response:
        function = _function(ctx.request)
        arguments = _arguments(ctx.request, body)
        charge(ctx, 1)
        return _run(function, arguments, backend.directory.current_user_id)

    action = "READ" if request.method == "GET" else "CREATE"
    return await api_call(request, family="functions", action=action, target="execute", handler=handle)
