"""Zoho's notification callbacks: the payloads for a call's changes, and the thread that POSTs them.

A payload carries ``module``, ``ids``, ``operation`` (insert, update, delete), ``token``, ``channel_id``,
``query_params`` (those of ``notify_url``), ``affected_fields`` and, when the channel asks for them,
``affected_values``. Every attempt is kept as a :class:`Delivery` (the receiver's status or the error).

Example:
    >>> sender = CallbackSender(poster=lambda url, payload: 200)
    >>> sender.send("1", "http://hooks.example/z", {"ids": ["9"]})
    >>> sender.drain()
    >>> [delivery.status for delivery in sender.deliveries]
    [200]
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from leadflow_emulators.zoho.models.hooks import Change

ORIGIN = "https://www.zohoapis.com"
CALLBACK_OPERATION = {"create": "insert", "edit": "update", "delete": "delete"}
RELATED_MODULES = ("Notes", "Tasks", "Calls", "Events")
_SYSTEM_FIELDS = frozenset({"Modified_Time", "Modified_By", "Created_Time", "Created_By", "Full_Name"})

Poster = Callable[[str, dict[str, Any]], int]


def _post(url: str, payload: dict[str, Any]) -> int:
    with httpx.Client(timeout=5.0) as client:
        return client.post(url, json=payload).status_code


@dataclass
class Delivery:
    """One callback attempt: where, what, and the receiver's status or the connection error."""

    channel_id: str
    url: str
    payload: dict[str, Any]
    status: int | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "channel_id": self.channel_id,
            "url": self.url,
            "payload": self.payload,
            "status": self.status,
            "error": self.error,
        }


class CallbackSender:
    """POSTs callbacks in order from one daemon thread (started on first use)."""

    def __init__(self, poster: Poster = _post) -> None:
        self.deliveries: list[Delivery] = []
        self._poster = poster
        self._queue: queue.Queue[Delivery] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def send(self, channel_id: str, url: str, payload: dict[str, Any]) -> None:
        delivery = Delivery(channel_id, url, payload)
        self.deliveries.append(delivery)
        self._queue.put(delivery)
        with self._start:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="zoho-notify", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            delivery = self._queue.get()
            try:
                delivery.status = self._poster(delivery.url, delivery.payload)
            except httpx.HTTPError as error:
                delivery.error = f"{type(error).__name__}: {error}"
            finally:
                self._queue.task_done()

    def drain(self) -> None:
        """Wait until every queued callback has been attempted."""
        self._queue.join()

    def clear(self) -> None:
        self.drain()
        self.deliveries.clear()


def _base(notify_url: str, channel_id: str, token: str | None, module: str, now: datetime) -> dict[str, Any]:
    return {
        "server_time": int(now.timestamp() * 1000),
        "query_params": dict(parse_qsl(urlsplit(notify_url).query)),
        "module": module,
        "resource_uri": f"{ORIGIN}/crm/v8/{module}",
        "channel_id": channel_id,
        "token": token,
    }


def change_payload(
    notify_url: str,
    channel_id: str,
    token: str | None,
    module: str,
    operation: str,
    changes: list[Change],
    now: datetime,
    *,
    with_values: bool,
) -> dict[str, Any]:
    """The callback for one module and operation of a call (``operation``: create, edit or delete)."""
    payload = _base(notify_url, channel_id, token, module, now)
    payload["ids"] = [change.record["id"] for change in changes]
    payload["operation"] = CALLBACK_OPERATION[operation]
    payload["affected_fields"] = []
    if operation == "edit":
        payload["affected_fields"] = [
            {change.record["id"]: sorted(change.fields - _SYSTEM_FIELDS)} for change in changes
        ]
        if with_values:
            payload["affected_values"] = [
                {
                    "record_id": change.record["id"],
                    "values": {name: change.record.get(name) for name in sorted(change.fields - _SYSTEM_FIELDS)},
                }
                for change in changes
            ]
    return payload


def related_payload(
    notify_url: str, channel_id: str, token: str | None, module: str, touched: dict[str, set[str]], now: datetime
) -> dict[str, Any]:
    """A parent record's callback for changes to its notes or activities: an update naming the lists."""
    payload = _base(notify_url, channel_id, token, module, now)
    payload["ids"] = list(touched)
    payload["affected_fields"] = [{parent_id: sorted(lists)} for parent_id, lists in touched.items()]
    payload["operation"] = "update"
    return payload


def parents(changes: list[Change]) -> dict[str, dict[str, set[str]]]:
    """Per parent module and record id, the related lists (Notes, Tasks...) a call changed."""
    out: dict[str, dict[str, set[str]]] = {}
    for change in changes:
        if change.module not in RELATED_MODULES:
            continue
        record = change.record
        links: list[tuple[Any, Any]] = []
        parent = record.get("Parent_Id")
        if isinstance(parent, dict):
            links.append(((parent.get("module") or {}).get("api_name"), parent.get("id")))
        what = record.get("What_Id")
        if isinstance(what, dict):
            links.append((record.get("$se_module"), what.get("id")))
        who = record.get("Who_Id")
        if isinstance(who, dict):
            links.append(("Contacts", who.get("id")))
        for module, record_id in links:
            if module and record_id:
                out.setdefault(str(module), {}).setdefault(str(record_id), set()).add(change.module)
    return out
