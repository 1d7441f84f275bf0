"""Mirror Zoho Deals and their Stage_History into ``crm_deals`` / ``crm_deal_stages`` for the pipeline reports.

The first load reads every Deal (a bulk read job above ``[sync.zoho] mirror_bulk_read_above``, the records API
below, as for Leads: :func:`leadflow.pipeline.crm_fetch.fetch_module`); later loads read the Deals modified since
the newest mirrored ``Modified_Time`` (the boundary second re-read; the upsert makes that harmless). A Deal's
Stage_History is a related list, one call (one credit) per Deal, so it is read only for a Deal that is new to the
mirror or whose stage changed; a Deal whose stage did not move keeps the history already mirrored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import Engine

from leadflow.config import Settings
from leadflow.log import get_logger
from leadflow.reporting.facts import refresh_report_facts
from leadflow.store.deals import (
    deal_stages,
    latest_deal_modified_time,
    replace_stage_history,
    stage_moves,
    upsert_deals,
)
from leadflow.zoho.client import ZohoClient
from leadflow.zoho.deals import Stage

DEAL_FIELDS = (
    "Deal_Name",
    "Stage",
    "Pipeline",
    "Probability",
    "Amount",
    "Currency",
    "Closing_Date",
    "Contact_Name",
    "Account_Name",
    "Owner",
    "Created_Time",
    "Modified_Time",
)
CHUNK = 500  # Deals written (with their histories) per transaction


def _text(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("name")
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _lookup_id(value: Any) -> str | None:
    if isinstance(value, Mapping) and value.get("id"):
        return str(value["id"])
    return None


def _number(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def outcome_of(stage: str | None, probability: float | None, stages: Mapping[str, Stage]) -> str:
    """``won``, ``lost`` or ``open`` from the stage's forecast type; a stage the layout does not list (renamed,
    another pipeline) falls back to its probability (100: won) and a "Closed ... Lost" name.

    Example:
        >>> outcome_of("Closed Won", 100, {}), outcome_of("Closed Lost to Competition", 0, {}), outcome_of("x", 40, {})
        ('won', 'lost', 'open')
    """
    known = stages.get((stage or "").lower())
    if known is not None and known.forecast_type:
        return "won" if known.won else "lost" if known.lost else "open"
    name = (stage or "").lower()
    if probability is not None and probability >= 100:
        return "won"
    if name.startswith("closed") and "lost" in name:
        return "lost"
    return "open"


def deal_row(record: Mapping[str, Any], stages: Mapping[str, Stage]) -> dict[str, Any]:
    """A ``crm_deals`` row (without the stage times, see :func:`with_history`) from a Zoho Deal record."""
    stage = _text(record.get("Stage"))
    probability = _number(record.get("Probability"))
    owner = record.get("Owner")
    return {
        "crm_id": str(record["id"]),
        "deal_name": _text(record.get("Deal_Name")),
        "pipeline": _text(record.get("Pipeline")),
        "stage": stage,
        "outcome": outcome_of(stage, probability, stages),
        "probability": probability,
        "amount": _number(record.get("Amount")),
        "currency": _text(record.get("Currency")),
        "closing_date": _day(record.get("Closing_Date")),
        "contact_id": _lookup_id(record.get("Contact_Name")),
        "account_id": _lookup_id(record.get("Account_Name")),
        "owner_id": _lookup_id(owner),
        "owner_name": _text(owner),
        "created_time": _moment(record.get("Created_Time")),
        "modified_time": _moment(record.get("Modified_Time")),
        "fields": json.loads(json.dumps(dict(record), default=str)),
    }


def history_rows(entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``crm_deal_stages`` rows from Stage_History entries (oldest first)."""
    rows = []
    for entry in entries:
        moved = _moment(entry.get("Created_Time") or entry.get("Modified_Time"))
        stage = _text(entry.get("Stage"))
        if moved is None or stage is None or not entry.get("id"):
            continue
        duration = _number(entry.get("Stage_Duration"))
        rows.append(
            {
                "entry_id": str(entry["id"]),
                "stage": stage,
                "probability": _number(entry.get("Probability")),
                "amount": _number(entry.get("Amount")),
                "moved_at": moved,
                "duration_days": None if duration is None else int(duration),
            }
        )
    return rows


def with_history(row: dict[str, Any], history: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The row with ``stage_since`` (the last move to its current stage) and ``closed_at`` (that move, when the
    stage is a won or lost one); without history, the Deal's creation (or modification) time stands in."""
    arrived = next((_moment(entry["moved_at"]) for entry in reversed(history) if entry["stage"] == row["stage"]), None)
    since = arrived or row["created_time"] or row["modified_time"]
    return {**row, "stage_since": since, "closed_at": since if row["outcome"] != "open" else None}


def mirror_deals(settings: Settings, engine: Engine, zoho: ZohoClient) -> int:
    """Copy Zoho's Deals (and the Stage_History of Deals that are new or moved) into the store; returns how many
    Deals were written.

    Example:
        >>> with ZohoClient.from_settings(settings, engine) as zoho:  # doctest: +SKIP
        ...     mirror_deals(settings, engine, zoho)
        42
    """
    from leadflow.pipeline.crm_fetch import fetch_module, owner_names

    log = get_logger(__name__)
    fields_meta = zoho.metadata.fields("Deals")
    available = {str(field.get("api_name")) for field in fields_meta}
    wanted = [name for name in DEAL_FIELDS if name in available]
    stages = {stage.name.lower(): stage for stage in zoho.deals.stages()}
    with engine.connect() as connection:
        since = latest_deal_modified_time(connection)
    fetch = fetch_module(
        zoho,
        "Deals",
        wanted,
        since=since - timedelta(seconds=1) if since is not None else None,
        bulk_read_above=settings.sync.zoho.mirror_bulk_read_above,
        fields_meta=fields_meta,
    )
    written = histories = 0
    records: Iterator[dict[str, Any]] = fetch.records
    owners: dict[str, str] | None = None
    while chunk := [deal_row(record, stages) for record in islice(records, CHUNK)]:
        if any(row["owner_id"] and not row["owner_name"] for row in chunk):
            # A bulk read gives the owner's id only; the users list (one call) gives the names the filter shows.
            owners = owners if owners is not None else owner_names(zoho)
            for row in chunk:
                row["owner_name"] = row["owner_name"] or owners.get(str(row["owner_id"]))
        with engine.connect() as connection:
            mirrored = deal_stages(connection, ids=[row["crm_id"] for row in chunk])
        # Fetched with no transaction open: each call books its credits in the store.
        moved = {
            row["crm_id"]: history_rows(zoho.deals.stage_history(row["crm_id"]))
            for row in chunk
            if row["crm_id"] not in mirrored or mirrored[row["crm_id"]] != row["stage"]
        }
        with engine.begin() as connection:
            kept = stage_moves(connection, ids=[row["crm_id"] for row in chunk if row["crm_id"] not in moved])
            rows = [with_history(row, moved.get(row["crm_id"]) or kept.get(row["crm_id"], [])) for row in chunk]
            written += upsert_deals(connection, rows)
            for deal_id, entries in moved.items():
                replace_stage_history(connection, deal_id=deal_id, entries=entries)
        histories += len(moved)
    log.info("deals mirrored", method=fetch.method, deals=written, stage_histories=histories)
    refresh_report_facts(engine)
    return written
