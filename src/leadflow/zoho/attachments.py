"""Attachments of records: upload a file (at most 20 MB) or a link, list, download, delete."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from leadflow.errors import InputError
from leadflow.http.paging import Page, paginate
from leadflow.zoho.activities import RecordRef
from leadflow.zoho.api import ZohoApi
from leadflow.zoho.paging import MORE_RECORDS
from leadflow.zoho.results import RecordResult

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
LIST_FIELDS = ("id", "File_Name", "Size", "Created_Time", "Owner", "$link_url", "$type")


class AttachmentsApi:
    """``/{module}/{id}/Attachments``.

    Example:
        >>> zoho.attachments.upload(RecordRef("Deals", deal_id), "proposal.pdf", pdf_bytes).ok  # doctest: +SKIP
        True
    """

    def __init__(self, api: ZohoApi) -> None:
        self.api = api

    def _path(self, on: RecordRef, attachment_id: str | None = None) -> str:
        tail = f"/{attachment_id}" if attachment_id else ""
        return self.api.crm_url(f"{on.module}/{on.id}/Attachments{tail}")

    def _result(self, body: Any) -> RecordResult:
        items = body.get("data") if isinstance(body, dict) else None
        first = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
        return RecordResult.from_item(0, first, default_action="insert")

    def upload(self, on: RecordRef, file_name: str, data: bytes) -> RecordResult:
        """Attach a file (refused here, before any call, when it is over Zoho's 20 MB).

        Example:
            >>> zoho.attachments.upload(RecordRef("Leads", lead_id), "notes.txt", b"...").id  # doctest: +SKIP
            '5725767000009000001'
        """
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise InputError(f"{file_name} is {len(data)} bytes; Zoho takes attachments of at most 20 MB")
        reply = self.api.call(
            "POST",
            self._path(on),
            files={"file": (file_name, data, "application/octet-stream")},
            idempotent=False,
            label="upload attachment",
        )
        return self._result(reply.body)

    def link(self, on: RecordRef, url: str, *, title: str | None = None) -> RecordResult:
        """Attach a link.

        Example:
            >>> zoho.attachments.link(RecordRef("Leads", lead_id), "https://example.com/deck").ok  # doctest: +SKIP
            True
        """
        if not url.startswith(("http://", "https://")):
            raise InputError(f"attachment link {url!r} is not an http(s) URL")
        params = {"attachmentUrl": url, **({"title": title} if title else {})}
        reply = self.api.call("POST", self._path(on), params=params, idempotent=False, label="link attachment")
        return self._result(reply.body)

    def list(self, on: RecordRef) -> builtins.list[dict[str, Any]]:
        """The record's attachments, newest first.

        Example:
            >>> [a["File_Name"] for a in zoho.attachments.list(RecordRef("Leads", lead_id))]  # doctest: +SKIP
            ['notes.txt']
        """
        url = self._path(on)

        def fetch(page: int) -> Page[dict[str, Any]]:
            params = {"fields": ",".join(LIST_FIELDS), "page": str(page), "per_page": "200"}
            return self.api.call("GET", url, params=params, label="list attachments").page()

        return builtins.list(paginate(fetch, MORE_RECORDS))

    def download(self, on: RecordRef, attachment_id: str) -> bytes:
        """The bytes of an attached file.

        Example:
            >>> zoho.attachments.download(RecordRef("Leads", lead_id), attachment_id)[:4]  # doctest: +SKIP
            b'%PDF'
        """
        return self.api.download(self._path(on, attachment_id), label="download attachment")

    def delete(self, on: RecordRef, attachment_ids: Sequence[str]) -> builtins.list[RecordResult]:
        """Delete attachments; one result per id.

        Example:
            >>> [r.ok for r in zoho.attachments.delete(RecordRef("Leads", lead_id), [attachment_id])]  # doctest: +SKIP
            [True]
        """
        reply = self.api.call(
            "DELETE",
            self._path(on),
            params={"ids": ",".join(attachment_ids)},
            idempotent=True,
            batch=True,
            label="delete attachments",
        )
        return [RecordResult.from_item(i, item, default_action="delete") for i, item in enumerate(reply.data())]
