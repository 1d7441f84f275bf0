"""The deal_links repository on both backends: linked once, each side's stage and leadflow's own writes kept,
an echo marker forgotten once absorbed or once the other side moved."""

from __future__ import annotations

from datetime import UTC, datetime

from leadflow.store import deal_links as links
from leadflow.store import open_store


def test_links_and_stage_writes(database_url: str) -> None:
    engine = open_store(database_url)
    at = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    with engine.begin() as connection:
        assert links.link(
            connection, zoho_deal_id="d1", ghl_opportunity_id="o1", ghl_pipeline_id="p1",
            golden_person_id="g1", zoho_stage="Qualification", ghl_stage_id="s1",
        )  # fmt: skip
        assert not links.link(
            connection, zoho_deal_id="d1", ghl_opportunity_id="o1", ghl_pipeline_id="p1",
            golden_person_id="g1", zoho_stage="Other", ghl_stage_id="s9",
        )  # fmt: skip
        assert links.people_of_deals(connection, ["d1", "d2", "d1"]) == {"d1": "g1"}
        assert links.people_of_deals(connection, []) == {}
        links.wrote_zoho_stage(connection, deal_id="d1", stage="Proposal", ghl_stage_id="s2", at=at)
    with engine.connect() as connection:
        link = links.by_opportunity(connection, "o1")
    assert link is not None
    assert (link.zoho_stage, link.ghl_stage_id, link.zoho_written_stage, link.zoho_written_at) == (
        "Proposal", "s2", "Proposal", at,
    )  # fmt: skip
    with engine.begin() as connection:
        links.absorbed_echo(connection, deal_id="d1", side="zoho")
        links.wrote_ghl_stage(connection, deal_id="d1", stage_id="s3", zoho_stage="Won", at=at)
    with engine.connect() as connection:
        link = links.by_deal(connection, "d1")
        assert links.by_deal(connection, "nope") is None
    assert link is not None
    assert (link.zoho_written_stage, link.ghl_written_stage_id, link.ghl_stage_id, link.zoho_stage) == (
        None, "s3", "s3", "Won",
    )  # fmt: skip
    with engine.begin() as connection:  # a genuine GHL change: the pending GHL echo marker is stale
        links.wrote_zoho_stage(connection, deal_id="d1", stage="Lost", ghl_stage_id="s4", at=at)
        links.saw_stages(connection, deal_id="d1", ghl_stage_id="s5")
    with engine.connect() as connection:
        link = links.by_deal(connection, "d1")
    assert link is not None
    assert (link.ghl_written_stage_id, link.ghl_stage_id, link.zoho_written_stage) == (None, "s5", "Lost")


def test_a_stored_delivery_is_new_once(database_url: str) -> None:
    from leadflow.store import tracking as deliveries

    engine = open_store(database_url)
    with engine.begin() as connection:
        stored = [
            deliveries.store_delivery(
                connection,
                source="ghl",
                vendor_event_id="message:m1",
                event_type="InboundMessage",
                contact_key="c1",
                headers={},
                body=b"{}",
            )
            for _ in range(2)
        ]
    assert stored == [True, False]
