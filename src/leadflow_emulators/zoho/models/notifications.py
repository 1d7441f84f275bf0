"""Instant notifications (``/actions/watch``): channels, and Zoho's callback POSTed to ``notify_url``.

A channel watches events such as ``Leads.create``, ``Contacts.edit``, ``Deals.delete`` or ``Deals.all``
until ``channel_expiry`` (at most one day after the call; one hour when not given, as Zoho does) or
until it is disabled. Every write, whatever path made it (REST, bulk write, lead conversion), is seen
through the backend's write hooks; when the write's transaction ends (one API call) each channel that
watches the module and operation gets one callback with all the ids, the channel's token, the
affected fields and, with ``return_affected_field_values``, their new values. A channel with
``notify_on_related_action`` also hears of notes and activities added to, changed on or deleted from a
watched record: an ``update`` of the parent whose ``affected_fields`` name the related lists. Callbacks
are POSTed by a background thread (one per org, started on first use); every attempt (the receiver's
status or the connection error) is kept in ``deliveries``.

Example:
    >>> module, operations = event_parts("Deals.all")
    >>> module, sorted(operations)
    ('Deals', ['create', 'delete', 'edit'])
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from leadflow_emulators.common.clock import iso
from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.hooks import Change
from leadflow_emulators.zoho.models.results import RecordError
from leadflow_emulators.zoho.models.validation import parse_datetime

if TYPE_CHECKING:
    from leadflow_emulators.zoho.models.backend import ZohoBackend

MAX_EXPIRY = timedelta(days=1)
DEFAULT_EXPIRY = timedelta(hours=1)
MAX_TOKEN_LENGTH = 50
MAX_CHANNELS_PER_CALL = 100
OPERATIONS = ("create", "edit", "delete")
CALLBACK_OPERATION = {"create": "insert", "edit": "update", "delete": "delete"}
_SYSTEM_FIELDS = frozenset({"Modified_Time", "Modified_By", "Created_Time", "Created_By", "Full_Name"})


RELATED_MODULES = ("Notes", "Tasks", "Calls", "Events")


def _parents(changes: list[Change]) -> dict[str, dict[str, set[str]]]:
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


def event_parts(event: str) -> tuple[str, frozenset[str]]:
    """``"Leads.edit"`` -> ``("Leads", {"edit"})``; ``.all`` means every operation; ValueError otherwise."""
    module, _, operation = event.partition(".")
    if not module or operation not in (*OPERATIONS, "all"):
        raise ValueError(event)
    return module, frozenset(OPERATIONS) if operation == "all" else frozenset({operation})


@dataclass
class Channel:
    """One notification channel (Zoho keys them by ``channel_id``)."""

    channel_id: str
    notify_url: str
    events: dict[str, set[str]]
    expiry: datetime
    token: str | None = None
    return_affected_field_values: bool = False
    notify_on_related_action: bool = False
    fields: dict[str, Any] | None = None

    def event_names(self) -> list[str]:
        names = []
        for module, operations in self.events.items():
            if operations == set(OPERATIONS):
                names.append(f"{module}.all")
            else:
                names += [f"{module}.{operation}" for operation in OPERATIONS if operation in operations]
        return names


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


Poster = Callable[[str, dict[str, Any]], int]


def _post(url: str, payload: dict[str, Any]) -> int:
    with httpx.Client(timeout=5.0) as client:
        return client.post(url, json=payload).status_code


class Watches:
    """Notification channels of one org, the changes waiting for their call to end, and the sender."""

    def __init__(self, backend: ZohoBackend, poster: Poster = _post) -> None:
        self.backend = backend
        self.channels: dict[str, Channel] = {}
        self.deliveries: list[Delivery] = []
        self._pending: list[Change] = []
        self._poster = poster
        self._queue: queue.Queue[Delivery] = queue.Queue()
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------- channels
    def reset(self) -> None:
        self.drain()
        with self.backend.lock:
            self.channels.clear()
            self.deliveries.clear()
            self._pending.clear()

    def _check(self, item: Any, index: int, *, partial: bool) -> dict[str, Any]:
        """The validated fields of one ``watch`` item (RecordError with Zoho's code otherwise)."""

        def path(name: str) -> str:
            return f"$.watch[{index}].{name}"

        if not isinstance(item, dict):
            raise RecordError("INVALID_DATA", "invalid data", {"api_name": "watch", "json_path": f"$.watch[{index}]"})
        out: dict[str, Any] = {}
        channel_id = item.get("channel_id")
        if channel_id in (None, ""):
            raise RecordError(
                "MANDATORY_NOT_FOUND",
                "required field not found",
                {"api_name": "channel_id", "json_path": path("channel_id")},
            )
        if not str(channel_id).isdigit():
            raise RecordError(
                "INVALID_DATA",
                "invalid data",
                {"api_name": "channel_id", "json_path": path("channel_id"), "expected_data_type": "long"},
            )
        out["channel_id"] = str(channel_id)
        events = item.get("events")
        if events is None and not partial:
            raise RecordError(
                "MANDATORY_NOT_FOUND", "required field not found", {"api_name": "events", "json_path": path("events")}
            )
        if events is not None:
            if not isinstance(events, list) or not events:
                raise RecordError("INVALID_DATA", "invalid data", {"api_name": "events", "json_path": path("events")})
            parsed: dict[str, set[str]] = {}
            for number, event in enumerate(events):
                try:
                    module, operations = event_parts(str(event))
                    api_name = self.backend.module(module).api_name
                except (ValueError, ZohoError):
                    raise RecordError(
                        "INVALID_DATA",
                        "invalid data",
                        {"api_name": "events", "json_path": f"{path('events')}[{number}]"},
                    ) from None
                parsed.setdefault(api_name, set()).update(operations)
            out["events"] = parsed
        url = item.get("notify_url")
        if url is None and not partial:
            raise RecordError(
                "MANDATORY_NOT_FOUND",
                "required field not found",
                {"api_name": "notify_url", "json_path": path("notify_url")},
            )
        if url is not None:
            parts = urlsplit(str(url))
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise RecordError(
                    "INVALID_DATA", "invalid data", {"api_name": "notify_url", "json_path": path("notify_url")}
                )
            out["notify_url"] = str(url)
        if "token" in item:
            token = item["token"]
            if token is not None and (not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH):
                raise RecordError(
                    "INVALID_DATA",
                    "invalid data",
                    {"api_name": "token", "json_path": path("token"), "maximum_length": MAX_TOKEN_LENGTH},
                )
            out["token"] = token
        now = self.backend.clock.now()
        if item.get("channel_expiry") is not None:
            try:
                expiry = parse_datetime(str(item["channel_expiry"]))
            except ValueError:
                raise RecordError(
                    "INVALID_DATA", "invalid data", {"api_name": "channel_expiry", "json_path": path("channel_expiry")}
                ) from None
            if expiry <= now:
                raise RecordError(
                    "INVALID_DATA", "invalid data", {"api_name": "channel_expiry", "json_path": path("channel_expiry")}
                )
            out["expiry"] = min(expiry, now + MAX_EXPIRY)
        elif not partial:
            out["expiry"] = now + DEFAULT_EXPIRY
        for flag in ("return_affected_field_values", "notify_on_related_action"):
            if flag in item:
                if not isinstance(item[flag], bool):
                    raise RecordError(
                        "INVALID_DATA",
                        "invalid data",
                        {"api_name": flag, "json_path": path(flag), "expected_data_type": "boolean"},
                    )
                out[flag] = item[flag]
        if "fields" in item:
            out["fields"] = item["fields"] if isinstance(item["fields"], dict) else None
        return out

    def enable(self, item: Any, index: int) -> Channel:
        """Create (or, for a known ``channel_id``, add events to) a channel; RecordError when invalid."""
        values = self._check(item, index, partial=False)
        with self.backend.lock:
            existing = self.channels.get(values["channel_id"])
            if existing is not None:
                for module, operations in values.pop("events").items():
                    existing.events.setdefault(module, set()).update(operations)
                for key, value in values.items():
                    setattr(existing, key, value)
                return existing
            channel = Channel(**values)
            self.channels[channel.channel_id] = channel
            return channel

    def update(self, item: Any, index: int, *, replace: bool) -> Channel:
        """PUT (``replace``: the given details replace the channel's) or PATCH (merge; ``_delete_events``)."""
        values = self._check(item, index, partial=not replace)
        with self.backend.lock:
            channel = self.channels.get(values["channel_id"])
            if channel is None or self._expired(channel):
                raise RecordError(
                    "INVALID_DATA",
                    "invalid data",
                    {"api_name": "channel_id", "json_path": f"$.watch[{index}].channel_id"},
                )
            events = values.pop("events", None)
            if events is not None:
                if replace:
                    channel.events = events
                elif isinstance(item, dict) and item.get("_delete_events") is True:
                    for module, operations in events.items():
                        remaining = channel.events.get(module, set()) - operations
                        if remaining:
                            channel.events[module] = remaining
                        else:
                            channel.events.pop(module, None)
                else:
                    for module, operations in events.items():
                        channel.events.setdefault(module, set()).update(operations)
            if replace:
                channel.token = values.get("token")
                channel.return_affected_field_values = bool(values.get("return_affected_field_values"))
                channel.notify_on_related_action = bool(values.get("notify_on_related_action"))
                channel.fields = values.get("fields")
            for key, value in values.items():
                setattr(channel, key, value)
            return channel

    def disable(self, channel_id: str) -> bool:
        with self.backend.lock:
            return self.channels.pop(str(channel_id), None) is not None

    def _expired(self, channel: Channel) -> bool:
        return self.backend.clock.now() >= channel.expiry

    def active(self) -> list[Channel]:
        with self.backend.lock:
            return [channel for channel in self.channels.values() if not self._expired(channel)]

    def channel_json(self, channel: Channel, module: str, version: str) -> dict[str, Any]:
        """One channel's watch of one module, as ``GET /actions/watch`` lists it."""
        meta = self.backend.module(module)
        operations = channel.events[module]
        events = (
            [f"{module}.all"]
            if operations == set(OPERATIONS)
            else [f"{module}.{op}" for op in OPERATIONS if op in operations]
        )
        return {
            "notify_on_related_action": channel.notify_on_related_action,
            "channel_expiry": iso(channel.expiry),
            "return_affected_field_values": channel.return_affected_field_values,
            "resource_uri": f"{self._origin()}/crm/{version}/{module}",
            "resource_id": meta.id,
            "notify_url": channel.notify_url,
            "resource_name": module,
            "fields": channel.fields,
            "notification_condition": [],
            "channel_id": channel.channel_id,
            "events": events,
            "token": channel.token,
        }

    def event_details(self, channel: Channel, version: str) -> list[dict[str, Any]]:
        """The ``details.events`` of a successful enable/update."""
        return [
            {
                "channel_expiry": iso(channel.expiry),
                "resource_uri": f"{self._origin()}/crm/{version}/{module}",
                "resource_id": self.backend.module(module).id,
                "resource_name": module,
                "channel_id": channel.channel_id,
                "notification_condition": [],
            }
            for module in channel.events
        ]

    def _origin(self) -> str:
        return "https://www.zohoapis.com"

    # ------------------------------------------------------------ changes
    def observe(self, change: Change) -> None:
        """Write hook: remember the change when a live channel watches its module (or a parent's, for
        channels that follow related actions)."""
        related = change.module in RELATED_MODULES and any(c.notify_on_related_action for c in self.channels.values())
        if related or any(change.module in channel.events for channel in self.channels.values()):
            self._pending.append(change)

    def committed(self) -> None:
        """Commit hook: one callback per channel, module and operation for the call that just ended."""
        if not self._pending:
            return
        changes, self._pending = self._pending, []
        groups: dict[tuple[str, str], dict[str, Change]] = {}
        for change in changes:
            # A record created and edited in one call (a conversion) is reported once, as created.
            group = groups.setdefault((change.module, change.operation), {})
            created = groups.get((change.module, "create"), {})
            if change.operation == "edit" and change.record["id"] in created:
                continue
            group[change.record["id"]] = change
        now = self.backend.clock.now()
        parents = _parents(changes)
        for channel in self.active():
            for (module, operation), by_id in groups.items():
                if not by_id or operation not in channel.events.get(module, set()):
                    continue
                self._send(channel, self._payload(channel, module, operation, list(by_id.values()), now))
            if channel.notify_on_related_action:
                for module, touched in parents.items():
                    if "edit" in channel.events.get(module, set()):
                        self._send(channel, self._related_payload(channel, module, touched, now))

    def _related_payload(
        self, channel: Channel, module: str, touched: dict[str, set[str]], now: datetime
    ) -> dict[str, Any]:
        """A parent record's callback for changes to its notes or activities: an update naming the lists."""
        return {
            "server_time": int(now.timestamp() * 1000),
            "query_params": dict(parse_qsl(urlsplit(channel.notify_url).query)),
            "module": module,
            "resource_uri": f"{self._origin()}/crm/v8/{module}",
            "ids": list(touched),
            "affected_fields": [{parent_id: sorted(lists)} for parent_id, lists in touched.items()],
            "operation": "update",
            "channel_id": channel.channel_id,
            "token": channel.token,
        }

    def _payload(
        self, channel: Channel, module: str, operation: str, changes: list[Change], now: datetime
    ) -> dict[str, Any]:
        ids = [change.record["id"] for change in changes]
        payload: dict[str, Any] = {
            "server_time": int(now.timestamp() * 1000),
            "query_params": dict(parse_qsl(urlsplit(channel.notify_url).query)),
            "module": module,
            "resource_uri": f"{self._origin()}/crm/v8/{module}",
            "ids": ids,
            "affected_fields": [],
            "operation": CALLBACK_OPERATION[operation],
            "channel_id": channel.channel_id,
            "token": channel.token,
        }
        if operation == "edit":
            payload["affected_fields"] = [
                {change.record["id"]: sorted(change.fields - _SYSTEM_FIELDS)} for change in changes
            ]
            if channel.return_affected_field_values:
                payload["affected_values"] = [
                    {
                        "record_id": change.record["id"],
                        "values": {name: change.record.get(name) for name in sorted(change.fields - _SYSTEM_FIELDS)},
                    }
                    for change in changes
                ]
        return payload

    # ------------------------------------------------------------- sender
    def _send(self, channel: Channel, payload: dict[str, Any]) -> None:
        delivery = Delivery(channel.channel_id, channel.notify_url, payload)
        self.deliveries.append(delivery)
        self._queue.put(delivery)
        if self._thread is None or not self._thread.is_alive():
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
        """Wait until every queued callback has been attempted (tests, reset)."""
        self._queue.join()
