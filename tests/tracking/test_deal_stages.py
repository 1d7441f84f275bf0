"""Deal stages both ways, with both emulators and leadflow's service over real sockets: a GHL stage change moves
the Zoho Deal once and the Zoho notification it causes does not move GHL again; a Zoho stage change moves the
GHL opportunity once and GHL's webhook it causes does not move Zoho again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from leadflow.config import GhlSettings, Settings, SyncSettings, TrackingSettings
from leadflow.config.tracking import StagePipeline, StageSync
from leadflow.ghl import GhlClient
from leadflow.pipeline.track import TrackingProcess, reconciler, tracking_process
from leadflow.store import open_store
from leadflow.store import tracking_actions as actions_repo
from leadflow.sync.ghl_target import GhlTarget
from leadflow.sync.runner import SyncRunner
from leadflow.tracking.actions import ActionHandler, ActionRow, Outcome
from leadflow.tracking.channels import ChannelKeeper
from leadflow.tracking.stages import CREATE_OPPORTUNITY, ConvertAndLink, StageMap
from leadflow.zoho import ZohoClient
from leadflow.zoho.activities import RecordRef
from leadflow_emulators.ghl.models.backend import DEFAULT_LOCATION_ID, DEFAULT_TOKEN
from leadflow_emulators.zoho.models import ZohoBackend
from tests.ghl.conftest import Emulator
from tests.sync import golden
from tests.tracking.test_reconcile import _closed_port_url
from tests.web.test_webhook_intake import Server
from tests.zoho.conftest import LiveServer, serve, zoho_settings

CHANNEL = "1000000068001"
TOKEN = "stage-sync-token"
PIPELINE = {
    "id": "pipeSales0000000000001",
    "name": "Sales",
    "stages": [
        {"id": "stNew", "name": "New"},
        {"id": "stProposal", "name": "Proposal"},
        {"id": "stWon", "name": "Won"},
    ],
}
STAGES = StageSync(
    pipelines=[
        StagePipeline(
            ghl_pipeline="Sales",
            stages={"New": "Qualification", "Proposal": "Proposal/Price Quote", "Won": "Closed Won"},
        )
    ]
)


@pytest.fixture
def ghl_live(emulator: Emulator) -> Iterator[LiveServer]:
    live = serve(emulator.app)
    yield live
    live.server.should_exit = True
    live.thread.join(timeout=10)


def _settings(database_url: str, emulator: Emulator, ghl_url: str, zoho_url: str) -> Settings:
    keys = emulator.control("GET", "webhooks/keys")
    zoho = zoho_settings("sqlite://", api_base_url=zoho_url, accounts_url=zoho_url).zoho
    return Settings(
        database_url=database_url,
        zoho=zoho,
        ghl=GhlSettings(
            api_base_url=ghl_url,
            location_id=DEFAULT_LOCATION_ID,
            auth="pit",
            token=SecretStr(DEFAULT_TOKEN),
            webhook_public_key=keys["ed25519"],
            webhook_legacy_public_key=keys["rsa"],
        ),
        tracking=TrackingSettings(
            zoho_channel_id=CHANNEL,
            zoho_channel_token=SecretStr(TOKEN),
            reconcile_every_seconds=0,
            stages=STAGES,
            uncertain_settle_seconds=0,  # an uncertain action is looked up by the next drain
            action_retry_seconds=0.001,
        ),
    )


def _settle(process: TrackingProcess, emulator: Emulator, zoho_backend: ZohoBackend, rounds: int = 4) -> None:
    """Let every webhook and notification land and be applied, and what that causes, and so on."""
    for _ in range(rounds):
        emulator.control("POST", "webhooks/flush", {"timeout": 10})
        zoho_backend.watches.drain()
        process.drain()


def _actions(engine: sa.Engine) -> list[tuple[str, str, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(sa.text("select kind, state, error from tracking_actions order by id")).all()
    return [(str(kind), str(state), error) for kind, state, error in rows]


def _done(engine: sa.Engine, kind: str) -> int:
    return sum(1 for k, state, _ in _actions(engine) if k == kind and state == actions_repo.DONE)


def _stage_updates(emulator: Emulator) -> list[dict[str, Any]]:
    return [e for e in emulator.backend.events if e["type"] == "OpportunityStageUpdate"]


def test_stage_moves_cross_once_and_never_bounce(
    tmp_path: Path,
    emulator: Emulator,
    ghl_live: LiveServer,
    backend: ZohoBackend,
    live: LiveServer,
    database_url: str,
) -> None:
    settings = _settings(database_url, emulator, ghl_live.url, live.url)
    engine = open_store(settings.database_url)
    emulator.seed([{"kind": "pipeline", "record": PIPELINE}])
    person = golden.populate(engine, 1, companies=1)[0]
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "insert into record_tags (golden_person_id, target, desired, applied, custom_fields, updated_at)"
                " select golden_person_id, 'ghl', desired, '[]', custom_fields, updated_at from record_tags"
            )
        )
    ghl = GhlClient.from_settings(settings, engine)
    zoho = ZohoClient.from_settings(settings, engine)
    SyncRunner(engine, GhlTarget(ghl), SyncSettings(), tag_prefix="lf-").run()
    with engine.connect() as connection:
        contact = connection.execute(
            sa.text("select remote_id from sync_records where target = 'ghl' and golden_id = :p"), {"p": person}
        ).scalar_one()
    server = Server(settings)
    process = tracking_process(engine, settings, services={"ghl": ghl})
    try:
        emulator.control("POST", "webhooks", {"urls": [f"{server.url}/webhooks/ghl"]})
        ChannelKeeper(zoho.watch, CHANNEL, f"{server.url}/webhooks/zoho", TOKEN).check()

        # the Deal leadflow's conversion made, and the opportunity action the conversion queues with it; GHL
        # stores the opportunity, then answers 500: the action finds it instead of creating a second one
        emulator.control("POST", "faults", {"error_after_commit": 1, "path_contains": "/opportunities/"})
        [made] = zoho.deals.insert([{"Deal_Name": "Acme - Ada", "Stage": "Qualification"}])
        deal = str(made.id)
        with engine.begin() as connection:
            actions_repo.enqueue(
                connection,
                actions=[
                    {
                        "key": f"{CREATE_OPPORTUNITY}:{deal}",
                        "kind": CREATE_OPPORTUNITY,
                        "event_key": "test:conversion",
                        "golden_person_id": person,
                        "payload": {"deal_id": deal},
                    }
                ],
            )
        _settle(process, emulator, backend)
        assert emulator.control("GET", "faults")["errors_injected"] == 1
        assert _done(engine, CREATE_OPPORTUNITY) == 1
        [opportunity] = list(ghl.opportunities.search(contact_id=contact))
        assert opportunity["pipelineId"] == PIPELINE["id"]
        assert opportunity["pipelineStageId"] == "stNew"  # Qualification, mapped

        # 1. a salesperson moves the opportunity in GHL: the Deal moves once; its notification is absorbed
        emulator.control(
            "POST",
            "engagement",
            {"kind": "stage_change", "contactId": contact, "opportunityId": opportunity["id"],
             "pipelineStageId": "stProposal"},
        )  # fmt: skip
        _settle(process, emulator, backend)
        assert zoho.deals.get(deal, fields=["Stage"])["Stage"] == "Proposal/Price Quote"  # type: ignore[index]
        assert _done(engine, "zoho_deal_stage") == 1
        assert _done(engine, "ghl_opportunity_stage") == 0
        assert len(_stage_updates(emulator)) == 1  # only the salesperson's: GHL was not moved back
        echoes = [error for kind, state, error in _actions(engine) if kind == "ghl_opportunity_stage"]
        assert echoes
        assert all("coming back" in (e or "") or "did not change" in (e or "") for e in echoes)

        # 2. someone closes the Deal in Zoho: the opportunity moves once; GHL's webhook for it is absorbed
        with ZohoClient.from_settings(settings, open_store(f"sqlite:///{tmp_path / 'user.db'}")) as user:
            user.deals.move(deal, "Closed Won")
        _settle(process, emulator, backend)
        assert ghl.opportunities.get(opportunity["id"])["pipelineStageId"] == "stWon"
        assert _done(engine, "ghl_opportunity_stage") == 1
        assert _done(engine, "zoho_deal_stage") == 1  # not moved again by its own echo
        assert len(_stage_updates(emulator)) == 2
        history = [h["Stage"] for h in zoho.deals.stage_history(deal)]
        assert history.count("Proposal/Price Quote") == 1
        assert history.count("Closed Won") == 1
        assert ("zoho_deal_stage", "skipped", "leadflow's own move of the opportunity coming back") in _actions(engine)

        # 3. the service misses GHL's webhook (down): reconcile finds the linked opportunity in another stage
        emulator.control("POST", "webhooks", {"urls": [_closed_port_url()]})
        emulator.control(
            "POST",
            "engagement",
            {"kind": "stage_change", "contactId": contact, "opportunityId": opportunity["id"],
             "pipelineStageId": "stProposal"},
        )  # fmt: skip
        emulator.control("POST", "webhooks/flush", {"timeout": 10})
        with reconciler(settings, engine) as polling:
            found = polling.run()
        assert (found.ghl_stage_changes, found.ghl_stage_new) == (1, 1)
        _settle(process, emulator, backend)
        assert zoho.deals.get(deal, fields=["Stage"])["Stage"] == "Proposal/Price Quote"  # type: ignore[index]
        assert _done(engine, "zoho_deal_stage") == 2
        assert _done(engine, "ghl_opportunity_stage") == 1
        with reconciler(settings, engine) as polling:
            assert polling.run().ghl_stage_changes == 0  # in step now: nothing to feed
        assert not [a for a in _actions(engine) if a[1] == actions_repo.FAILED]
    finally:
        process.close()
        server.close()
        zoho.close()
        ghl.close()


def test_the_conversion_queues_its_deal_opportunity_once() -> None:
    class Converted(ActionHandler):
        kind = "convert"

        def perform(self, action: ActionRow, target: RecordRef, context: Any) -> Outcome:
            return Outcome.done("contact-1", deal_id="deal-9", contact_id="contact-1")

    action = ActionRow(1, "convert:x", "convert", "ghl:w:email_replied", "p1", "Leads", "l1", {}, 1, False, None)
    chained = ConvertAndLink(Converted(), STAGES).perform(action, RecordRef("Leads", "l1"), None)  # type: ignore[arg-type]
    engine = open_store("sqlite://")
    assert chained.store is not None
    with engine.begin() as connection:
        chained.store(connection)
        chained.store(connection)  # a replayed outcome queues nothing new
    with engine.connect() as connection:
        rows = connection.execute(sa.text("select key, kind, payload from tracking_actions")).all()
    assert [(key, kind) for key, kind, _ in rows] == [("ghl_opportunity:deal-9", CREATE_OPPORTUNITY)]
    off = ConvertAndLink(Converted(), StageSync()).perform(action, RecordRef("Leads", "l1"), None)  # type: ignore[arg-type]
    assert off.store is None


def test_the_stage_map_reads_names_or_ids_and_says_what_is_wrong() -> None:
    mapped = StageMap(STAGES, [PIPELINE])
    assert mapped.zoho_stage(PIPELINE["id"], "stWon") == "Closed Won"  # type: ignore[arg-type]
    assert mapped.ghl_stage(PIPELINE["id"], "closed won") == "stWon"  # type: ignore[arg-type]
    assert mapped.zoho_stage(PIPELINE["id"], "stUnknown") is None  # type: ignore[arg-type]
    with pytest.raises(Exception, match="stage 'Lost' is not in GHL pipeline 'Sales'"):
        StageMap(StageSync(pipelines=[StagePipeline(ghl_pipeline="Sales", stages={"Lost": "Closed Lost"})]), [PIPELINE])
    with pytest.raises(Exception, match="GHL pipeline 'Renewals' not found"):
        StageMap(StageSync(pipelines=[StagePipeline(ghl_pipeline="Renewals")]), [PIPELINE])
