"""REST API functions: run a Zoho CRM function by its API name (``/crm/v7/functions/{name}/actions/execute``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from leadflow.errors import ApiError, InputError
from leadflow.zoho.api import ZohoApi

FUNCTIONS_VERSION = "v7"  # Zoho serves REST API functions under /crm/v7 for every API version


@dataclass(frozen=True)
class FunctionResult:
    """What a function returned: Zoho's text and type, and the decoded value for maps and lists.

    Example:
        >>> FunctionResult('{"score": 7}', "map").value
        {'score': 7}
    """

    output: str
    output_type: str

    @property
    def value(self) -> Any:
        if self.output_type in ("map", "list"):
            return json.loads(self.output)
        return self.output


class FunctionsApi:
    """Execute functions with the connection's OAuth token (``auth_type=oauth``) or a function API key.

    Example:
        >>> zoho.functions.execute("score_lead", {"lead_id": "5725767000000412001"}).value  # doctest: +SKIP
        {'score': 7}
    """

    def __init__(self, api: ZohoApi) -> None:
        self.api = api

    def execute(
        self, name: str, arguments: Mapping[str, Any] | None = None, *, method: str = "POST", api_key: str | None = None
    ) -> FunctionResult:
        """Run ``name`` with ``arguments`` (a JSON body for POST, query parameters for GET); 1 credit.

        Example:
            >>> zoho.functions.execute("ping", method="GET").output  # doctest: +SKIP
            'pong'
        """
        if not name or "/" in name:
            raise InputError(f"function name {name!r} is not an API name")
        if method not in ("GET", "POST"):
            raise InputError(f"functions run with GET or POST, not {method}")
        params: dict[str, str] = {"auth_type": "apikey" if api_key else "oauth"}
        if api_key:
            params["zapikey"] = api_key
        body: Any = None
        if method == "GET":
            params.update({key: str(value) for key, value in (arguments or {}).items()})
        else:
            body = {"arguments": dict(arguments or {})}
        url = f"{self.api.root()}/crm/{FUNCTIONS_VERSION}/functions/{name}/actions/execute"
        reply = self.api.call(
            method, url, params=params, json=body, idempotent=method == "GET", label=f"function {name}"
        )
        details = reply.body.get("details") if isinstance(reply.body, dict) else None
        if not isinstance(details, dict) or "output" not in details:
            raise ApiError(f"function {name} answered without an output", status=reply.status)
        return FunctionResult(str(details["output"]), str(details.get("output_type") or "string"))
