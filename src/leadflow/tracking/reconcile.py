"""``leadflow track reconcile``: poll GoHighLevel and Zoho for what their webhooks did not deliver.

GHL retries a webhook only after a 429, so a delivery made while the service was down is gone; Zoho's
notifications stop when a channel lapses. The reconciler reads what changed since a cursor and stores it
through the intake's path, as the delivery the webhook would have been:

- GHL: conversations sorted by last message date (newest first), and each one's messages back to the
  cursor; every message becomes the ``InboundMessage``/``OutboundMessage`` body its webhook carries, keyed by
  the message id exactly as :func:`~leadflow.tracking.ghl_events.event_id` keys the webhook, so a message that
  arrives both ways (or is polled twice) is stored once.
- GHL opportunities linked to Zoho Deals (``[tracking.stages]``): those of the mapped pipelines whose stage is not
  the one leadflow last knew become the ``OpportunityStageUpdate`` their webhook would have been, keyed by
  opportunity, stage and ``lastStageChangeAt``.
- Zoho: Deals, Leads and Contacts modified since the cursor (``If-Modified-Since``), each as a one-record
  ``update`` notification with the fields read, keyed by module, id and ``Modified_Time``: polled twice it is
  stored once. A notification and a poll of the same change are two deliveries; their handlers act on the
  record's state (a Deal's stage is compared with the last one known), so the second changes nothing.

Cursors (one per system, in the ``kv`` table) hold the newest time seen; each run reads from the cursor minus
``overlap`` (late, eventually consistent writes) and advances it in the transaction that stores the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine

from leadflow.store import deal_links as links
from leadflow.store import kv
from leadflow.store.runs import utcnow
from leadflow.tracking.ghl_events import MESSAGE_TYPES, message_event_id, parse_time
from leadflow.tracking.intake import PolledDelivery, store_polled

GHL_CURSOR = "tracking.reconcile.ghl.messages"
OPPORTUNITY_CURSOR = "tracking.reconcile.ghl.opportunities"  # when they were last compared
ZOHO_CURSOR = "tracking.reconcile.zoho.{module}"
ZOHO_MODULES: dict[str, tuple[str, ...]] = {
    "Deals": ("Deal_Name", "Stage", "Pipeline", "Amount", "Modified_Time"),
    "Leads": ("Email", "Email_Opt_Out", "Lead_Status", "Modified_Time"),
    "Contacts": ("Email", "Email_Opt_Out", "Modified_Time"),
}
POLL_CHANNEL = "reconcile"  # the channel id of a notification the reconciler made up


class ConversationReader(Protocol):
    def search(
        self, *, contact_id: str | None = ..., limit: int = ..., sort: Any = ..., sort_by: Any = ...
    ) -> Iterator[dict[str, Any]]: ...

    def messages(self, conversation_id: str, *, limit: int = ...) -> Iterator[dict[str, Any]]: ...


class OpportunityReader(Protocol):
    def search(self, *, pipeline_id: str | None = ...) -> Iterator[dict[str, Any]]: ...


class ModifiedRecords(Protocol):
    def iter(self, fields: Sequence[str], *, modified_since: datetime | None = ...) -> Iterator[dict[str, Any]]: ...


@dataclass
class ReconcileTally:
    """What one reconcile run read and how much of it was new (the rest was already stored)."""

    ghl_messages: int = 0
    ghl_new: int = 0
    ghl_stage_changes: int = 0  # linked opportunities found in another stage than leadflow knew
    ghl_stage_new: int = 0
    zoho_records: int = 0
    zoho_new: int = 0

    @property
    def new(self) -> int:
        return self.ghl_new + self.ghl_stage_new + self.zoho_new


class Reconciler:
    """Polls both systems and stores what the webhooks missed.

    Example:
        >>> Reconciler(engine, conversations=ghl.conversations, zoho_modules={"Deals": zoho.deals}).run().new
        ... # doctest: +SKIP
        3
    """

    def __init__(
        self,
        engine: Engine,
        *,
        conversations: ConversationReader | None = None,
        zoho_modules: Mapping[str, ModifiedRecords] | None = None,
        opportunities: OpportunityReader | None = None,
        pipeline_ids: Sequence[str] = (),
        overlap: timedelta = timedelta(minutes=5),
        first_lookback: timedelta = timedelta(days=1),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.conversations = conversations
        self.zoho_modules = dict(zoho_modules or {})
        self.opportunities = opportunities
        self.pipeline_ids = tuple(pipeline_ids)
        self.overlap = overlap
        self.first_lookback = first_lookback
        self.clock = clock

    def run(self, since: datetime | None = None) -> ReconcileTally:
        """Poll from ``since`` (else each cursor minus the overlap, else ``first_lookback`` ago)."""
        tally = ReconcileTally()
        if self.conversations is not None:
            tally.ghl_messages, tally.ghl_new = self._ghl(since)
        if self.opportunities is not None and self.pipeline_ids:
            tally.ghl_stage_changes, tally.ghl_stage_new = self._stages()
        for module, records in self.zoho_modules.items():
            seen, new = self._zoho(module, records, since)
            tally.zoho_records += seen
            tally.zoho_new += new
        return tally

    def _start(self, key: str, since: datetime | None) -> tuple[datetime, datetime | None]:
        with self.engine.connect() as connection:
            stored = parse_time(kv.get_value(connection, key=key))
        if since is not None:
            return since, stored
        if stored is not None:
            return stored - self.overlap, stored
        return self.clock() - self.first_lookback, None

    def _ghl(self, since: datetime | None) -> tuple[int, int]:
        assert self.conversations is not None
        start, newest = self._start(GHL_CURSOR, since)
        start_ms = start.timestamp() * 1000
        found: list[PolledDelivery] = []
        for conversation in self.conversations.search(sort="desc", sort_by="last_message_date"):
            active = conversation.get("dateUpdated") or conversation.get("lastMessageDate")
            if isinstance(active, int | float) and active < start_ms:
                break  # newest first: every later conversation is older still
            for message in self.conversations.messages(str(conversation["id"])):
                added = parse_time(message.get("dateAdded"))
                if added is not None and added < start:
                    break  # messages come newest first too
                delivery = message_delivery(message, conversation)
                if delivery is None:
                    continue
                found.append(delivery)
                if added is not None and (newest is None or added > newest):
                    newest = added
        new = store_polled(self.engine, found, cursor_key=GHL_CURSOR, cursor=_iso(newest or start))
        return len(found), new

    def _stages(self) -> tuple[int, int]:
        assert self.opportunities is not None
        with self.engine.connect() as connection:
            known = links.ghl_stages(connection)
        found: list[PolledDelivery] = []
        if known:
            for pipeline_id in self.pipeline_ids:
                for opportunity in self.opportunities.search(pipeline_id=pipeline_id):
                    opportunity_id = str(opportunity.get("id") or "")
                    stage = str(opportunity.get("pipelineStageId") or "")
                    if opportunity_id in known and stage and stage != known[opportunity_id]:
                        found.append(stage_delivery(opportunity))
        new = store_polled(self.engine, found, cursor_key=OPPORTUNITY_CURSOR, cursor=_iso(self.clock()))
        return len(found), new

    def _zoho(self, module: str, records: ModifiedRecords, since: datetime | None) -> tuple[int, int]:
        key = ZOHO_CURSOR.format(module=module)
        start, newest = self._start(key, since)
        fields = ZOHO_MODULES.get(module, ("Modified_Time",))
        found: list[PolledDelivery] = []
        for record in records.iter(fields, modified_since=start):
            modified = parse_time(record.get("Modified_Time"))
            found.append(record_delivery(module, record))
            if modified is not None and (newest is None or modified > newest):
                newest = modified
        new = store_polled(self.engine, found, cursor_key=key, cursor=_iso(newest or start))
        return len(found), new


def message_delivery(message: Mapping[str, Any], conversation: Mapping[str, Any]) -> PolledDelivery | None:
    """A message read from the conversations API as the ``InboundMessage``/``OutboundMessage`` webhook body
    GHL sends for it; ``None`` for an activity entry that is not a message (no id or no direction)."""
    message_id = message.get("id")
    direction = str(message.get("direction") or "").lower()
    if not message_id or direction not in ("inbound", "outbound"):
        return None
    kind = MESSAGE_TYPES[0] if direction == "inbound" else MESSAGE_TYPES[1]
    meta = message.get("meta") if isinstance(message.get("meta"), Mapping) else {}
    assert isinstance(meta, Mapping)
    contact_id = message.get("contactId") or conversation.get("contactId")
    body: dict[str, Any] = {
        "type": kind,
        "locationId": message.get("locationId") or conversation.get("locationId"),
        "messageId": str(message_id),
        "conversationId": message.get("conversationId") or conversation.get("id"),
        "contactId": contact_id,
        "messageType": message.get("messageType"),
        "direction": direction,
        "status": message.get("status"),
        "body": message.get("body"),
        "dateAdded": message.get("dateAdded"),
        "timestamp": message.get("dateAdded"),
    }
    for name in ("callDuration", "callStatus"):
        if meta.get(name) is not None:
            body[name] = meta[name]
    email = meta.get("email")
    if isinstance(email, Mapping) and email.get("subject"):
        body["subject"] = email["subject"]
    return PolledDelivery(
        "ghl",
        message_event_id(str(message_id)),
        kind,
        str(contact_id) if contact_id else None,
        {key: value for key, value in body.items() if value is not None},
    )


def stage_delivery(opportunity: Mapping[str, Any]) -> PolledDelivery:
    """A linked opportunity found in another stage, as the ``OpportunityStageUpdate`` webhook GHL sends."""
    opportunity_id = str(opportunity.get("id"))
    stage = str(opportunity.get("pipelineStageId"))
    changed = opportunity.get("lastStageChangeAt") or opportunity.get("updatedAt") or ""
    body = {
        "type": "OpportunityStageUpdate",
        "locationId": opportunity.get("locationId"),
        "id": opportunity_id,
        "contactId": opportunity.get("contactId"),
        "pipelineId": opportunity.get("pipelineId"),
        "pipelineStageId": stage,
        "status": opportunity.get("status"),
        "name": opportunity.get("name"),
        "monetaryValue": opportunity.get("monetaryValue"),
        "timestamp": changed or None,
    }
    contact = opportunity.get("contactId")
    return PolledDelivery(
        "ghl",
        f"opportunity:{opportunity_id}:{stage}:{changed}",
        "OpportunityStageUpdate",
        str(contact) if contact else None,
        {key: value for key, value in body.items() if value is not None},
    )


def record_delivery(module: str, record: Mapping[str, Any]) -> PolledDelivery:
    """A Zoho record modified since the cursor as a one-record ``update`` notification carrying its values."""
    record_id = str(record.get("id"))
    modified = record.get("Modified_Time")
    when = parse_time(modified)
    values = {name: value for name, value in record.items() if name != "id"}
    body = {
        "module": module,
        "operation": "update",
        "ids": [record_id],
        "channel_id": POLL_CHANNEL,
        "server_time": int(when.timestamp() * 1000) if when else None,
        "affected_fields": [{record_id: sorted(values)}],
        "affected_values": [{"record_id": record_id, "values": values}],
    }
    return PolledDelivery(
        "zoho", f"{POLL_CHANNEL}:{module}:{record_id}:{modified}", f"{module}.update", f"{module}:{record_id}", body
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
