"""``POST /crm/{version}/__composite_requests``: up to five sub-requests in one call.

Each sub-request goes through the emulator's own routes (auth, scopes, credits, limits, faults), so a
composite call costs the credits of its sub-requests, as with Zoho. Answers come back in order as
``{"code": "SUCCESS", "details": {"response": {"status_code", "headers", "body"}}, ...}``; with
``rollback_on_fail`` the first failing sub-request (status 400 or more) undoes the ones before it
(``ROLLBACK_PERFORMED``) and the later ones are not run (``PROCESSING_STOPPED``).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response

from leadflow_emulators.common.jsonresp import json_response, parse_json_body
from leadflow_emulators.zoho.exceptions import ZohoError, render_error
from leadflow_emulators.zoho.models.composite import Snapshot, SubRequest, parse_request, resolve_references
from leadflow_emulators.zoho.models.oauth import scope_allows
from leadflow_emulators.zoho.responses.common import SUPPORTED_VERSIONS, backend_of

_HOP_HEADERS = ("content-length", "transfer-encoding", "connection")


def _answer(status: int, headers: httpx.Headers, body: Any) -> dict[str, Any]:
    kept = {key: value for key, value in headers.items() if key.lower() not in _HOP_HEADERS}
    return {
        "code": "SUCCESS",
        "details": {"response": {"status_code": status, "headers": kept, "body": body}},
        "message": "success",
        "status": "success",
    }


async def _run(
    client: httpx.AsyncClient, sub: SubRequest, answers: dict[str, Any], authorization: str
) -> tuple[int, dict[str, Any]]:
    try:
        uri = resolve_references(sub.uri, answers)
        params = resolve_references(sub.params, answers)
        body = resolve_references(sub.body, answers)
    except (KeyError, IndexError, TypeError):
        error = {
            "code": "INVALID_REFERENCE",
            "details": {
                "api_name": "uri",
                "json_path": f"$.__composite_requests[{sub.index}]",
                "reference": ",".join(sorted(sub.refers_to)),
            },
            "message": "the reference could not be resolved",
            "status": "error",
        }
        return 400, error
    content = None if body is None else json.dumps(body).encode()
    reply = await client.request(
        sub.method,
        str(uri),
        params={key: str(value) for key, value in params.items()},
        content=content,
        headers={**sub.headers, "Authorization": authorization},
    )
    parsed = parse_json_body(reply.content) if reply.content else None
    if sub.sub_request_id is not None:
        answers[sub.sub_request_id] = parsed
    return reply.status_code, _answer(reply.status_code, reply.headers, parsed)


def _levels(subs: list[SubRequest]) -> list[list[SubRequest]]:
    """Groups that may run together: a sub-request waits for the group of every one it refers to."""
    level_of: dict[str, int] = {}
    levels: list[list[SubRequest]] = []
    for sub in subs:
        level = 1 + max((level_of[name] for name in sub.refers_to), default=-1)
        if sub.sub_request_id is not None:
            level_of[sub.sub_request_id] = level
        while len(levels) <= level:
            levels.append([])
        levels[level].append(sub)
    return levels


async def composite(request: Request) -> Response:
    backend = backend_of(request)
    try:
        if request.path_params.get("version") not in SUPPORTED_VERSIONS:
            raise ZohoError.invalid_url()
        authorization = request.headers.get("authorization") or ""
        token = backend.oauth.check(authorization)
        if not scope_allows(token["scope"], "composite_requests", "CUSTOM"):
            raise ZohoError.scope_mismatch()
        try:
            body = parse_json_body(await request.body())
        except ValueError:
            raise ZohoError.invalid_body() from None
        subs, rollback, parallel = parse_request(body)
    except ZohoError as error:
        return render_error(error, backend.credits.headers())
    snapshot = Snapshot(backend) if rollback else None
    answers: dict[str, Any] = {}
    results: dict[int, tuple[int, dict[str, Any]]] = {}
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url=str(request.base_url)) as client:
        groups = _levels(subs) if parallel else [[sub] for sub in subs]
        failed_at: int | None = None
        for group in groups:
            outcomes = await asyncio.gather(*(_run(client, sub, answers, authorization) for sub in group))
            for sub, outcome in zip(group, outcomes, strict=True):
                results[sub.index] = outcome
                if rollback and outcome[0] >= 400 and failed_at is None:
                    failed_at = sub.index
            if failed_at is not None:
                break
    items: list[dict[str, Any]] = []
    if snapshot is not None and failed_at is not None:
        snapshot.restore()
        for sub in subs:
            if sub.index < failed_at:
                items.append(
                    {
                        "code": "ROLLBACK_PERFORMED",
                        "details": {"rollbacked_by_sub_request_index": failed_at},
                        "message": "the changes of this sub-request were rolled back",
                        "status": "error",
                    }
                )
            elif sub.index == failed_at:
                items.append(results[sub.index][1])
            else:
                items.append(
                    {
                        "code": "PROCESSING_STOPPED",
                        "details": {
                            "api_name": "__composite_requests",
                            "json_path": f"$.__composite_requests[{sub.index}]",
                        },
                        "message": "not processed: an earlier sub-request failed",
                        "status": "error",
                    }
                )
    else:
        items = [results[sub.index][1] for sub in subs]
    # 200 when every sub-request answered below 400; 400 only when no item is an answer; 207 otherwise
    answered_ok = failed_at is None and all(results[sub.index][0] < 400 for sub in subs)
    any_answer = any(item["code"] == "SUCCESS" for item in items)
    status = 200 if answered_ok else (207 if any_answer else 400)
    return json_response({"__composite_requests": items}, status=status, headers=backend.credits.headers())
