"""Attachments of records: uploaded files (at most 20 MB each, as Zoho documents) and links.

Kept in memory with their bytes (not in the SQLite file): an emulator restart forgets them.

Example:
    >>> store = Attachments()
    >>> item = store.add("Leads", "1", file_name="a.txt", data=b"hi", link_url=None, user_id="9", now="t")
    >>> (item.size, store.get("Leads", "1", item.id) is item)
    (2, True)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


@dataclass
class Attachment:
    """One attachment: a file (``data``) or a link (``link_url``) on a record."""

    id: str
    module: str
    parent_id: str
    file_name: str | None
    data: bytes | None
    link_url: str | None
    created_time: str
    user_id: str

    @property
    def size(self) -> int:
        return len(self.data or b"")

    @property
    def kind(self) -> str:
        return "Attachment" if self.link_url is None else "Link URL"


class Attachments:
    """Every attachment of the org by id (ids come from the backend's generator when given one)."""

    def __init__(self, next_id: Any = None) -> None:
        self._items: dict[str, Attachment] = {}
        counter = itertools.count(5725767000009000001)
        self._next_id = next_id or (lambda: str(next(counter)))

    def clear(self) -> None:
        self._items.clear()

    def add(
        self,
        module: str,
        parent_id: str,
        *,
        file_name: str | None,
        data: bytes | None,
        link_url: str | None,
        user_id: str,
        now: str,
    ) -> Attachment:
        item = Attachment(str(self._next_id()), module, parent_id, file_name, data, link_url, now, user_id)
        self._items[item.id] = item
        return item

    def of(self, module: str, parent_id: str) -> list[Attachment]:
        """A record's attachments, newest first."""
        items = [item for item in self._items.values() if item.module == module and item.parent_id == parent_id]
        return sorted(items, key=lambda item: (item.created_time, int(item.id)), reverse=True)

    def get(self, module: str, parent_id: str, attachment_id: str) -> Attachment | None:
        item = self._items.get(str(attachment_id))
        return item if item is not None and item.module == module and item.parent_id == parent_id else None

    def delete(self, attachment_id: str) -> None:
        self._items.pop(str(attachment_id), None)
