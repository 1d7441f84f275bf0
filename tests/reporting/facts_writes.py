"""Random writes to a store built by ``known_store``: each one a write path the report facts must notice (new
events, source rows, people, a resolve merging two people, a score run, Deals moving, enrolments, the sync's id
map, a CRM link)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from leadflow.store.schema import (
    cluster_members,
    crm_cluster_members,
    crm_deals,
    engagement_events,
    golden_people,
    record_tags,
    scores,
    source_records,
    sync_records,
)

KINDS = ("email_sent", "email_opened", "email_clicked", "email_replied", "meeting_booked", "lead_converted",
         "email_bounced_hard", "sms_sent", "unsubscribed", "form_filled")  # fmt: skip
SOURCES = ("apollo", "salesnav", "linkedin", "mapped")
SEGMENTS = ("dach", "nurture", "enterprise")
CONTACTS = ("C1", "C2", "C3", "C5", "C9")


def _moment(rng: random.Random) -> datetime:
    return datetime(2026, 10, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(90 * 86_400))


def _people(connection: sa.Connection) -> list[str]:
    return sorted(connection.execute(sa.select(golden_people.c.id)).scalars())


def add_events(connection: sa.Connection, rng: random.Random) -> None:
    people = [*_people(connection), None]
    for _ in range(rng.randint(1, 6)):
        kind = rng.choice(KINDS)
        payload = {"contact_id": rng.choice(CONTACTS)} if kind == "lead_converted" else {}
        when = _moment(rng)
        connection.execute(
            sa.insert(engagement_events).values(
                golden_person_id=rng.choice(people),
                event_type=kind,
                occurred_at=when,
                source="ghl",
                payload=payload,
                created_at=when,
            )
        )


def _new_source_row(connection: sa.Connection, rng: random.Random) -> int:
    number = int(connection.execute(sa.select(sa.func.max(source_records.c.id))).scalar_one()) + 1
    kind = rng.choice(SOURCES)
    connection.execute(
        sa.insert(source_records).values(
            id=number,
            run_id=1,
            source_kind=kind,
            file_name=f"{kind}.csv",
            file_sha256=f"f{number}",
            row_number=number,
            raw={},
            ingested_at=_moment(rng),
        )
    )
    return number


def add_source_row(connection: sa.Connection, rng: random.Random) -> None:
    row = _new_source_row(connection, rng)
    connection.execute(
        sa.insert(cluster_members).values(
            source_record_id=row, golden_person_id=rng.choice(_people(connection)), match_reason="email"
        )
    )


def add_person(connection: sa.Connection, rng: random.Random) -> None:
    person = f"n{rng.randrange(10**9)}"
    crm = rng.choice([None, ("Contacts", rng.choice(CONTACTS)), ("Leads", "L7")])
    connection.execute(
        sa.insert(golden_people).values(
            id=person,
            emails=[],
            provenance={},
            updated_at=_moment(rng),
            crm_module=crm[0] if crm else None,
            crm_id=crm[1] if crm else None,
        )
    )
    row = _new_source_row(connection, rng)
    connection.execute(
        sa.insert(cluster_members).values(source_record_id=row, golden_person_id=person, match_reason="email")
    )


def merge_people(connection: sa.Connection, rng: random.Random) -> None:
    """What a resolve that finds two people are one does: the loser's rows move to the winner, the loser goes."""
    people = _people(connection)
    if len(people) < 2:
        return
    winner, loser = rng.sample(people, 2)
    for table, column in ((cluster_members, "golden_person_id"), (crm_cluster_members, "golden_person_id"),
                          (engagement_events, "golden_person_id")):  # fmt: skip
        connection.execute(sa.update(table).where(table.c[column] == loser).values({column: winner}))
    for table, column in ((scores, "golden_person_id"), (record_tags, "golden_person_id"),
                          (sync_records, "golden_id")):  # fmt: skip
        connection.execute(sa.delete(table).where(table.c[column] == loser))
    connection.execute(sa.delete(golden_people).where(golden_people.c.id == loser))


def score_run(connection: sa.Connection, rng: random.Random) -> None:
    for person in rng.sample(_people(connection), k=min(3, len(_people(connection)))):
        chosen = sorted(rng.sample(SEGMENTS, rng.randint(0, 2)))
        values = {
            "fit": 0.5, "fit_coverage": 1.0, "persona_coverage": 1.0, "engagement_coverage": 1.0, "grade": "B1",
            "priority": False, "suppressed": False, "suppression_reasons": [], "reasons": [], "summary": "",
            "segments": chosen, "content_hash": "h", "computed_at": _moment(rng),
        }  # fmt: skip
        connection.execute(sa.delete(scores).where(scores.c.golden_person_id == person))
        connection.execute(sa.insert(scores).values(golden_person_id=person, **values))


def move_deal(connection: sa.Connection, rng: random.Random) -> None:
    """A Deal won or lost, or a new one for a Contact."""
    deals = sorted(connection.execute(sa.select(crm_deals.c.crm_id)).scalars())
    if deals and rng.random() < 0.6:
        outcome = rng.choice(["won", "lost", "open"])
        connection.execute(
            sa.update(crm_deals)
            .where(crm_deals.c.crm_id == rng.choice(deals))
            .values(
                outcome=outcome,
                closed_at=None if outcome == "open" else _moment(rng),
                amount=rng.randint(1, 9) * 1000.0,
            )
        )
        return
    connection.execute(
        sa.insert(crm_deals).values(
            crm_id=f"D{rng.randrange(10**9)}",
            outcome=rng.choice(["won", "open"]),
            amount=rng.randint(1, 9) * 500.0,
            contact_id=rng.choice(CONTACTS),
            created_time=_moment(rng),
            closed_at=_moment(rng),
            fields={},
            loaded_at=_moment(rng),
        )
    )


def enrol(connection: sa.Connection, rng: random.Random) -> None:
    person = rng.choice(_people(connection))
    connection.execute(sa.delete(record_tags).where(record_tags.c.golden_person_id == person))
    connection.execute(
        sa.insert(record_tags).values(
            golden_person_id=person,
            target="ghl",
            desired=[],
            custom_fields={},
            updated_at=_moment(rng),
            applied=["lf-x", f"lf-workflow:{rng.choice(['Hot sequence', 'Cold sequence'])}"],
        )
    )


def sync_to_zoho(connection: sa.Connection, rng: random.Random) -> None:
    person = rng.choice(_people(connection))
    connection.execute(
        sa.delete(sync_records).where(sync_records.c.golden_id == person, sync_records.c.target == "zoho")
    )
    connection.execute(
        sa.insert(sync_records).values(
            target="zoho",
            golden_id=person,
            kind="person",
            module="Contacts",
            remote_id=rng.choice(CONTACTS),
            payload={},
            version=1,
            synced_at=_moment(rng),
        )
    )


def link_to_crm(connection: sa.Connection, rng: random.Random) -> None:
    person = rng.choice(_people(connection))
    link = rng.choice([(None, None), ("Contacts", rng.choice(CONTACTS))])
    connection.execute(
        sa.update(golden_people).where(golden_people.c.id == person).values(crm_module=link[0], crm_id=link[1])
    )


def delete_event(connection: sa.Connection, rng: random.Random) -> None:
    ids = sorted(connection.execute(sa.select(engagement_events.c.id)).scalars())
    if ids:
        connection.execute(sa.delete(engagement_events).where(engagement_events.c.id == rng.choice(ids)))


WRITES: tuple[Callable[[sa.Connection, random.Random], Any], ...] = (
    add_events, add_source_row, add_person, merge_people, score_run, move_deal, enrol, sync_to_zoho, link_to_crm,
    delete_event,
)  # fmt: skip
