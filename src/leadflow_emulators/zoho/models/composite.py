"""Composite requests: checking a ``__composite_requests`` body, references between sub-requests, and the
snapshot that ``rollback_on_fail`` restores. The HTTP side (running the sub-requests) is in
``responses.composite``.

Zoho allows up to five sub-requests. A sub-request may use an earlier one's answer with
``@{sub_request_id:$.json.path}`` in its uri, params or body; ``parallel_execution`` (default true, false
with ``rollback_on_fail``) runs independent sub-requests together.

Example:
    >>> resolve_references({"id": "@{lead:$.data[0].details.id}"}, {"lead": {"data": [{"details": {"id": "9"}}]}})
    {'id': '9'}
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leadflow_emulators.zoho.exceptions import ZohoError

if TYPE_CHECKING:
    from leadflow_emulators.zoho.models.backend import ZohoBackend

MAX_SUB_REQUESTS = 5
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
URI = re.compile(r"^/crm(/.*)?/v[0-9]+([.][0-9]+)?/.*$")
SUB_REQUEST_ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_]*$")
REFERENCE = re.compile(r"@\{([a-zA-Z0-9][a-zA-Z0-9_]*):(\$[^}]*)\}")
RESTRICTED_HEADERS = ("authorization", "host", "content-length", "content-type", "x-crm-org")
_STEP = re.compile(r"\.([A-Za-z0-9_$]+)|\[(\d+)\]")


def _error(code: str, message: str, details: dict[str, Any]) -> ZohoError:
    return ZohoError(400, code, message, details)


@dataclass
class SubRequest:
    """One checked sub-request and the sub-requests it refers to."""

    index: int
    method: str
    uri: str
    sub_request_id: str | None
    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    refers_to: set[str] = field(default_factory=set)


def _references(value: Any) -> set[str]:
    if isinstance(value, str):
        return {match.group(1) for match in REFERENCE.finditer(value)}
    if isinstance(value, dict):
        return set().union(*(_references(item) for item in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_references(item) for item in value)) if value else set()
    return set()


def parse_request(body: Any) -> tuple[list[SubRequest], bool, bool]:
    """The sub-requests, ``rollback_on_fail`` and ``parallel_execution`` of a composite body (or ZohoError)."""
    if not isinstance(body, dict):
        raise ZohoError.invalid_body()
    items = body.get("__composite_requests")
    if items is None:
        raise _error(
            "MANDATORY_NOT_FOUND",
            "required field not found",
            {"api_name": "__composite_requests", "json_path": "$.__composite_requests"},
        )
    if not isinstance(items, list) or not items:
        raise _error(
            "INVALID_DATA",
            "invalid data",
            {
                "api_name": "__composite_requests",
                "json_path": "$.__composite_requests",
                "expected_data_type": "jsonarray",
            },
        )
    if len(items) > MAX_SUB_REQUESTS:
        raise _error(
            "INVALID_DATA",
            "the number of sub-requests exceeds the limit",
            {
                "api_name": "__composite_requests",
                "json_path": "$.__composite_requests",
                "maximum_length": MAX_SUB_REQUESTS,
            },
        )
    rollback = body.get("rollback_on_fail", False)
    if not isinstance(rollback, bool):
        raise _error(
            "INVALID_DATA",
            "invalid data",
            {"api_name": "rollback_on_fail", "json_path": "$.rollback_on_fail", "expected_data_type": "boolean"},
        )
    parallel = body.get("parallel_execution", not rollback)
    if not isinstance(parallel, bool):
        raise _error(
            "INVALID_DATA",
            "invalid data",
            {"api_name": "parallel_execution", "json_path": "$.parallel_execution", "expected_data_type": "boolean"},
        )
    if parallel and rollback:
        raise _error(
            "NOT_SUPPORTED",
            "parallel execution is not supported with rollback_on_fail",
            {"api_name": "parallel_execution", "json_path": "$.parallel_execution"},
        )
    subs: list[SubRequest] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        subs.append(_parse_sub(index, item, seen))
    return subs, rollback, parallel


def _parse_sub(index: int, item: Any, seen: dict[str, int]) -> SubRequest:
    path = f"$.__composite_requests[{index}]"
    if not isinstance(item, dict):
        raise _error("INVALID_DATA", "invalid data", {"api_name": "__composite_requests", "json_path": path})
    method = item.get("method")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise _error("INVALID_DATA", "invalid data", {"api_name": "method", "json_path": f"{path}.method"})
    uri = item.get("uri")
    if not isinstance(uri, str) or not URI.match(uri):
        raise _error(
            "INVALID_DATA", "invalid data", {"api_name": "uri", "json_path": f"{path}.uri", "regex": URI.pattern}
        )
    if "__composite_requests" in uri:
        raise _error(
            "NOT_SUPPORTED",
            "a composite request cannot contain another",
            {"api_name": "uri", "json_path": f"{path}.uri"},
        )
    sub_id = item.get("sub_request_id")
    if sub_id is not None:
        if not isinstance(sub_id, str) or not SUB_REQUEST_ID.match(sub_id):
            raise _error(
                "INVALID_DATA",
                "invalid data",
                {"api_name": "sub_request_id", "json_path": f"{path}.sub_request_id", "regex": SUB_REQUEST_ID.pattern},
            )
        if sub_id in seen:
            raise _error(
                "DUPLICATE_DATA",
                "duplicate data",
                {
                    "api_name": "sub_request_id",
                    "json_path": f"{path}.sub_request_id",
                    "sub_request_indexes": [seen[sub_id], index],
                },
            )
    headers = item.get("headers") or {}
    params = item.get("params") or {}
    if not isinstance(headers, dict) or not isinstance(params, dict):
        raise _error("INVALID_DATA", "invalid data", {"api_name": "headers", "json_path": f"{path}.headers"})
    restricted = [name for name in headers if name.lower() in RESTRICTED_HEADERS]
    if restricted:
        raise _error(
            "INVALID_DATA",
            "restricted headers",
            {"api_name": "headers", "json_path": f"{path}.headers", "restricted_headers": restricted},
        )
    body = item.get("body")
    refers = _references(uri) | _references(params) | _references(body)
    for name in refers:
        if name not in seen:  # unknown, or a later sub-request: Zoho resolves references in order
            raise _error(
                "INVALID_REFERENCE",
                "the reference is invalid",
                {"api_name": "uri", "json_path": path, "reference": name},
            )
    if sub_id is not None:
        seen[sub_id] = index
    return SubRequest(
        index, method.upper(), uri, sub_id, dict(params), body, {k: str(v) for k, v in headers.items()}, refers
    )


def _walk(document: Any, path: str) -> Any:
    if not path.startswith("$"):
        raise KeyError(path)
    rest = path[1:]
    value = document
    while rest:
        match = _STEP.match(rest)
        if match is None:
            raise KeyError(path)
        key, position = match.groups()
        value = value[int(position)] if position is not None else value[key]
        rest = rest[match.end() :]
    return value


def resolve_references(value: Any, answers: dict[str, Any]) -> Any:
    """``value`` with every ``@{id:$.path}`` replaced from the answered sub-requests (KeyError when missing)."""
    if isinstance(value, str):
        whole = REFERENCE.fullmatch(value)
        if whole is not None:
            return _walk(answers[whole.group(1)], whole.group(2))
        return REFERENCE.sub(lambda match: str(_walk(answers[match.group(1)], match.group(2))), value)
    if isinstance(value, dict):
        return {key: resolve_references(item, answers) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_references(item, answers) for item in value]
    return value


class Snapshot:
    """The backend's records and tags before a composite call, for ``rollback_on_fail``."""

    def __init__(self, backend: ZohoBackend) -> None:
        self.backend = backend
        with backend.lock:
            self.records = copy.deepcopy(backend._records)
            self.tags = copy.deepcopy(backend._tags)

    def restore(self) -> None:
        backend = self.backend
        with backend.transaction():
            current = backend._records
            backend._records = self.records
            backend._tags = self.tags
            backend._sorted_cache.clear()
            for module, store in {**current, **self.records}.items():
                before = self.records.get(module)
                after = current.get(module)
                ids = set(store.live) | set(store.deleted)
                for other in (before, after):
                    if other is not None:
                        ids |= set(other.live) | set(other.deleted)
                if module in backend._records:
                    for record_id in ids:
                        backend._dirty(module, record_id)
            backend._mark_setting("tags")
