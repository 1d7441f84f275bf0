"""The GoHighLevel layer over the shared transport: URLs, the ``Version`` header, JSON in and out, typed errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadflow.ghl.errors import ghl_error
from leadflow.ghl.versions import version_for
from leadflow.http import RequestSpec, Transport


class GhlApi:
    """Sends every GHL call through one :class:`Transport` (built with GHL's auth and error mapper).

    Example:
        >>> import httpx
        >>> api = GhlApi(Transport(httpx.Client()), "https://services.leadconnectorhq.com/", location_id="loc1")
        >>> api.url("/contacts/upsert")
        'https://services.leadconnectorhq.com/contacts/upsert'
    """

    def __init__(self, transport: Transport, base_url: str, *, location_id: str) -> None:
        self.transport = transport
        self.base_url = base_url.rstrip("/")
        self.location_id = location_id

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        label: str = "",
    ) -> Any:
        """Send one call and return its decoded JSON body (``None`` when empty); raise the typed error otherwise."""
        clean_params = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        response = self.transport.send(
            RequestSpec(
                method,
                self.url(path),
                params=clean_params or None,
                json=json,
                headers={"Version": version_for(path), "Accept": "application/json"},
                idempotent=idempotent,
                label=label or f"{method} {_template(path)}",
                expect_body=method != "DELETE",
            )
        )
        if response.status_code >= 400:
            raise ghl_error(response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return None


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _template(path: str) -> str:
    """A path with ids replaced, so labels (and per-label counters) group calls by endpoint."""
    parts = []
    for part in path.strip("/").split("/"):
        looks_like_id = len(part) >= 16 and any(ch.isdigit() for ch in part) and part.isalnum()
        parts.append("{id}" if looks_like_id else part)
    return "/" + "/".join(parts)
