"""From an unsubscribe in GoHighLevel to every place it must show: GHL's signed webhook received over a real
socket, the worker storing the event and queueing the opt-out, ``Email_Opt_Out`` set on the Zoho Lead (the
Zoho emulator as a process of its own), the person suppressed by the re-score, and GHL's DND for e-mail set by
the next sync to GHL."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from leadflow.config import GhlSettings, SyncSettings
from leadflow.pipeline.sync import zoho_sync
from leadflow.pipeline.track import tracking_process
from leadflow.store import open_store
from leadflow.sync.ghl_target import GhlTarget
from leadflow.sync.runner import SyncRunner
from leadflow.zoho.client import ZohoClient
from tests.ghl.conftest import Emulator, make_client
from tests.sync import golden
from tests.sync.emulator import Emulator as ZohoEmulator
from tests.sync.emulator import settings_for
from tests.web.test_webhook_intake import Server


def test_an_unsubscribe_opts_out_in_zoho_suppresses_and_sets_ghl_dnd(tmp_path: Path, emulator: Emulator) -> None:
    zoho_emulator = ZohoEmulator()
    try:
        keys = emulator.control("GET", "webhooks/keys")
        settings = settings_for(zoho_emulator, f"sqlite:///{tmp_path / 'leadflow.db'}").model_copy(
            update={"ghl": GhlSettings(webhook_public_key=keys["ed25519"], webhook_legacy_public_key=keys["rsa"])}
        )
        engine = open_store(settings.database_url)
        people = golden.populate(engine, 4, companies=2)
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "insert into record_tags (golden_person_id, target, desired, applied, custom_fields, updated_at)"
                    " select golden_person_id, 'ghl', desired, '[]', custom_fields, updated_at from record_tags"
                )
            )
        with zoho_sync(settings, engine) as runner:
            runner.run()
        ghl = make_client(emulator, tmp_path / "client")
        SyncRunner(engine, GhlTarget(ghl), SyncSettings(), tag_prefix="lf-").run()
        with engine.connect() as connection:
            remote = {
                (target, golden_id): remote_id
                for target, golden_id, remote_id in connection.execute(
                    sa.text("select target, golden_id, remote_id from sync_records where kind = 'person'")
                )
            }
        leaver, stayer = people[0], people[1]
        contact = remote[("ghl", leaver)]
        server = Server(settings)
        try:
            emulator.control("POST", "webhooks", {"urls": [f"{server.url}/webhooks/ghl"]})
            for person in (leaver, stayer):
                ghl.conversations.send(remote[("ghl", person)], "Email", subject="Hello", html="<p>Hi</p>")
            emulator.control("POST", "engagement", {"kind": "unsubscribe", "contactId": contact})
            emulator.control("POST", "engagement", {"kind": "open", "contactId": remote[("ghl", stayer)]})
            emulator.control("POST", "webhooks/flush", {"timeout": 10})
        finally:
            server.close()

        process = tracking_process(engine, settings)
        try:
            process.drain()
        finally:
            process.close()
        assert process.actions.by_kind == {"opt_out": 1}
        with ZohoClient.from_settings(settings, engine) as zoho:
            lead = zoho.leads.get(remote[("zoho", leaver)], fields=["Email_Opt_Out"])
            other = zoho.leads.get(remote[("zoho", stayer)], fields=["Email_Opt_Out"])
        assert lead is not None
        assert other is not None
        assert lead["Email_Opt_Out"] is True
        assert not other.get("Email_Opt_Out")
        with engine.connect() as connection:
            suppressed = dict(
                connection.execute(sa.text("select golden_person_id, suppression_reasons from scores")).all()
            )
        assert "unsubscribed" in str(suppressed[leaver])
        assert "unsubscribed" not in str(suppressed[stayer])

        SyncRunner(engine, GhlTarget(ghl), SyncSettings(), tag_prefix="lf-").run()
        dnd = ghl.contacts.get(contact).get("dndSettings") or {}
        assert dnd["Email"]["status"] == "active"
        untouched = ghl.contacts.get(remote[("ghl", stayer)]).get("dndSettings") or {}
        assert (untouched.get("Email") or {}).get("status") != "active"
    finally:
        zoho_emulator.stop()
