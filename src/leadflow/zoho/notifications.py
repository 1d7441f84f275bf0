"""Zoho's instant notifications (``/actions/watch``): enable, update, renew, disable and read channels.

Zoho keeps a channel for at most one day (one hour when no expiry is given), so a process that relies
on notifications renews its channel before it runs out: :meth:`WatchApi.renew_if_due`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from leadflow.errors import ApiError, InputError
from leadflow.http.paging import Page, paginate
from leadflow.store.runs import utcnow
from leadflow.zoho.api import ZohoApi
from leadflow.zoho.paging import MORE_RECORDS
from leadflow.zoho.refusals import refusal

MAX_EXPIRY = timedelta(days=1)
RENEW_MARGIN = timedelta(hours=2)
MAX_TOKEN_LENGTH = 50
OPERATIONS = ("create", "edit", "delete", "all")


@dataclass(frozen=True)
class WatchChannel:
    """One channel as Zoho lists it: the events of every module it watches, where and until when.

    Example:
        >>> WatchChannel("1", "https://h.example/z", ("Leads.create",), None, None).events
        ('Leads.create',)
    """

    channel_id: str
    notify_url: str
    events: tuple[str, ...]
    expiry: datetime | None
    token: str | None
    return_affected_field_values: bool = False


def _check_events(events: Sequence[str]) -> list[str]:
    checked = []
    for event in events:
        module, _, operation = event.partition(".")
        if not module or operation not in OPERATIONS:
            raise InputError(f"watch event {event!r}: expected Module.operation with create, edit, delete or all")
        checked.append(event)
    if not checked:
        raise InputError("a watch needs at least one event, e.g. Leads.create")
    return checked


class WatchApi:
    """Notification channels of the connected org (1 credit per call).

    Example:
        >>> zoho.watch.enable("1000000068001", ["Leads.all"], "https://hooks.example/zoho", token="s3cret")
        ... # doctest: +SKIP
        WatchChannel(channel_id='1000000068001', ...)
    """

    def __init__(self, api: ZohoApi, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.api = api
        self.clock = clock

    def _expiry(self, expiry: datetime | None) -> str:
        now = self.clock()
        wanted = expiry or now + MAX_EXPIRY
        if wanted <= now:
            raise InputError(f"channel expiry {wanted.isoformat()} is in the past")
        return min(wanted, now + MAX_EXPIRY).replace(microsecond=0).isoformat()

    def _send(self, method: str, item: dict[str, Any], label: str) -> None:
        reply = self.api.call(
            method, self.api.crm_url("actions/watch"), json={"watch": [item]}, idempotent=False, batch=True, label=label
        )
        items = reply.body.get("watch") if isinstance(reply.body, dict) else None
        first = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
        if first.get("status") != "success":
            raise refusal(reply.status, first, label)

    def enable(
        self,
        channel_id: str,
        events: Sequence[str],
        notify_url: str,
        *,
        token: str | None = None,
        expiry: datetime | None = None,
        return_affected_field_values: bool = False,
        notify_on_related_action: bool = False,
    ) -> WatchChannel:
        """Start (or extend) a channel; ``expiry`` defaults to Zoho's maximum, one day from now.

        Example:
            >>> zoho.watch.enable("1000000068001", ["Contacts.edit"], "https://hooks.example/zoho").events
            ... # doctest: +SKIP
            ('Contacts.edit',)
        """
        if not channel_id.isdigit():
            raise InputError(f"channel id {channel_id!r} must be a number (Zoho's channel ids are longs)")
        if token is not None and len(token) > MAX_TOKEN_LENGTH:
            raise InputError(f"a watch token is at most {MAX_TOKEN_LENGTH} characters")
        item: dict[str, Any] = {
            "channel_id": channel_id,
            "events": _check_events(events),
            "notify_url": notify_url,
            "channel_expiry": self._expiry(expiry),
            "return_affected_field_values": return_affected_field_values,
            "notify_on_related_action": notify_on_related_action,
        }
        if token is not None:
            item["token"] = token
        self._send("POST", item, "enable watch")
        return self._require(channel_id)

    def renew(self, channel_id: str, *, expiry: datetime | None = None) -> WatchChannel:
        """Push a channel's expiry out (to one day from now by default), keeping everything else.

        Example:
            >>> zoho.watch.renew("1000000068001").expiry  # doctest: +SKIP
        """
        self._send("PATCH", {"channel_id": channel_id, "channel_expiry": self._expiry(expiry)}, "renew watch")
        return self._require(channel_id)

    def renew_if_due(self, channel_id: str, *, margin: timedelta = RENEW_MARGIN) -> WatchChannel | None:
        """Renew the channel when it expires within ``margin``; ``None`` when Zoho no longer has it.

        Example:
            >>> zoho.watch.renew_if_due("1000000068001")  # doctest: +SKIP
        """
        channel = self.get(channel_id)
        if channel is None:
            return None
        if channel.expiry is None or channel.expiry - self.clock() <= margin:
            return self.renew(channel_id)
        return channel

    def remove_events(self, channel_id: str, events: Sequence[str]) -> WatchChannel | None:
        """Stop some events of a channel (``_delete_events``); ``None`` when none is left.

        Example:
            >>> zoho.watch.remove_events("1000000068001", ["Deals.all"])  # doctest: +SKIP
        """
        item = {"channel_id": channel_id, "events": _check_events(events), "_delete_events": True}
        self._send("PATCH", item, "remove watch events")
        return self.get(channel_id)

    def disable(self, channel_ids: Sequence[str]) -> None:
        """End channels now; Zoho refuses the whole call when one id is unknown.

        Example:
            >>> zoho.watch.disable(["1000000068001"])  # doctest: +SKIP
        """
        if not channel_ids:
            return
        self.api.call(
            "DELETE",
            self.api.crm_url("actions/watch"),
            params={"channel_ids": ",".join(channel_ids)},
            idempotent=True,
            label="disable watch",
        )

    def channels(self) -> list[WatchChannel]:
        """Every live channel of the org (one per channel id, all its modules' events together).

        Example:
            >>> [c.channel_id for c in zoho.watch.channels()]  # doctest: +SKIP
            ['1000000068001']
        """
        return self._list({})

    def get(self, channel_id: str) -> WatchChannel | None:
        """One channel, or ``None`` when it expired or was never enabled.

        Example:
            >>> zoho.watch.get("1000000068001") is None  # doctest: +SKIP
            False
        """
        found = self._list({"channel_id": channel_id})
        return found[0] if found else None

    def _require(self, channel_id: str) -> WatchChannel:
        channel = self.get(channel_id)
        if channel is None:
            raise ApiError(f"Zoho accepted watch channel {channel_id} but does not list it", status=200)
        return channel

    def _list(self, params: dict[str, str]) -> list[WatchChannel]:
        url = self.api.crm_url("actions/watch")

        def fetch(page: int) -> Page[dict[str, Any]]:
            query = {**params, "page": str(page), "per_page": "200"}
            return self.api.call("GET", url, params=query, label="watch details").page("watch")

        merged: dict[str, WatchChannel] = {}
        for item in paginate(fetch, MORE_RECORDS):
            channel = _channel(item)
            known = merged.get(channel.channel_id)
            if known is not None:
                channel = WatchChannel(
                    known.channel_id,
                    known.notify_url,
                    known.events + channel.events,
                    known.expiry,
                    known.token,
                    known.return_affected_field_values,
                )
            merged[channel.channel_id] = channel
        return list(merged.values())


def _channel(item: dict[str, Any]) -> WatchChannel:
    expiry = item.get("channel_expiry")
    return WatchChannel(
        channel_id=str(item.get("channel_id")),
        notify_url=str(item.get("notify_url") or ""),
        events=tuple(str(event) for event in item.get("events") or []),
        expiry=datetime.fromisoformat(expiry) if isinstance(expiry, str) else None,
        token=item.get("token"),
        return_affected_field_values=bool(item.get("return_affected_field_values")),
    )
