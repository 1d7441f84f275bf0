"""Repository for ``lead_conversions``: Leads leadflow wrote for people resolve later matched to a Contact.

A person can reach Zoho as a Lead leadflow creates in week 1 and be matched to a Contact the CRM already held in
week 2 (a file arrives with the evidence that joins them). The golden person then holds both records; the Lead
has to become the Contact in Zoho, once. Each such Lead is one row here, the outbox of that one call: ``pending``
(to send), ``in_flight`` (sent, answer not recorded: reconciled before a resend), ``done``, ``failed`` (Zoho's
code and message), or ``reported`` (``lead_matched_to_contact = "report"``: listed, never sent).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection, delete, insert, select, update

from leadflow.store.runs import utcnow
from leadflow.store.schema import (
    crm_cluster_members,
    crm_records,
    golden_people,
    lead_conversions,
    sync_records,
)


class ConversionState(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DONE = "done"
    FAILED = "failed"
    REPORTED = "reported"


OPEN_STATES = (ConversionState.PENDING, ConversionState.IN_FLIGHT)


@dataclass(frozen=True)
class LeadMatch:
    """A Lead leadflow wrote as ``golden_id``, whose person resolve now links to the Contact ``contact_id``."""

    golden_id: str
    lead_id: str
    contact_id: str


@dataclass(frozen=True)
class LeadConversion:
    """One row of ``lead_conversions``."""

    lead_id: str
    contact_id: str
    golden_id: str
    action: str
    state: ConversionState
    attempts: int
    error_code: str | None = None
    error_message: str | None = None


def leads_matched_to_contacts(
    connection: Connection, *, target: str = "zoho", external_id_field: str = "Leadflow_ID"
) -> list[LeadMatch]:
    """Golden people linked to a Contact that also hold a Lead leadflow wrote for them, not yet recorded here.

    "Leadflow wrote it": the id map (``sync_records``) points at the Lead, or the mirrored Lead carries the golden
    id in ``external_id_field``. "Hold": resolve put the mirrored Lead in the same golden person as the Contact
    (``crm_cluster_members``), so a Lead resolve no longer joins to the person is never touched. Lead and Contact
    pairs the CRM held before leadflow wrote anything are left to ``crm dedupe``.
    """
    held = (
        select(
            crm_cluster_members.c.crm_id.label("lead_id"),
            golden_people.c.id.label("golden_id"),
            golden_people.c.crm_id.label("contact_id"),
            crm_records.c.fields,
        )
        .join(golden_people, golden_people.c.id == crm_cluster_members.c.golden_person_id)
        .join(
            crm_records,
            (crm_records.c.module == crm_cluster_members.c.crm_module)
            & (crm_records.c.crm_id == crm_cluster_members.c.crm_id),
        )
        .where(
            crm_cluster_members.c.crm_module == "Leads",
            golden_people.c.crm_module == "Contacts",
            golden_people.c.crm_id.is_not(None),
        )
    )
    recorded = set(connection.execute(select(lead_conversions.c.lead_id)).scalars())
    pushed = {
        (golden_id, str(remote_id))
        for golden_id, remote_id in connection.execute(
            select(sync_records.c.golden_id, sync_records.c.remote_id).where(
                sync_records.c.target == target,
                sync_records.c.module == "Leads",
                sync_records.c.remote_id.is_not(None),
            )
        )
    }
    matches: list[LeadMatch] = []
    for row in connection.execute(held.order_by(crm_cluster_members.c.crm_id)).mappings():
        lead_id, golden_id = str(row["lead_id"]), str(row["golden_id"])
        carried = (row["fields"] or {}).get(external_id_field)
        if lead_id in recorded or not (carried == golden_id or (golden_id, lead_id) in pushed):
            continue
        matches.append(LeadMatch(golden_id, lead_id, str(row["contact_id"])))
    return matches


def record_matches(connection: Connection, matches: Iterable[LeadMatch], *, action: str, run_id: int | None) -> int:
    """Store each match once: ``pending`` for ``convert``/``merge``, ``reported`` for ``report``."""
    now = utcnow()
    state = ConversionState.REPORTED if action == "report" else ConversionState.PENDING
    rows = [
        {"lead_id": m.lead_id, "contact_id": m.contact_id, "golden_id": m.golden_id, "action": action,
         "state": state.value, "attempts": 0, "run_id": run_id, "created_at": now, "updated_at": now}
        for m in matches
    ]  # fmt: skip
    if rows:
        connection.execute(insert(lead_conversions), rows)
    return len(rows)


def open_conversions(connection: Connection) -> list[LeadConversion]:
    """Rows still to send or to reconcile, oldest Lead id first."""
    query = (
        select(lead_conversions)
        .where(lead_conversions.c.state.in_([state.value for state in OPEN_STATES]))
        .order_by(lead_conversions.c.lead_id)
    )
    return [_row(row) for row in connection.execute(query).mappings()]


def all_conversions(connection: Connection) -> list[LeadConversion]:
    return [_row(row) for row in connection.execute(select(lead_conversions).order_by("lead_id")).mappings()]


def mark(
    connection: Connection,
    *,
    lead_id: str,
    state: ConversionState,
    run_id: int | None = None,
    error_code: str | None = None,
    error_message: str | None = None,
) -> None:
    """Move a row to ``state``; going ``in_flight`` counts one more attempt."""
    values: dict[str, object] = {
        "state": state.value,
        "updated_at": utcnow(),
        "error_code": error_code,
        "error_message": error_message,
    }
    if run_id is not None:
        values["run_id"] = run_id
    if state == ConversionState.IN_FLIGHT:
        values["attempts"] = lead_conversions.c.attempts + 1
    connection.execute(update(lead_conversions).where(lead_conversions.c.lead_id == lead_id).values(**values))


def contact_account(connection: Connection, *, contact_id: str) -> str | None:
    """The id of the Account a mirrored Contact looks up (None: none, or not mirrored)."""
    query = select(crm_records.c.account_id).where(
        crm_records.c.module == "Contacts", crm_records.c.crm_id == contact_id
    )
    value = connection.execute(query).scalar()
    return str(value) if value else None


def forget_converted_lead(connection: Connection, *, lead_id: str) -> None:
    """Drop a converted Lead from the CRM mirror: Zoho lists converted Leads no more, so no load would."""
    connection.execute(delete(crm_cluster_members).where(
        crm_cluster_members.c.crm_module == "Leads", crm_cluster_members.c.crm_id == lead_id))  # fmt: skip
    connection.execute(delete(crm_records).where(crm_records.c.module == "Leads", crm_records.c.crm_id == lead_id))


def _row(row: object) -> LeadConversion:
    values = dict(row)  # type: ignore[call-overload]
    return LeadConversion(
        lead_id=values["lead_id"],
        contact_id=values["contact_id"],
        golden_id=values["golden_id"],
        action=values["action"],
        state=ConversionState(values["state"]),
        attempts=values["attempts"],
        error_code=values["error_code"],
        error_message=values["error_message"],
    )
