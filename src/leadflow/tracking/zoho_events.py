"""Zoho's notifications (``actions/watch`` channels) and workflow-rule webhooks -> tracked events (pure).

A notification names a module, an operation and record ids (``{"module": "Deals", "operation": "update",
"ids": [...], "channel_id": ..., "token": ..., "server_time": ..., "affected_fields": [...]}``); a workflow
webhook carries the fields its rule was set up to send (``module``, ``id`` and whatever else was chosen).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from leadflow.tracking.events import TrackedEvent
from leadflow.tracking.ghl_events import parse_time


def notification_id(body: Mapping[str, Any]) -> str:
    """Zoho sends no event id: the channel, operation, ids and server time identify a notification.

    Example:
        >>> notification_id({"channel_id": "7", "operation": "update", "ids": ["2", "1"], "server_time": 1})
        '7:update:1,2:1'
    """
    ids = body.get("ids") or []
    joined = ",".join(sorted(str(i) for i in ids)) if isinstance(ids, list) else str(ids)
    return f"{body.get('channel_id')}:{body.get('operation')}:{joined}:{body.get('server_time')}"[:255]


def workflow_id(fields: Mapping[str, Any], raw: bytes) -> str:
    """A workflow webhook's identity: module, record id and modification time, else the body's hash."""
    if fields.get("id") and fields.get("Modified_Time"):
        return f"{fields.get('module')}:{fields['id']}:{fields['Modified_Time']}"[:255]
    return "sha256:" + hashlib.sha256(raw or json.dumps(dict(fields), sort_keys=True).encode()).hexdigest()


def notification_events(body: Mapping[str, Any]) -> list[TrackedEvent]:
    """One event per record id: ``zoho_<operation>`` with the module, the affected fields and (when the channel
    returns them) their new values.

    Example:
        >>> [e.zoho_id for e in notification_events({"module": "Deals", "operation": "update", "ids": ["9"],
        ...                                          "channel_id": "1", "server_time": 1700000000000})]
        ['9']
    """
    base_id = notification_id(body)
    module = str(body.get("module") or "")
    operation = str(body.get("operation") or "change")
    affected = body.get("affected_fields") or []
    fields_by_id: dict[str, Any] = {}
    if isinstance(affected, list):
        for item in affected:
            if isinstance(item, Mapping):
                for record_id, names in item.items():
                    fields_by_id[str(record_id)] = names
    values_by_id: dict[str, Any] = {}
    changed = body.get("affected_values") or []  # channels enabled with return_affected_field_values
    if isinstance(changed, list):
        for item in changed:
            if isinstance(item, Mapping) and isinstance(item.get("values"), Mapping):
                values_by_id[str(item.get("record_id"))] = dict(item["values"])
    when = parse_time(body.get("server_time"))
    return [
        TrackedEvent(
            "zoho",
            f"{base_id}#{record_id}",
            f"zoho_{operation}",
            when,
            zoho_module=module,
            zoho_id=str(record_id),
            details={
                "affected_fields": fields_by_id.get(str(record_id), []),
                **({"values": values_by_id[str(record_id)]} if str(record_id) in values_by_id else {}),
            },
        )
        for record_id in body.get("ids") or []
    ]


def workflow_events(fields: Mapping[str, Any], raw: bytes = b"") -> list[TrackedEvent]:
    """The record a workflow rule sent, as one ``zoho_workflow`` event with its fields."""
    return [
        TrackedEvent(
            "zoho",
            workflow_id(fields, raw),
            "zoho_workflow",
            parse_time(fields.get("Modified_Time")),
            zoho_module=str(fields.get("module") or "") or None,
            zoho_id=str(fields.get("id") or "") or None,
            email=str(fields.get("Email") or "") or None,
            details=dict(fields),
        )
    ]
