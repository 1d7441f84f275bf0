"""The return loop in one process: people synced to the GHL emulator, its signed engagement webhooks received by
leadflow's app over a real socket, the worker applying them once to the engagement log, scores updated."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa

from leadflow.config import GhlSettings, Settings, SyncSettings
from leadflow.pipeline.track import tracking_worker
from leadflow.store import open_store
from leadflow.sync.ghl_target import GhlTarget
from leadflow.sync.runner import SyncRunner
from tests.ghl.conftest import Emulator, make_client
from tests.sync import golden
from tests.web.test_webhook_intake import Server


def _settings(tmp_path: Path, keys: dict[str, str]) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'leadflow.db'}",
        ghl=GhlSettings(webhook_public_key=keys["ed25519"], webhook_legacy_public_key=keys["rsa"]),
    )


def test_engagement_comes_back_once_and_changes_the_score(tmp_path: Path, emulator: Emulator) -> None:
    settings = _settings(tmp_path, emulator.control("GET", "webhooks/keys"))
    engine = open_store(settings.database_url)
    people = golden.populate(engine, 6, companies=2)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "insert into record_tags (golden_person_id, target, desired, applied, custom_fields, updated_at)"
                " select golden_person_id, 'ghl', desired, '[]', custom_fields, updated_at from record_tags"
            )
        )
    ghl = make_client(emulator, tmp_path / "client")
    SyncRunner(engine, GhlTarget(ghl), SyncSettings(), tag_prefix="lf-").run()
    with engine.connect() as connection:
        contact_of = dict(
            connection.execute(sa.text("select golden_id, remote_id from sync_records where target = 'ghl'")).all()
        )
    server = Server(settings)
    try:
        emulator.control("POST", "webhooks", {"urls": [f"{server.url}/webhooks/ghl"]})
        person = people[0]
        contact = contact_of[person]
        ghl.conversations.send(contact, "Email", subject="Quick question", html="<p>Hi</p>")
        for kind in ("open", "click", "reply"):
            emulator.control("POST", "engagement", {"kind": kind, "contactId": contact})
        # a contact leadflow never synced (created by hand in GHL): parked, not lost
        stranger = ghl.contacts.create({"firstName": "Walk", "lastName": "In", "email": "walkin@example.org"})
        ghl.conversations.send(stranger["id"], "Email", subject="Hello", html="<p>Hi</p>")
        emulator.control("POST", "engagement", {"kind": "open", "contactId": stranger["id"]})
        emulator.control("POST", "webhooks/flush", {"timeout": 10})
    finally:
        server.close()

    worker, rescore = tracking_worker(engine, settings)
    tally = worker.drain()
    rescore.flush()
    assert tally.failed == 0
    assert tally.parked == 1
    assert person in tally.people
    with engine.connect() as connection:
        kinds = (
            connection.execute(
                sa.text("select event_type from engagement_events where golden_person_id = :p order by id"),
                {"p": person},
            )
            .scalars()
            .all()
        )
        engagement = connection.execute(
            sa.text("select engagement from scores where golden_person_id = :p"), {"p": person}
        ).scalar_one()
    assert {"email_sent", "email_opened", "email_clicked", "email_replied"} <= set(kinds)
    assert engagement is not None
    assert engagement > 0
    assert rescore.runs >= 1

    # a second worker pass (a restarted service) applies nothing twice
    again = worker.drain()
    assert again.claimed == 0
    with sqlite3.connect(tmp_path / "leadflow.db") as db:
        total = db.execute("select count(*) from engagement_events").fetchone()[0]
        by_email = db.execute(
            "select count(*) from engagement_events where golden_person_id is null and email = 'walkin@example.org'"
        ).fetchone()[0]
        states = dict(db.execute("select state, count(*) from webhook_deliveries group by state").fetchall())
    assert by_email >= 1  # the stranger's e-mail events are kept by address (scoring matches them later)
    assert total == len(kinds) + by_email
    assert states.get("received", 0) == 0
    assert states.get("processing", 0) == 0
    assert states["parked"] == 1
