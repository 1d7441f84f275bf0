"""Per-record outcomes of batch calls: data, not exceptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from leadflow.zoho.errors import DUPLICATE_CODES, duplicate_record_id


@dataclass(frozen=True)
class RecordResult:
    """What happened to input row ``index`` of a batch call.

    ``action`` is ``insert``, ``update`` or ``delete`` on success (Zoho's own word for upserts), ``None``
    when the record failed; ``code`` and ``details`` are Zoho's (e.g. ``MANDATORY_NOT_FOUND`` with
    ``{"api_name": "Last_Name"}``).

    Example:
        >>> r = RecordResult.from_item(0, {"code": "SUCCESS", "status": "success", "action": "insert",
        ...                               "details": {"id": "5725767000000412001"}, "message": "record added"})
        >>> (r.ok, r.id, r.action)
        (True, '5725767000000412001', 'insert')
    """

    index: int
    id: str | None
    action: str | None
    status: str
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    duplicate_field: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "success"

    @property
    def existing_id(self) -> str | None:
        """For a row refused as a duplicate, the id of the record Zoho already holds with that value.

        Example:
            >>> RecordResult.failed(0, code="DUPLICATE_DATA", message="duplicate data",
            ...                     details={"api_name": "Email", "duplicate_record": {"id": "57"}}).existing_id
            '57'
        """
        return duplicate_record_id(self.details) if self.code in DUPLICATE_CODES else None

    @classmethod
    def from_item(cls, index: int, item: dict[str, Any], *, default_action: str | None = None) -> RecordResult:
        details = item.get("details") if isinstance(item.get("details"), dict) else {}
        assert isinstance(details, dict)
        status = str(item.get("status") or ("success" if item.get("code") == "SUCCESS" else "error"))
        record_id = details.get("id")
        ok = status == "success"
        return cls(
            index=index,
            id=str(record_id) if record_id is not None else None,
            action=(
                str(item.get("action") or default_action) if ok and (item.get("action") or default_action) else None
            ),
            status=status,
            code=str(item.get("code") or ""),
            message=str(item.get("message") or ""),
            details=dict(details),
            duplicate_field=str(item["duplicate_field"]) if item.get("duplicate_field") else None,
        )

    @classmethod
    def failed(cls, index: int, *, code: str, message: str, details: dict[str, Any] | None = None) -> RecordResult:
        """A result for a row that was refused before or without a per-record answer."""
        return cls(index=index, id=None, action=None, status="error", code=code, message=message, details=details or {})
