"""Instant notifications (``/actions/watch``): channels, and which changes reach which channel.

A channel watches events such as ``Leads.create``, ``Contacts.edit``, ``Deals.delete`` or ``Deals.all``
until ``channel_expiry`` (at most one day after the call; one hour when not given, as Zoho does) or
until it is disabled. Every write, whatever path made it (REST, bulk write, lead conversion), is seen
through the backend's write hooks; when the write's transaction ends (one API call) each channel that
watches the module and operation gets one callback with all the ids, the channel's token, the
affected fields and, with ``return_affected_field_values``, their new values. A channel with
``notify_on_related_action`` also hears of notes and activities added to, changed on or deleted from a
watched record: an ``update`` of the parent whose ``affected_fields`` name the related lists. The
payloads and their delivery are in ``models.callbacks``.

Example:
    >>> module, operations = event_parts("Deals.all")
    >>> module, sorted(operations)
    ('Deals', ['create', 'delete', 'edit'])
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from leadflow_emulators.common.clock import iso
from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.callbacks import (
    ORIGIN,
    RELATED_MODULES,
    CallbackSender,
    Delivery,
    change_payload,
    parents,
    related_payload,
)
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


class Watches:
    """Notification channels of one org, the changes waiting for their call to end, and the sender."""

    def __init__(self, backend: ZohoBackend, sender: CallbackSender | None = None) -> None:
        self.backend = backend
        self.channels: dict[str, Channel] = {}
        self.sender = sender or CallbackSender()
        self._pending: list[Change] = []

    # ----------------------------------------------------------- channels
    def reset(self) -> None:
        self.sender.clear()
        with self.backend.lock:
            self.channels.clear()
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
        return ORIGIN

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
        touched = parents(changes)
        for channel in self.active():
            for (module, operation), by_id in groups.items():
                if not by_id or operation not in channel.events.get(module, set()):
                    continue
                payload = change_payload(
                    channel.notify_url,
                    channel.channel_id,
                    channel.token,
                    module,
                    operation,
                    list(by_id.values()),
                    now,
                    with_values=channel.return_affected_field_values,
                )
                self.sender.send(channel.channel_id, channel.notify_url, payload)
            if channel.notify_on_related_action:
                for module, records in touched.items():
                    if "edit" in channel.events.get(module, set()):
                        payload = related_payload(
                            channel.notify_url, channel.channel_id, channel.token, module, records, now
                        )
                        self.sender.send(channel.channel_id, channel.notify_url, payload)

    @property
    def deliveries(self) -> list[Delivery]:
        return self.sender.deliveries

    def drain(self) -> None:
        """Wait until every queued callback has been attempted (tests, reset)."""
        self.sender.drain()
