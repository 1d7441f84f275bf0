"""JSON responses that always carry ``Content-Type: application/json`` (the Zoho SDK parses nothing else).

Example:
    >>> json_response({"ok": True}).headers["content-type"]
    'application/json'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response


def dumps(payload: Any) -> bytes:
    """Compact UTF-8 JSON."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response with the exact media type ``application/json``."""
    return Response(dumps(payload), status_code=status, headers=dict(headers or {}), media_type="application/json")


def empty_response(status: int = 204, headers: Mapping[str, str] | None = None) -> Response:
    """A response without a body (Zoho's 204 for empty lists)."""
    return Response(b"", status_code=status, headers=dict(headers or {}))


def parse_json_body(raw: bytes) -> Any:
    """Parse a request body as JSON whatever its Content-Type; ``None`` for an empty body.

    Raises ``ValueError`` for bytes that are not JSON.
    """
    if not raw.strip():
        return None
    return json.loads(raw)
