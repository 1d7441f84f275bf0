"""The Zoho notification channel the service keeps alive: enabled on start, renewed before it lapses.

Zoho ends a channel at its ``channel_expiry`` (at most one day after the call that set it) and says nothing;
notifications simply stop. :class:`ChannelKeeper` enables the channel (Deals, Leads, Contacts; every
operation; the new field values included, so a Deal's new Stage comes with its notification) when Zoho does
not have it as wanted, and renews it once ``renew_fraction`` of its life has passed. The token Zoho echoes in
every notification is ``[tracking] zoho_channel_token``, or one generated once and kept in the store
(:mod:`leadflow.tracking.channel_tokens`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from leadflow.log import get_logger
from leadflow.store.runs import utcnow
from leadflow.zoho.notifications import MAX_EXPIRY, WatchApi, WatchChannel

CHANNEL_EVENTS = ("Deals.all", "Leads.all", "Contacts.all")
RETRY_AFTER_FAILURE = timedelta(minutes=1)


@dataclass(frozen=True)
class KeeperCheck:
    """What one check did (``enabled``, ``renewed`` or ``kept``) and when the next is due."""

    action: str
    channel: WatchChannel
    next_check: datetime


class ChannelKeeper:
    """Keeps one Zoho notification channel enabled, pointing at the service.

    Example:
        >>> keeper = ChannelKeeper(zoho.watch, "1000000068001", "https://hooks.example/webhooks/zoho", "tok")
        ... # doctest: +SKIP
        >>> keeper.check().action  # doctest: +SKIP
        'enabled'
    """

    def __init__(
        self,
        watch: WatchApi,
        channel_id: str,
        notify_url: str,
        token: str,
        *,
        events: Sequence[str] = CHANNEL_EVENTS,
        lifetime: timedelta = MAX_EXPIRY,
        renew_fraction: float = 0.8,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if not 0 < renew_fraction < 1:
            raise ValueError("renew_fraction must be between 0 and 1")
        self.watch = watch
        self.channel_id = channel_id
        self.notify_url = notify_url
        self.token = token
        self.events = tuple(events)
        self.lifetime = lifetime
        self.renew_fraction = renew_fraction
        self.clock = clock
        self.log = get_logger(__name__)

    @property
    def margin(self) -> timedelta:
        """Renew when less than this is left (one day at 80 %: 4 h 48 min before expiry)."""
        return self.lifetime * (1 - self.renew_fraction)

    def check(self) -> KeeperCheck:
        """Enable the channel when Zoho lacks it (or it points elsewhere, or watches less), renew it when due."""
        now = self.clock()
        current = self.watch.get(self.channel_id)
        if current is None or not self._as_wanted(current):
            channel = self.watch.enable(
                self.channel_id,
                self.events,
                self.notify_url,
                token=self.token,
                expiry=now + self.lifetime,
                return_affected_field_values=True,
            )
            action = "enabled"
        elif current.expiry is None or current.expiry - now <= self.margin:
            channel = self.watch.renew(self.channel_id, expiry=now + self.lifetime)
            action = "renewed"
        else:
            channel = current
            action = "kept"
        expiry = channel.expiry or now + self.lifetime
        next_check = max(expiry - self.margin, now + timedelta(seconds=1))
        self.log.info("tracking.zoho_channel", action=action, channel=self.channel_id, expiry=str(channel.expiry))
        return KeeperCheck(action, channel, next_check)

    def _as_wanted(self, channel: WatchChannel) -> bool:
        return (
            channel.notify_url == self.notify_url
            and set(self.events) <= set(channel.events)
            and channel.token == self.token
            and channel.return_affected_field_values
        )

    def run_forever(self, stop: threading.Event) -> None:
        """Check, then sleep until the next check is due (a minute after a failure), until ``stop`` is set."""
        while not stop.is_set():
            try:
                wait = (self.check().next_check - self.clock()).total_seconds()
            except Exception as exc:  # Zoho unreachable or refusing, the store busy: say so, try again shortly
                self.log.warning("tracking.zoho_channel_failed", channel=self.channel_id, error=str(exc))
                wait = RETRY_AFTER_FAILURE.total_seconds()
            stop.wait(max(wait, 1.0))
