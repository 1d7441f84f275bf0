"""Per-record outcomes of a write, in Zoho's wire shape.

Example:
    >>> RecordResult.error("MANDATORY_NOT_FOUND", "required field not found", {}).to_json()["status"]
    'error'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class RecordError(Exception):
    """A per-record validation failure: the record is rejected, the batch goes on."""

    def __init__(self, code: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details


@dataclass
class RecordResult:
    """One entry of a write response's ``data`` list.

    ``action`` is ``insert``/``update`` for upserts, ``duplicate_field`` the field that matched (upsert only).
    """

    ok: bool
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    action: str | None = None
    duplicate_field: str | None = None
    upsert: bool = False

    @classmethod
    def error(cls, code: str, message: str, details: dict[str, Any]) -> RecordResult:
        return cls(False, code, message, details)

    @classmethod
    def from_error(cls, error: RecordError) -> RecordResult:
        return cls(False, error.code, error.message, error.details)

    def to_json(self) -> dict[str, Any]:
        """The JSON object Zoho puts in ``data[]``."""
        body: dict[str, Any] = {"code": self.code, "details": self.details, "message": self.message}
        body["status"] = "success" if self.ok else "error"
        if self.upsert and self.ok:
            body["duplicate_field"] = self.duplicate_field
            body["action"] = self.action
        return body
