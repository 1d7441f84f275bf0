"""The typed error for one refused item of a batch-shaped answer (watch, merge, send mail).

Zoho answers these calls with a list of per-item results; when the single item is an error, the caller
gets the same typed error (``ValidationFailed``, ``Duplicate``, ``NotFound``...) a request-level answer
with that code would give, its message saying what was refused.

Example:
    >>> error = refusal(400, {"code": "INVALID_DATA", "message": "invalid data", "status": "error",
    ...                       "details": {"api_name": "events", "json_path": "$.watch[0].events[0]"}}, "enable watch")
    >>> type(error).__name__, error.problems[0].field
    ('ValidationFailed', 'events')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from leadflow.errors import ApiError
from leadflow.zoho.errors import zoho_error


def refusal(status: int, item: Mapping[str, Any], what: str) -> ApiError:
    """The typed error for a refused ``item`` of an answer with HTTP ``status`` (400 when it was below)."""
    body = {**item, "message": f"{what}: {item.get('message') or item.get('code') or 'refused'}"}
    return zoho_error(httpx.Response(status if status >= 400 else 400, json=body), body)
