"""The Zoho notification channel kept by the service, against the Zoho emulator: enabled at start with a
generated token, renewed at 80 % of its life (a fake clock shared with the emulator's), and notifications
sent after the first expiry still reach the service over a real socket and are accepted; a reconcile of Zoho's
modified records stores each record change once."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import SecretStr

from leadflow.config import Settings, TrackingSettings
from leadflow.pipeline.track import channel_keeper
from leadflow.store import kv
from leadflow.tracking.channel_tokens import TOKEN_KEY
from leadflow.tracking.channels import ChannelKeeper
from leadflow.tracking.reconcile import Reconciler
from leadflow.zoho import ClientOptions
from tests.web.test_webhook_intake import Server
from tests.zoho.conftest import Rig

CHANNEL = "1000000068001"


class SharedClock:
    """leadflow's clock and the emulator's, moved together."""

    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.now = datetime.fromisoformat(rig.control("GET", "clock")["now"])

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta
        self.rig.control("POST", "clock", json={"set": self.now.isoformat()})


def _zoho_deliveries(database: str) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as db:
        return db.execute("select vendor_event_id, event_type from webhook_deliveries where source = 'zoho'").fetchall()


def _wait_for(database: str, count: int) -> list[tuple[str, str]]:
    deadline = time.monotonic() + 10
    while len(found := _zoho_deliveries(database)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_serve_enables_renews_and_receives(rig: Rig, tmp_path: Path) -> None:
    database = rig.database_url.removeprefix("sqlite:///")
    settings = Settings(database_url=rig.database_url, tracking=TrackingSettings(zoho_channel_id=CHANNEL))
    clock = SharedClock(rig)
    zoho = rig.client(options=ClientOptions(sleep=rig.sleeps, seed=1, clock=clock))
    server = Server(settings)
    try:
        keeper = channel_keeper(settings, rig.engine, zoho, server.url, clock=clock)
        with rig.engine.connect() as connection:
            token = kv.get_value(connection, key=TOKEN_KEY.format(channel_id=CHANNEL))
        assert isinstance(token, str)
        assert len(token) >= 24
        assert keeper.token == token

        start = clock()
        first = keeper.check()
        assert first.action == "enabled"
        channel = zoho.watch.get(CHANNEL)
        assert channel is not None
        assert channel.notify_url == f"{server.url}/webhooks/zoho"
        assert set(channel.events) == {"Deals.all", "Leads.all", "Contacts.all"}
        assert channel.token == token
        assert channel.expiry is not None
        assert abs(channel.expiry - (start + timedelta(days=1))) < timedelta(seconds=2)
        assert abs(first.next_check - (start + timedelta(hours=19, minutes=12))) < timedelta(seconds=2)

        clock.advance(timedelta(hours=19))
        assert keeper.check().action == "kept"
        clock.advance(timedelta(minutes=30))  # past 80 % of the day
        renewed = keeper.check()
        assert renewed.action == "renewed"
        assert renewed.channel.expiry is not None
        assert renewed.channel.expiry > channel.expiry + timedelta(hours=19)

        clock.advance(timedelta(hours=6))  # the first expiry is behind us; the channel lives on
        assert zoho.watch.get(CHANNEL) is not None
        [created] = zoho.deals.insert([{"Deal_Name": "Acme renewal", "Stage": "Qualification"}])
        zoho.deals.move(str(created.id), "Needs Analysis")
        found = _wait_for(database, 2)
        assert sorted(event_type for _, event_type in found) == ["Deals.insert", "Deals.update"]

        # a keeper pointed elsewhere (the service moved) re-enables the channel with the new address
        moved = ChannelKeeper(zoho.watch, CHANNEL, "http://127.0.0.1:9/webhooks/zoho", token, clock=clock)
        assert moved.check().action == "enabled"
        assert zoho.watch.get(CHANNEL).notify_url == "http://127.0.0.1:9/webhooks/zoho"  # type: ignore[union-attr]

        # Zoho's modified records since a cursor: each change stored once however often the poll runs
        reconciler = Reconciler(rig.engine, zoho_modules={"Deals": zoho.deals}, clock=clock)
        polled = reconciler.run(since=start)
        assert polled.zoho_records == 1
        assert polled.zoho_new == 1
        assert reconciler.run().zoho_new == 0
    finally:
        server.close()
        zoho.close()


def test_a_configured_token_is_used_as_is(rig: Rig) -> None:
    settings = Settings(
        database_url=rig.database_url,
        tracking=TrackingSettings(zoho_channel_id=CHANNEL, zoho_channel_token=SecretStr("configured-token")),
    )
    with rig.client() as zoho:
        keeper = channel_keeper(settings, rig.engine, zoho, "https://hooks.example.com/")
        assert keeper.token == "configured-token"
        assert keeper.notify_url == "https://hooks.example.com/webhooks/zoho"
