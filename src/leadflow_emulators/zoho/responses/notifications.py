"""Instant notifications: ``/actions/watch`` enable (POST), update (PUT), patch (PATCH), disable (DELETE), get."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from leadflow_emulators.common.jsonresp import empty_response, json_response
from leadflow_emulators.common.routes import Endpoint
from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.notifications import MAX_CHANNELS_PER_CALL, Channel
from leadflow_emulators.zoho.models.results import RecordError, RecordResult
from leadflow_emulators.zoho.responses.common import CallContext, charge, int_param, route

ENABLED = "Successfully subscribed for actions-watch of the given module"
UPDATED = "Successfully updated the subscribe details"
REMOVED = "Successfully removed the subscribe details"
DISABLED = "Successfully un-subscribed from actions-watch"
MAX_PER_PAGE = 200


def _items(ctx: CallContext) -> list[Any]:
    body = ctx.json()
    items = body.get("watch") if isinstance(body, dict) else None
    if items is None:
        raise ZohoError.mandatory_missing("watch")
    if not isinstance(items, list) or not items:
        raise ZohoError(400, "INVALID_DATA", "invalid data", {"api_name": "watch", "expected_data_type": "jsonarray"})
    if len(items) > MAX_CHANNELS_PER_CALL:
        raise ZohoError(400, "LIMIT_EXCEEDED", "limit exceeded", {"limit": MAX_CHANNELS_PER_CALL, "api_name": "watch"})
    return items


def _status(results: list[dict[str, Any]], success: int) -> int:
    ok = sum(1 for item in results if item["status"] == "success")
    return success if ok == len(results) else (400 if ok == 0 else 207)


def _write(success_status: int, message: str, apply: Callable[[CallContext, Any, int], Channel]) -> Endpoint:
    def handle(ctx: CallContext) -> Response:
        charge(ctx, 1)
        results: list[dict[str, Any]] = []
        for index, item in enumerate(_items(ctx)):
            try:
                channel = apply(ctx, item, index)
            except RecordError as error:
                results.append(RecordResult.from_error(error).to_json())
                continue
            removing = isinstance(item, dict) and item.get("_delete_events") is True
            results.append(
                {
                    "code": "SUCCESS",
                    "details": {"events": ctx.backend.watches.event_details(channel, ctx.version)},
                    "message": REMOVED if removing else message,
                    "status": "success",
                }
            )
        return json_response({"watch": results}, status=_status(results, success_status))

    return route(family="notifications", action="CREATE" if success_status == 201 else "UPDATE")(handle)


enable = _write(201, ENABLED, lambda ctx, item, index: ctx.backend.watches.enable(item, index))
update = _write(200, UPDATED, lambda ctx, item, index: ctx.backend.watches.update(item, index, replace=True))
patch = _write(200, UPDATED, lambda ctx, item, index: ctx.backend.watches.update(item, index, replace=False))


@route(family="notifications", action="DELETE")
def disable(ctx: CallContext) -> Response:
    charge(ctx, 1)
    raw = ctx.params.get("channel_ids")
    if not raw:
        raise ZohoError.required_param("channel_ids")
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    if len(ids) > MAX_CHANNELS_PER_CALL:
        raise ZohoError(
            400, "LIMIT_EXCEEDED", "limit exceeded", {"limit": MAX_CHANNELS_PER_CALL, "param": "channel_ids"}
        )
    known = ctx.backend.watches.channels
    for index, channel_id in enumerate(ids):  # all or nothing: an unknown id disables none
        if channel_id not in known:
            raise ZohoError(
                400,
                "INVALID_DATA",
                "invalid data",
                {"api_name": "channel_ids", "json_path": f"$.channel_ids[{index}]"},
            )
    results: list[dict[str, Any]] = []
    for channel_id in ids:
        ctx.backend.watches.disable(channel_id)
        results.append(
            {"code": "SUCCESS", "details": {"channel_id": channel_id}, "message": DISABLED, "status": "success"}
        )
    return json_response({"watch": results}, status=_status(results, 200))


@route(family="notifications", action="READ")
def details(ctx: CallContext) -> Response:
    charge(ctx, 1)
    watches = ctx.backend.watches
    wanted_channel = ctx.params.get("channel_id")
    wanted_module = ctx.params.get("module")
    if wanted_module:
        wanted_module = ctx.backend.module(wanted_module).api_name
    per_page = int_param(ctx, "per_page", MAX_PER_PAGE, maximum=MAX_PER_PAGE)
    page = int_param(ctx, "page", 1)
    items = [
        watches.channel_json(channel, module, ctx.version)
        for channel in watches.active()
        if wanted_channel in (None, "", channel.channel_id)
        for module in channel.events
        if wanted_module in (None, "", module)
    ]
    chunk = items[(page - 1) * per_page : page * per_page]
    if not chunk:
        return empty_response(204)
    info = {"per_page": per_page, "page": page, "count": len(chunk), "more_records": page * per_page < len(items)}
    return json_response({"watch": chunk, "info": info})
