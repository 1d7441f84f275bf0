"""The Deals mirror (crm_deals, crm_deal_stages) against the in-process Zoho emulator: first load, stage history
with durations, the incremental read that re-reads only the history of Deals that moved, and the pipeline report
over what was mirrored."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from leadflow.pipeline.deal_mirror import mirror_deals
from leadflow.reporting import ReportFilters, pipeline
from leadflow.store import open_store
from leadflow.store.schema import crm_deal_stages, crm_deals
from leadflow.zoho import ClientOptions, ZohoClient
from tests.zoho.conftest import Rig, zoho_settings

DAY = 86_400


def _client(rig: Rig, engine: sa.Engine, database_url: str, **sync: int) -> ZohoClient:
    settings = zoho_settings(database_url)
    if sync:
        zoho_sync = settings.sync.zoho.model_copy(update=sync)
        settings = settings.model_copy(update={"sync": settings.sync.model_copy(update={"zoho": zoho_sync})})
    options = ClientOptions(sleep=rig.sleeps, seed=1, bulk_poll_initial=0.02, bulk_poll_max=0.1)
    return ZohoClient.from_settings(settings, engine, http_client=rig.http, options=options)


def _deals(engine: sa.Engine) -> dict[str, dict[str, object]]:
    with engine.connect() as connection:
        return {row["crm_id"]: dict(row) for row in connection.execute(sa.select(crm_deals)).mappings()}


def _history(engine: sa.Engine, deal_id: str) -> list[tuple[str, int | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(crm_deal_stages.c.stage, crm_deal_stages.c.duration_days)
            .where(crm_deal_stages.c.deal_id == deal_id)
            .order_by(crm_deal_stages.c.moved_at)
        )
        return [(stage, days) for stage, days in rows]


def test_deals_and_stage_history_mirrored_then_only_changes(rig: Rig, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'deals.db'}"
    engine = open_store(url)
    settings = zoho_settings(url)
    with _client(rig, engine, url) as zoho:
        contact = zoho.contacts.insert([{"Last_Name": "Lovelace", "Email": "ada@example.com"}])[0].id
        made = zoho.deals.insert(
            [
                {"Deal_Name": "Pilot", "Stage": "Qualification", "Amount": 12_000, "Contact_Name": {"id": contact}},
                {"Deal_Name": "Renewal", "Stage": "Needs Analysis", "Amount": 3_000},
                {"Deal_Name": "Lost one", "Stage": "Qualification", "Amount": 800},
            ]
        )
        pilot, renewal, lost = (result.id or "" for result in made)
        rig.backend.clock.advance(3 * DAY)
        assert zoho.deals.move(pilot, "Proposal/Price Quote").ok
        rig.backend.clock.advance(2 * DAY)
        assert zoho.deals.close(pilot, won=True).ok
        assert zoho.deals.close(lost, won=False).ok

        assert mirror_deals(settings, engine, zoho) == 3
        first_calls = zoho.api.transport.stats.by_label.get("stage history", 0)

        deals = _deals(engine)
        assert deals[pilot]["outcome"] == "won"
        assert deals[pilot]["stage"] == "Closed Won"
        assert (deals[pilot]["amount"], deals[pilot]["probability"]) == (12_000.0, 100.0)
        assert deals[pilot]["contact_id"] == contact
        assert deals[pilot]["owner_id"]
        assert deals[pilot]["closed_at"] is not None
        assert deals[lost]["outcome"] == "lost"
        assert (deals[renewal]["outcome"], deals[renewal]["closed_at"]) == ("open", None)
        assert _history(engine, pilot) == [("Qualification", 3), ("Proposal/Price Quote", 2), ("Closed Won", None)]
        assert first_calls == 3

        # Nothing changed: no Deal comes back, no history is read.
        assert mirror_deals(settings, engine, zoho) <= 3
        assert zoho.api.transport.stats.by_label.get("stage history", 0) - first_calls == 0

        rig.backend.clock.advance(DAY)
        assert zoho.deals.update([{"id": renewal, "Amount": 3_500}])[0].ok  # no stage move
        rig.backend.clock.advance(DAY)
        assert zoho.deals.move(renewal, "Value Proposition").ok
        before = zoho.api.transport.stats.by_label.get("stage history", 0)
        assert mirror_deals(settings, engine, zoho) >= 1
        assert zoho.api.transport.stats.by_label.get("stage history", 0) - before == 1  # only the Deal that moved
        assert _deals(engine)[renewal]["stage"] == "Value Proposition"
        assert _deals(engine)[renewal]["amount"] == 3_500.0
        assert _history(engine, renewal) == [("Needs Analysis", 7), ("Value Proposition", None)]

    now = rig.backend.clock.now() + timedelta(hours=1)
    with engine.connect() as connection:
        report = pipeline(connection, ReportFilters(), now=now)
    stages = {row["stage"]: row for row in report.table("stages").rows}
    assert stages["Value Proposition"]["deals"] == 1
    assert stages["Value Proposition"]["weighted_amount"] == 3_500 * 0.4
    assert stages["Qualification"]["days_in_stage"] == 4.0  # pilot 3 days, the lost one 5
    assert stages["Closed Won"]["amount"] == 12_000.0
    assert sum(row["won"] for row in report.table("closed").rows) == 1
    engine.dispose()


def test_first_load_by_bulk_read_gives_the_same_rows(rig: Rig, tmp_path: Path) -> None:
    deals = [{"Deal_Name": f"Deal {n}", "Stage": "Qualification", "Amount": 100 * n} for n in range(1, 13)]
    with rig.client() as zoho:
        assert all(result.ok for result in zoho.deals.insert(deals))
    mirrored = {}
    for name, above in (("bulk", 5), ("records", 1_000)):
        url = f"sqlite:///{tmp_path / f'{name}.db'}"
        engine = open_store(url)
        settings = zoho_settings(url)
        settings = settings.model_copy(
            update={
                "sync": settings.sync.model_copy(
                    update={"zoho": settings.sync.zoho.model_copy(update={"mirror_bulk_read_above": above})}
                )
            }
        )
        with _client(rig, engine, url, mirror_bulk_read_above=above) as zoho:
            assert mirror_deals(settings, engine, zoho) == 12
        mirrored[name] = {
            key: {k: v for k, v in row.items() if k not in ("loaded_at", "fields")}
            for key, row in _deals(engine).items()
        }
        engine.dispose()
    assert mirrored["bulk"] == mirrored["records"]
