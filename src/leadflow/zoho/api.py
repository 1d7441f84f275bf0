"""The Zoho layer over the shared transport: URLs per auth strategy, the proxy envelope, Zoho's error replies."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from leadflow.http import Page, RequestSpec, Transport
from leadflow.zoho.auth import ZohoAuth
from leadflow.zoho.datacentres import upload_root
from leadflow.zoho.errors import ZohoErrors, decode, zoho_error

_CRM_PATH = re.compile(r"/crm/(?:bulk/)?v[0-9.]+/([^?]*)")


@dataclass(frozen=True)
class Reply:
    """A decoded Zoho reply: status, JSON body (``None`` for 204/304) and headers.

    Example:
        >>> Reply(200, {"data": [{"id": "1"}], "info": {"more_records": False}}, httpx.Headers()).data()
        [{'id': '1'}]
    """

    status: int
    body: Any
    headers: httpx.Headers

    def data(self) -> list[dict[str, Any]]:
        """The ``data`` list of the body, empty when there is none."""
        if isinstance(self.body, dict) and isinstance(self.body.get("data"), list):
            return [item for item in self.body["data"] if isinstance(item, dict)]
        return []

    def info(self) -> dict[str, Any]:
        if isinstance(self.body, dict) and isinstance(self.body.get("info"), dict):
            return dict(self.body["info"])
        return {}

    def page(self, key: str = "data") -> Page[dict[str, Any]]:
        """The items under ``key`` (``data``, ``users``...) with ``info`` as the paging meta."""
        items = self.body.get(key) if isinstance(self.body, dict) else None
        rows = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
        return Page(rows, self.info())


class ZohoApi:
    """Builds Zoho URLs from the auth strategy and sends every call through one :class:`Transport`.

    The transport must have been built with ``auth`` and a :class:`ZohoErrors` for it (:func:`api_errors`).

    Example:
        >>> from leadflow.zoho.auth import ProxyAuth
        >>> auth = ProxyAuth("https://proxy.example/crm/v2/")
        >>> api = ZohoApi(Transport(httpx.Client(), auth=auth, error_mapper=api_errors(auth)), auth)
        >>> api.crm_url("Leads/search")
        'https://proxy.example/crm/v2/Leads/search'
    """

    def __init__(self, transport: Transport, auth: ZohoAuth) -> None:
        if transport.auth is not auth:
            raise ValueError("ZohoApi needs a transport built with the same auth strategy")
        self.transport = transport
        self.auth = auth

    @property
    def version(self) -> str:
        return self.auth.api_version

    def root(self) -> str:
        return self.auth.api_root()

    def crm_url(self, path: str) -> str:
        return f"{self.root()}/crm/{self.version}/{path.lstrip('/')}"

    def bulk_url(self, path: str) -> str:
        return f"{self.root()}/crm/bulk/{self.version}/{path.lstrip('/')}"

    def upload_url(self) -> str:
        return f"{upload_root(self.root())}/crm/{self.version}/upload"

    def absolute(self, url: str) -> str:
        """A download URL as Zoho gives it (absolute, or a path on the API host) made absolute."""
        if url.startswith(("http://", "https://")):
            return url
        return f"{self.root()}/{url.lstrip('/')}"

    def call(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        cost: int = 1,
        complex_call: bool = False,
        idempotent: bool | None = None,
        batch: bool = False,
        label: str = "",
    ) -> Reply:
        """Send one call; raise the typed error for an error reply, except per-record batch replies when ``batch``."""
        response = self.transport.send(
            RequestSpec(
                method,
                url,
                params=params,
                json=json,
                headers=headers,
                files=files,
                cost=cost,
                complex_call=complex_call,
                idempotent=idempotent,
                label=label or f"{method} {_path_of(url)}",
                expect_body=True,
            )
        )
        body = self._decode(response)
        if response.status_code >= 400:
            if batch and _is_batch_reply(body):
                return Reply(response.status_code, body, response.headers)
            raise zoho_error(response, body)
        return Reply(response.status_code, body, response.headers)

    def download(self, url: str, *, label: str = "download") -> bytes:
        """Fetch a result file (bulk job results): the raw bytes."""
        response = self.transport.send(RequestSpec("GET", self.absolute(url), label=label))
        if response.status_code >= 400:
            raise zoho_error(response, self._decode(response))
        return response.content

    def _decode(self, response: httpx.Response) -> Any:
        return decode(response, envelope=self.auth.envelope)


def api_errors(auth: ZohoAuth) -> ZohoErrors:
    """The error mapper for calls to the CRM API under ``auth``: the proxy envelope, and the setting to check
    when the API host cannot be reached.

    Example:
        >>> from leadflow.zoho.auth import ProxyAuth
        >>> api_errors(ProxyAuth("https://proxy.example/crm/v2/")).envelope
        True
    """
    if auth.mode == "proxy":
        return ZohoErrors(envelope=True, server="the Zoho auth proxy", check="[zoho] api_base_url and the network")
    if auth.mode == "token":
        check = "[zoho] api_base_url / data_centre and the network"
    else:
        check = "[zoho] data_centre (or api_base_url) and the network"
    return ZohoErrors(envelope=auth.envelope, server="Zoho's API server", check=check)


def _path_of(url: str) -> str:
    match = _CRM_PATH.search(url)
    return match.group(1) if match else url


def _is_batch_reply(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    items = (
        body.get("data")
        or body.get("tags")
        or body.get("fields")
        or body.get("watch")
        or body.get("merge")
        or body.get("__composite_requests")
    )
    return isinstance(items, list) and bool(items) and all(isinstance(i, dict) and "status" in i for i in items)
