"""Record routes: list, get, insert, update, upsert, delete, deleted, search, convert, record tags."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.responses import Response

from leadflow_emulators.common.clock import iso
from leadflow_emulators.common.jsonresp import empty_response, json_response
from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.backend import MAX_WRITE_RECORDS
from leadflow_emulators.zoho.models.limits import CONVERT_COST, write_cost
from leadflow_emulators.zoho.models.mail import notify_conversion
from leadflow_emulators.zoho.models.results import RecordError, RecordResult
from leadflow_emulators.zoho.models.search import (
    IndexHint,
    compile_criteria,
    email_predicate,
    phone_predicate,
    word_predicate,
)
from leadflow_emulators.zoho.models.validation import parse_datetime
from leadflow_emulators.zoho.responses.common import (
    MODULE,
    CallContext,
    batch_status,
    charge,
    int_param,
    route,
)

MAX_FIELDS = 50
MAX_PER_PAGE = 200
DISCRETE_LIMIT = 2000
TOKEN_LIMIT = 100_000
SEARCH_LIMIT = 2000
SORTABLE = ("id", "Created_Time", "Modified_Time")


def _module(ctx: CallContext) -> str:
    return ctx.backend.module(str(ctx.request.path_params["module"]), index=1).api_name


def _fields_param(ctx: CallContext, module: str, *, required: bool) -> list[str] | None:
    raw = ctx.params.get("fields")
    if not raw:
        if required:
            raise ZohoError.required_param("fields")
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    if len(names) > MAX_FIELDS:
        raise ZohoError(400, "LIMIT_EXCEEDED", "Max field limit exceeded", {"limit": MAX_FIELDS, "param": "fields"})
    fields = ctx.backend.fields(module)
    for name in names:
        if name != "id" and name not in fields:
            raise ZohoError(400, "INVALID_DATA", "invalid data", {"api_name": name, "param": "fields"})
    return names


def _fields_required(ctx: CallContext) -> bool:
    return ctx.version not in ("v2", "v2.1")


def _encode_token(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_token(token: str) -> dict[str, Any]:
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(payload, dict) or not isinstance(payload.get("o"), int):
            raise ValueError(token)
        return payload
    except ValueError:
        raise ZohoError(400, "INVALID_DATA", "invalid data", {"param": "page_token"}) from None


def _converted(ctx: CallContext, module: str) -> str:
    value = (ctx.params.get("converted") or "false").lower()
    if value not in ("true", "false", "both"):
        raise ZohoError(
            400, "INVALID_DATA", "invalid data", {"param": "converted", "supported_values": ["true", "false", "both"]}
        )
    return value if module == "Leads" else "both"


def _keep(record: dict[str, Any], converted: str) -> bool:
    return converted == "both" or bool(record.get("Converted__s")) == (converted == "true")


def _select(
    ctx: CallContext, module: str, converted: str, predicate: Callable[[dict[str, Any]], bool] | None = None
) -> list[dict[str, Any]]:
    """Stored records that pass the converted filter and the predicate (under the backend lock)."""
    out = []
    with ctx.backend.lock:
        for record in ctx.backend.stored_records(module):
            if converted != "both" and bool(record.get("Converted__s")) != (converted == "true"):
                continue
            if predicate is None or predicate(record):
                out.append(record)
    return out


@route(family="modules", action="READ", target=MODULE)
def list_records(ctx: CallContext) -> Response:
    module = _module(ctx)
    charge(ctx, 1)
    fields = _fields_param(ctx, module, required=_fields_required(ctx))
    converted = _converted(ctx, module)
    per_page = int_param(ctx, "per_page", MAX_PER_PAGE, maximum=MAX_PER_PAGE)
    sort_by = ctx.params.get("sort_by") or "id"
    if sort_by not in SORTABLE:
        raise ZohoError(400, "INVALID_DATA", "invalid data", {"param": "sort_by", "supported_values": list(SORTABLE)})
    order = (ctx.params.get("sort_order") or "asc").lower()
    if order not in ("asc", "desc"):
        raise ZohoError(
            400, "INVALID_DATA", "invalid data", {"param": "sort_order", "supported_values": ["asc", "desc"]}
        )
    ids_param = ctx.params.get("ids")
    predicate: Callable[[dict[str, Any]], bool] | None = None
    if ids_param:
        wanted = {part.strip() for part in ids_param.split(",") if part.strip()}
        if len(wanted) > MAX_WRITE_RECORDS:
            raise ZohoError(
                400, "LIMIT_EXCEEDED", "Record count exceeded", {"limit": MAX_WRITE_RECORDS, "param": "ids"}
            )

        def predicate(record: dict[str, Any]) -> bool:
            return record["id"] in wanted

    since_header = ctx.request.headers.get("if-modified-since")
    if since_header:
        try:
            since = parse_datetime(since_header)
        except ValueError:
            raise ZohoError(400, "INVALID_DATA", "invalid data", {"param": "If-Modified-Since"}) from None
        base = predicate

        def modified_after(record: dict[str, Any]) -> bool:
            return datetime.fromisoformat(record["Modified_Time"]) > since and (base is None or base(record))

        predicate = modified_after
    token = ctx.params.get("page_token")
    page = 1
    if token:
        state = _decode_token(token)
        offset = state["o"]
        sort_by, order = state.get("s", sort_by), state.get("d", order)
        if offset >= TOKEN_LIMIT:
            raise ZohoError(
                400,
                "PAGINATION_LIMIT_EXCEEDED",
                f"You can fetch only {TOKEN_LIMIT} records using page_token",
                {"limit": TOKEN_LIMIT},
            )
    else:
        page = int_param(ctx, "page", 1)
        offset = (page - 1) * per_page
        if offset >= DISCRETE_LIMIT:
            raise ZohoError(
                400,
                "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                f"Cannot fetch more than {DISCRETE_LIMIT} records using page; use page_token",
                {"limit": DISCRETE_LIMIT},
            )
    ordered = ctx.backend.sorted_records(module, sort_by, order == "desc", converted)
    records = ordered if predicate is None else [record for record in ordered if predicate(record)]
    if since_header and not records:
        return empty_response(304)
    end = min(offset + per_page, TOKEN_LIMIT if token else DISCRETE_LIMIT if offset < DISCRETE_LIMIT else TOKEN_LIMIT)
    chunk = records[offset:end]
    if not chunk:
        return empty_response(204)
    more = end < len(records) and end < TOKEN_LIMIT
    with ctx.backend.lock:
        data = [ctx.backend.render(module, record, fields) for record in chunk]
    info: dict[str, Any] = {
        "per_page": per_page,
        "next_page_token": _encode_token({"o": end, "s": sort_by, "d": order}) if more else None,
        "count": len(data),
        "sort_by": sort_by,
        "page": page,
        "previous_page_token": token if token else None,
        "page_token_expiry": iso(ctx.backend.clock.now().replace(microsecond=0)) if more else None,
        "sort_order": order,
        "more_records": more,
    }
    return json_response({"data": data, "info": info})


@route(family="modules", action="READ", target=MODULE)
def get_record(ctx: CallContext) -> Response:
    module = _module(ctx)
    charge(ctx, 1)
    fields = _fields_param(ctx, module, required=False)
    raw_id = str(ctx.request.path_params["record_id"])
    external = ctx.request.headers.get("x-external")
    with ctx.backend.lock:
        if external:
            _, _, field = external.partition(".")
            found = ctx.backend.find(module, field or external, raw_id)
            stored = ctx.backend.get_stored(module, found[0]) if found else None
        else:
            stored = ctx.backend.get_stored(module, raw_id)
        if stored is None:
            return empty_response(204)
        return json_response({"data": [ctx.backend.render(module, stored, fields)]})


def _rows(ctx: CallContext) -> tuple[list[Any], dict[str, Any]]:
    body = ctx.json()
    if not isinstance(body, dict):
        raise ZohoError.invalid_body()
    rows = body.get("data")
    if rows is None:
        raise ZohoError.mandatory_missing("data")
    if not isinstance(rows, list):
        raise ZohoError(400, "INVALID_DATA", "invalid data", {"api_name": "data", "expected_data_type": "jsonarray"})
    if not rows:
        raise ZohoError.mandatory_missing("data")
    if len(rows) > MAX_WRITE_RECORDS:
        raise ZohoError(
            400, "LIMIT_EXCEEDED", "Record count exceeded", {"limit": MAX_WRITE_RECORDS, "api_name": "data"}
        )
    return rows, body


def _heavy_write(ctx: CallContext) -> bool:
    try:
        body = ctx.json()
    except ZohoError:
        return False
    return isinstance(body, dict) and isinstance(body.get("data"), list) and len(body["data"]) > 10


def _write_response(results: list[RecordResult], *, created: bool) -> Response:
    payload = [result.to_json() for result in results]
    return json_response({"data": payload}, status=batch_status(payload, created=created))


@route(family="modules", action="CREATE", target=MODULE, heavy=_heavy_write)
def insert_records(ctx: CallContext) -> Response:
    module = _module(ctx)
    rows, _ = _rows(ctx)
    charge(ctx, write_cost(len(rows)))
    return _write_response(ctx.backend.insert(module, rows), created=True)


def _if_unmodified_since(ctx: CallContext) -> datetime | None:
    raw = ctx.request.headers.get("if-unmodified-since")
    if not raw:
        return None
    try:
        return parse_datetime(raw)
    except ValueError:
        raise ZohoError(400, "INVALID_DATA", "invalid data", {"param": "If-Unmodified-Since"}) from None


@route(family="modules", action="UPDATE", target=MODULE, heavy=_heavy_write)
def update_records(ctx: CallContext) -> Response:
    module = _module(ctx)
    rows, _ = _rows(ctx)
    path_id = ctx.request.path_params.get("record_id")
    if path_id is not None:
        rows = [dict(rows[0], id=str(path_id)) if isinstance(rows[0], dict) else rows[0]]
    charge(ctx, write_cost(len(rows)))
    results = ctx.backend.update(module, rows, if_unmodified_since=_if_unmodified_since(ctx))
    return _write_response(results, created=False)


@route(family="modules", action="CREATE", target=MODULE, heavy=_heavy_write)
def upsert_records(ctx: CallContext) -> Response:
    module = _module(ctx)
    rows, body = _rows(ctx)
    charge(ctx, write_cost(len(rows)))
    requested = body.get("duplicate_check_fields")
    if requested is not None and not isinstance(requested, list):
        raise ZohoError(
            400,
            "INVALID_DATA",
            "invalid data",
            {"api_name": "duplicate_check_fields", "expected_data_type": "jsonarray"},
        )
    return _write_response(ctx.backend.upsert(module, rows, requested), created=True)


@route(family="modules", action="DELETE", target=MODULE)
def delete_records(ctx: CallContext) -> Response:
    module = _module(ctx)
    path_id = ctx.request.path_params.get("record_id")
    if path_id is not None:
        ids = [str(path_id)]
    else:
        raw = ctx.params.get("ids")
        if not raw:
            raise ZohoError.required_param("ids")
        ids = [part.strip() for part in raw.split(",") if part.strip()]
    charge(ctx, 1)
    results = [result.to_json() for result in ctx.backend.delete(module, ids)]
    ok = sum(1 for result in results if result["status"] == "success")
    status = 200 if ok == len(results) else (400 if ok == 0 else 207)
    return json_response({"data": results}, status=status)


@route(family="modules", action="READ", target=MODULE)
def deleted_records(ctx: CallContext) -> Response:
    module = _module(ctx)
    charge(ctx, 1)
    kind = (ctx.params.get("type") or "all").lower()
    if kind not in ("all", "recycle", "permanent"):
        raise ZohoError(
            400,
            "INVALID_DATA",
            "invalid data",
            {"param": "type", "supported_values": ["all", "recycle", "permanent"]},
        )
    per_page = int_param(ctx, "per_page", MAX_PER_PAGE, maximum=MAX_PER_PAGE)
    page = int_param(ctx, "page", 1)
    items = ctx.backend.deleted_records(module, kind)
    chunk = items[(page - 1) * per_page : page * per_page]
    if not chunk:
        return empty_response(204)
    more = page * per_page < len(items)
    return json_response(
        {"data": chunk, "info": {"per_page": per_page, "count": len(chunk), "page": page, "more_records": more}}
    )


@route(family="modules", action="READ", target=MODULE, heavy=True)
def search_records(ctx: CallContext) -> Response:
    module = _module(ctx)
    charge(ctx, 1)
    meta = ctx.backend.module(module)
    params = ctx.params
    backend = ctx.backend

    def name_of(target: str, record_id: str) -> str | None:
        if target == "users":
            user = backend.directory.minified(record_id)
            return None if user is None else str(user["name"])
        return backend.display_name(target, record_id)

    hint: IndexHint = None
    if params.get("criteria"):
        predicate, hint = compile_criteria(meta, params["criteria"], name_of)
    elif params.get("email"):
        predicate = email_predicate(meta, params["email"])
        if "Email" in meta.fields:
            secondary = [name for name, field in meta.fields.items() if field.data_type == "email"]
            hint = ("Email", [params["email"]]) if secondary == ["Email"] else None
    elif params.get("phone"):
        predicate = phone_predicate(meta, params["phone"])
    elif params.get("word"):
        predicate = word_predicate(meta, params["word"])
    else:
        # Search's own code when none of criteria/email/phone/word is given (module_search.json).
        raise ZohoError(
            400,
            "EXPECTED_PARAM_MISSING",
            "One of the expected parameter is missing",
            {"param_names": ["criteria", "email", "phone", "word"]},
        )
    fields = _fields_param(ctx, module, required=False)
    per_page = int_param(ctx, "per_page", MAX_PER_PAGE, maximum=MAX_PER_PAGE)
    page = int_param(ctx, "page", 1)
    offset = (page - 1) * per_page
    if offset >= SEARCH_LIMIT:
        raise ZohoError(400, "LIMIT_REACHED", "maximum response iteration limit reached", {"limit": str(SEARCH_LIMIT)})
    converted = _converted(ctx, module)
    if hint is not None:
        # Narrow through the field index (Zoho's search is indexed too); the predicate still decides.
        field, values = hint
        ids = sorted({record_id for value in values for record_id in backend.find_ids(module, field, value)}, key=int)
        with backend.lock:
            candidates = [backend.get_stored(module, record_id) for record_id in ids]
        records = [
            record for record in candidates if record is not None and _keep(record, converted) and predicate(record)
        ][:SEARCH_LIMIT]
    else:
        records = _select(ctx, module, converted, predicate)[:SEARCH_LIMIT]
    chunk = records[offset : offset + per_page]
    if not chunk:
        return empty_response(204)
    with backend.lock:
        data = [backend.render(module, record, fields) for record in chunk]
    more = offset + per_page < len(records)
    return json_response(
        {"data": data, "info": {"per_page": per_page, "count": len(data), "page": page, "more_records": more}}
    )


@route(family="modules", action="READ", target=MODULE)
def count_records(ctx: CallContext) -> Response:
    module = _module(ctx)
    charge(ctx, 1)
    meta = ctx.backend.module(module)
    params = ctx.params
    backend = ctx.backend
    predicate: Callable[[dict[str, Any]], bool] | None = None
    if params.get("criteria"):
        predicate = compile_criteria(meta, params["criteria"], backend.display_name)[0]
    elif params.get("email"):
        predicate = email_predicate(meta, params["email"])
    elif params.get("phone"):
        predicate = phone_predicate(meta, params["phone"])
    elif params.get("word"):
        predicate = word_predicate(meta, params["word"])
    count = len(_select(ctx, module, _converted(ctx, module), predicate))
    return json_response({"count": count})  # a number, as the SDK's CountWrapper requires


@route(family="modules", action="CREATE", target="Leads")
def convert_lead(ctx: CallContext) -> Response:
    body = ctx.json()
    items = body.get("data") if isinstance(body, dict) else None
    spec = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
    charge(ctx, CONVERT_COST)
    try:
        details = ctx.backend.convert_lead(str(ctx.request.path_params["record_id"]), spec)
    except RecordError as error:
        return json_response({"data": [RecordResult.from_error(error).to_json()]}, status=400)
    notify_conversion(ctx.backend, str(ctx.request.path_params["record_id"]), spec, details)
    return json_response(
        {
            "data": [
                {
                    "code": "SUCCESS",
                    "details": details,
                    "message": "The record has been converted successfully",
                    "status": "success",
                }
            ]
        }
    )


def _tag_names(ctx: CallContext, body: Any) -> list[str]:
    names: list[str] = []
    if isinstance(body, dict) and isinstance(body.get("tags"), list):
        for index, tag in enumerate(body["tags"]):
            name = tag.get("name") if isinstance(tag, dict) else None
            if not isinstance(name, str) or not name.strip():
                raise ZohoError(
                    400,
                    "MANDATORY_NOT_FOUND",
                    "required field not found",
                    {"api_name": "name", "json_path": f"$.tags[{index}].name"},
                )
            names.append(name)
    elif ctx.params.get("tag_names"):
        names = [name.strip() for name in ctx.params["tag_names"].split(",") if name.strip()]
    if not names:
        raise ZohoError(400, "MANDATORY_NOT_FOUND", "required field not found", {"api_name": "tags"})
    return names


def _record_ids(ctx: CallContext, body: Any) -> list[str]:
    path_id = ctx.request.path_params.get("record_id")
    if path_id is not None:
        return [str(path_id)]
    if isinstance(body, dict) and isinstance(body.get("ids"), list):
        return [str(value) for value in body["ids"]]
    raw = ctx.params.get("ids")
    if not raw:
        raise ZohoError.required_param("ids")
    return [part.strip() for part in raw.split(",") if part.strip()]


def _tag_action(ctx: CallContext, *, remove: bool) -> Response:
    module = _module(ctx)
    body = ctx.json()
    names = _tag_names(ctx, body)
    ids = _record_ids(ctx, body)
    over_write = str(ctx.params.get("over_write") or (body or {}).get("over_write") or "false").lower()
    charge(ctx, 1)
    results = ctx.backend.tag_records(module, ids, names, remove=remove, over_write=over_write == "true")
    payload = [result.to_json() for result in results]
    ok = sum(1 for result in payload if result["status"] == "success")
    status = 200 if ok == len(payload) else (400 if ok == 0 else 207)
    counts = {"wf_scheduler": False, "success_count": str(ok), "locked_count": "0"}
    return json_response({"data": payload, **counts}, status=status)


@route(family="modules", action="UPDATE", target=MODULE)
def add_tags(ctx: CallContext) -> Response:
    return _tag_action(ctx, remove=False)


@route(family="modules", action="UPDATE", target=MODULE)
def remove_tags(ctx: CallContext) -> Response:
    return _tag_action(ctx, remove=True)
