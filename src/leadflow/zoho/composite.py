"""Composite requests: up to five API calls in one round trip, optionally all-or-nothing.

Zoho charges a composite call the credits of its sub-requests; :class:`SubRequest` works out each one's
cost (writes 1 per 10 records, lead conversion 5, anything else 1) so the credit budget sees the
true figure before the call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadflow.errors import ApiError, InputError
from leadflow.zoho.api import ZohoApi
from leadflow.zoho.credits import CONVERT_COST, write_cost

MAX_SUB_REQUESTS = 5
_SUB_REQUEST_ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_]*$")
_WRITES = ("POST", "PUT", "PATCH")


def ref(sub_request_id: str, json_path: str) -> str:
    """A reference to an earlier sub-request's answer, for a later one's path, params or body.

    Example:
        >>> ref("lead", "$.data[0].details.id")
        '@{lead:$.data[0].details.id}'
    """
    return f"@{{{sub_request_id}:{json_path}}}"


@dataclass(frozen=True)
class SubRequest:
    """One call inside a composite request; ``path`` is relative to ``/crm/{version}/``.

    Example:
        >>> SubRequest("POST", "Leads", body={"data": [{"Last_Name": "Ng"}]}, sub_request_id="lead").cost
        1
    """

    method: str
    path: str
    params: Mapping[str, Any] = field(default_factory=dict)
    body: Any = None
    sub_request_id: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def cost(self) -> int:
        if self.path.rstrip("/").endswith("actions/convert"):
            return CONVERT_COST
        records = self.body.get("data") if isinstance(self.body, dict) else None
        if self.method.upper() in _WRITES and isinstance(records, list):
            return write_cost(len(records))
        return 1


@dataclass(frozen=True)
class SubResponse:
    """A sub-request's outcome: its HTTP status and body, or Zoho's code when it did not run or was undone.

    Example:
        >>> SubResponse(201, {"data": []}, "SUCCESS").ok
        True
    """

    status_code: int | None
    body: Any
    code: str
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.code == "SUCCESS" and self.status_code is not None and self.status_code < 400


class CompositeApi:
    """``POST /__composite_requests``.

    Example:
        >>> answers = zoho.composite.run([SubRequest("POST", "Leads", body={"data": [{"Last_Name": "Ng"}]},
        ...                                          sub_request_id="lead"),
        ...                               SubRequest("GET", f"Leads/{ref('lead', '$.data[0].details.id')}")])
        ... # doctest: +SKIP
        >>> [a.status_code for a in answers]  # doctest: +SKIP
        [201, 200]
    """

    def __init__(self, api: ZohoApi) -> None:
        self.api = api

    def run(
        self, requests: Sequence[SubRequest], *, rollback_on_fail: bool = False, parallel_execution: bool | None = None
    ) -> list[SubResponse]:
        """Send up to five sub-requests in one call; with ``rollback_on_fail`` a failure undoes the earlier ones.

        Example:
            >>> [a.ok for a in zoho.composite.run([SubRequest("GET", "org")])]  # doctest: +SKIP
            [True]
        """
        if not requests:
            raise InputError("a composite request needs at least one sub-request")
        if len(requests) > MAX_SUB_REQUESTS:
            raise InputError(f"Zoho runs at most {MAX_SUB_REQUESTS} sub-requests in one composite call")
        if rollback_on_fail and parallel_execution:
            raise InputError("Zoho cannot run sub-requests in parallel when it has to roll them back")
        ids = [request.sub_request_id for request in requests if request.sub_request_id is not None]
        if len(ids) != len(set(ids)) or not all(_SUB_REQUEST_ID.match(name) for name in ids):
            raise InputError(f"sub_request_id values must be unique and match {_SUB_REQUEST_ID.pattern}: {ids}")
        body: dict[str, Any] = {
            "rollback_on_fail": rollback_on_fail,
            "__composite_requests": [
                {
                    "method": request.method.upper(),
                    "uri": f"/crm/{self.api.version}/{request.path.lstrip('/')}",
                    "params": dict(request.params),
                    "headers": dict(request.headers),
                    **({"body": request.body} if request.body is not None else {}),
                    **({"sub_request_id": request.sub_request_id} if request.sub_request_id else {}),
                }
                for request in requests
            ],
        }
        if parallel_execution is not None:
            body["parallel_execution"] = parallel_execution
        reply = self.api.call(
            "POST",
            self.api.crm_url("__composite_requests"),
            json=body,
            cost=sum(request.cost for request in requests),
            idempotent=False,
            batch=True,
            label="composite",
        )
        items = reply.body.get("__composite_requests") if isinstance(reply.body, dict) else None
        if not isinstance(items, list) or len(items) != len(requests):
            raise ApiError("composite answer does not have one item per sub-request", status=reply.status)
        return [_sub_response(item) for item in items]


def _sub_response(item: Any) -> SubResponse:
    item = item if isinstance(item, dict) else {}
    details = item.get("details") if isinstance(item.get("details"), dict) else {}
    response = details.get("response") if isinstance(details.get("response"), dict) else None
    if response is not None:
        return SubResponse(response.get("status_code"), response.get("body"), str(item.get("code") or ""))
    return SubResponse(None, None, str(item.get("code") or ""), dict(details))
