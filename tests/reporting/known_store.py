"""A small store with known answers for the report queries, written with plain inserts.

People (golden ids) and where they came from:

- p1: Apollo row r1 (Nov 2) and Sales Navigator row r3 (Nov 3, a duplicate); a Zoho Lead L1 owned by Ann;
  GHL contact g1; segment dach. Sent, opened, replied, met, converted (Contact C1, Deal D1) and D1 won Nov 20.
- p2: Apollo row r2; Zoho Contact C2 owned by Bob; GHL contact g2; segments dach and nurture. Sent, then a hard
  bounce. Deal D2 open in Qualification.
- p3: Sales Navigator row r4; created in Zoho by the sync as Contact C3; segment nurture; enrolled by the sync in
  the GHL workflow "Hot sequence" (Nov 5); clicked.
- p4: Apollo row r5 ingested Dec 10; sent Dec 11; no segment.
- p5: only in the CRM (Contact C5 owned by Ann, matched by resolve); segment dach; Deal D3 lost Oct 15.

Plus one event nobody was matched to, three quarantined rows, runs, sync log, API ledgers and webhooks.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from leadflow.store.schema import (
    cluster_members,
    crm_cluster_members,
    crm_deal_stages,
    crm_deals,
    crm_records,
    engagement_events,
    ghl_request_ledger,
    golden_people,
    quarantine,
    record_tags,
    runs,
    scores,
    source_records,
    sync_log,
    sync_records,
    webhook_deliveries,
    zoho_credit_ledger,
)

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
ANN = {"id": "u1", "name": "Ann Owner"}
BOB = {"id": "u2", "name": "Bob Owner"}


def at(month: int, day: int, hour: int = 9, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, 0, second, tzinfo=UTC)


def _people() -> list[dict[str, Any]]:
    rows = [
        ("p1", "Anna", "Alpha", "anna@alpha.de", "Alpha GmbH", "Leads", "L1"),
        ("p2", "Ben", "Beta", "ben@beta.de", "Beta AG", "Contacts", "C2"),
        ("p3", "Cleo", "Gamma", "cleo@gamma.de", "Gamma SE", None, None),
        ("p4", "Dan", "Delta", "dan@delta.de", "Delta KG", None, None),
        ("p5", "Eve", "Epsilon", "eve@epsilon.de", "Epsilon Ltd", "Contacts", "C5"),
    ]
    return [
        {
            "id": pid,
            "first_name": first,
            "last_name": last,
            "email": email,
            "emails": [email],
            "company_name": company,
            "crm_module": module,
            "crm_id": crm_id,
            "provenance": {},
            "updated_at": at(11, 2),
        }
        for pid, first, last, email, company, module, crm_id in rows
    ]


def _score(pid: str, segments: list[str], grade: str) -> dict[str, Any]:
    return {
        "golden_person_id": pid,
        "fit": 0.8,
        "fit_coverage": 1.0,
        "persona_coverage": 1.0,
        "engagement_coverage": 1.0,
        "grade": grade,
        "priority": False,
        "suppressed": False,
        "suppression_reasons": [],
        "reasons": [],
        "summary": "",
        "segments": segments,
        "content_hash": pid,
        "computed_at": at(11, 2),
    }


def _event(pid: str | None, kind: str, when: datetime, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "golden_person_id": pid,
        "email": None,
        "event_type": kind,
        "occurred_at": when,
        "source": "leadflow" if kind == "lead_converted" else "ghl",
        "payload": payload or {},
        "created_at": when,
    }


def _deal(
    crm_id: str, contact: str, stage: str, outcome: str, amount: float, probability: float, **times: Any
) -> dict[str, Any]:
    return {
        "crm_id": crm_id,
        "deal_name": f"Deal {crm_id}",
        "pipeline": "Standard (Standard)",
        "stage": stage,
        "outcome": outcome,
        "probability": probability,
        "amount": amount,
        "currency": "EUR",
        "closing_date": date(2026, 12, 31),
        "contact_id": contact,
        "account_id": None,
        "owner_id": times.pop("owner")["id"],
        "owner_name": ANN["name"] if contact in ("C1", "C5") else BOB["name"],
        "fields": {"id": crm_id},
        "loaded_at": NOW,
        **times,
    }


def _lagged(number: int, lag_seconds: float | None, state: str) -> dict[str, Any]:
    received = at(11, 4, 10)
    return {
        "source": "ghl",
        "vendor_event_id": f"w{number}",
        "event_type": "ContactReply",
        "received_at": received,
        "headers": {},
        "body": b"{}",
        "state": state,
        "attempts": 1,
        "processed_at": None if lag_seconds is None else received + timedelta(seconds=lag_seconds),
    }


def build(connection: sa.Connection) -> None:
    """Fill an empty, migrated store with the world described above."""
    connection.execute(
        sa.insert(runs),
        [
            {"id": 1, "kind": "ingest", "status": "succeeded", "started_at": at(11, 2), "counters": {}},
            {"id": 2, "kind": "sync", "status": "succeeded", "started_at": at(11, 3), "counters": {}},
            {"id": 3, "kind": "sync", "status": "failed", "started_at": at(11, 4), "counters": {}},
        ],
    )
    sources = [(1, "apollo", at(11, 2)), (2, "apollo", at(11, 2)), (3, "salesnav", at(11, 3)),
               (4, "salesnav", at(11, 3)), (5, "apollo", at(12, 10))]  # fmt: skip
    connection.execute(
        sa.insert(source_records),
        [
            {
                "id": rid,
                "run_id": 1,
                "source_kind": kind,
                "file_name": f"{kind}.csv",
                "file_sha256": kind,
                "row_number": rid,
                "raw": {},
                "ingested_at": when,
            }
            for rid, kind, when in sources
        ],
    )
    connection.execute(sa.insert(golden_people), _people())
    members = {1: "p1", 2: "p2", 3: "p1", 4: "p3", 5: "p4"}
    connection.execute(
        sa.insert(cluster_members),
        [{"source_record_id": rid, "golden_person_id": pid, "match_reason": "email"} for rid, pid in members.items()],
    )
    connection.execute(
        sa.insert(crm_cluster_members),
        [{"crm_module": "Contacts", "crm_id": "C5", "golden_person_id": "p5", "match_reason": "email"}],
    )
    connection.execute(
        sa.insert(crm_records),
        [
            {"module": module, "crm_id": crm_id, "fields": {"id": crm_id, "Owner": owner}, "loaded_at": NOW}
            for module, crm_id, owner in (("Leads", "L1", ANN), ("Contacts", "C2", BOB), ("Contacts", "C5", ANN))
        ],
    )
    synced = [("zoho", "p3", "Contacts", "C3"), ("ghl", "p1", "contacts", "g1"), ("ghl", "p2", "contacts", "g2")]
    connection.execute(
        sa.insert(sync_records),
        [
            {
                "target": target,
                "golden_id": pid,
                "kind": "person",
                "module": module,
                "remote_id": remote,
                "payload": {},
                "version": 1,
                "synced_at": at(11, 3),
            }
            for target, pid, module, remote in synced
        ],
    )
    connection.execute(
        sa.insert(scores),
        [
            _score("p1", ["dach"], "A1"),
            _score("p2", ["dach", "nurture"], "B1"),
            _score("p3", ["nurture"], "B2"),
            _score("p4", [], "C3"),
            _score("p5", ["dach"], "A2"),
        ],
    )
    connection.execute(
        sa.insert(record_tags),
        [
            {
                "golden_person_id": "p3",
                "target": "ghl",
                "desired": [],
                "custom_fields": {},
                "applied": ["lf-nurture", "lf-workflow:Hot sequence"],
                "updated_at": at(11, 5),
            },
            {
                "golden_person_id": "p2",
                "target": "ghl",
                "desired": [],
                "custom_fields": {},
                "applied": ["lf-dach"],
                "updated_at": at(11, 5),
            },
        ],
    )
    converted = {"contact_id": "C1", "account_id": "A1", "deal_id": "D1"}
    connection.execute(
        sa.insert(engagement_events),
        [
            _event("p1", "email_sent", at(11, 3)),
            _event("p1", "email_opened", at(11, 4)),
            _event("p1", "email_replied", at(11, 5)),
            _event("p1", "meeting_booked", at(11, 6)),
            _event("p1", "lead_converted", at(11, 7), converted),
            _event("p2", "email_sent", at(11, 3)),
            _event("p2", "email_bounced_hard", at(11, 4)),
            _event("p3", "email_clicked", at(11, 10)),
            _event("p4", "email_sent", at(12, 11)),
            _event(None, "email_opened", at(11, 4)),
        ],
    )
    connection.execute(
        sa.insert(quarantine),
        [
            {
                "run_id": 1,
                "source_kind": kind,
                "file_name": f"{kind}.csv",
                "file_sha256": f"q{number}",
                "row_number": number,
                "raw_text": "x",
                "reason": "no_identity",
                "created_at": when,
            }
            for number, kind, when in ((1, "apollo", at(11, 2)), (2, "apollo", at(11, 2)), (3, "salesnav", at(11, 3)))
        ],
    )
    connection.execute(
        sa.insert(crm_deals),
        [
            _deal(
                "D1",
                "C1",
                "Closed Won",
                "won",
                10_000.0,
                100.0,
                owner=ANN,
                created_time=at(11, 7),
                modified_time=at(11, 20),
                stage_since=at(11, 20),
                closed_at=at(11, 20),
            ),
            _deal(
                "D2",
                "C2",
                "Qualification",
                "open",
                5_000.0,
                10.0,
                owner=BOB,
                created_time=at(11, 8),
                modified_time=at(11, 8),
                stage_since=at(11, 8, 12),
                closed_at=None,
            ),
            _deal(
                "D3",
                "C5",
                "Closed Lost",
                "lost",
                2_000.0,
                0.0,
                owner=ANN,
                created_time=at(10, 1),
                modified_time=at(10, 15),
                stage_since=at(10, 15),
                closed_at=at(10, 15),
            ),
        ],
    )
    history = [
        ("D1", "h1", "Qualification", 10.0, at(11, 7), 5),
        ("D1", "h2", "Proposal/Price Quote", 75.0, at(11, 12), 8),
        ("D1", "h3", "Closed Won", 100.0, at(11, 20), None),
        ("D2", "h4", "Qualification", 10.0, at(11, 8, 12), None),
        ("D3", "h5", "Qualification", 10.0, at(10, 1), 14),
        ("D3", "h6", "Closed Lost", 0.0, at(10, 15), None),
    ]
    connection.execute(
        sa.insert(crm_deal_stages),
        [
            {
                "deal_id": deal,
                "entry_id": entry,
                "stage": stage,
                "probability": probability,
                "amount": None,
                "moved_at": moved,
                "duration_days": days,
            }
            for deal, entry, stage, probability, moved, days in history
        ],
    )
    log = [("zoho", "created")] * 3 + [("zoho", "updated")] + [("zoho", "failed")] * 2
    log += [("ghl", "created")] * 2 + [("ghl", "invalid")]
    connection.execute(
        sa.insert(sync_log),
        [
            {
                "run_id": 2,
                "target": target,
                "golden_id": "p1",
                "module": "Leads",
                "action": "create",
                "outcome": outcome,
                "code": "INVALID_DATA" if outcome == "failed" else None,
                "message": "bad email" if outcome != "created" else None,
                "created_at": at(11, 3),
            }
            for target, outcome in log
        ],
    )
    connection.execute(
        sa.insert(zoho_credit_ledger),
        [
            {"bucket": at(11, 3, 10), "credits": 100, "calls": 50},
            {"bucket": datetime(2026, 11, 3, 10, 1, tzinfo=UTC), "credits": 20, "calls": 10},
            {"bucket": at(11, 4, 10), "credits": 5_000, "calls": 5},
        ],
    )
    connection.execute(
        sa.insert(ghl_request_ledger), [{"location_id": "loc1", "bucket": at(11, 3, 10), "requests": 300}]
    )
    connection.execute(
        sa.insert(webhook_deliveries),
        [
            _lagged(1, 1, "processed"),
            _lagged(2, 2, "processed"),
            _lagged(3, 3, "processed"),
            _lagged(4, 10, "processed"),
            _lagged(5, None, "received"),
            _lagged(6, None, "failed"),
        ],
    )
