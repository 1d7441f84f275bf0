"""What every part of the GHL backend shares: documents, clock, ids, the location and the event sink.

Example:
    >>> iso_ms(datetime(2026, 1, 2, 3, 4, 5, 678900, tzinfo=UTC))
    '2026-01-02T03:04:05.678Z'
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from leadflow_emulators.common.clock import Clock
from leadflow_emulators.ghl.models.documents import Doc, Documents
from leadflow_emulators.ghl.models.ids import GhlIds

# An event GHL would deliver to webhooks: (type, payload without type/locationId/timestamp/webhookId).
EventSink = Callable[[str, dict[str, Any]], None]


def iso_ms(moment: datetime) -> str:
    """GHL's timestamps: UTC, milliseconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def epoch_ms(text: str) -> int:
    """Milliseconds since the epoch of a GHL timestamp (the sort value GHL's search cursors carry)."""
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def public(doc: Doc) -> Doc:
    """A stored document without its internal (``_``-prefixed) keys."""
    return {key: value for key, value in doc.items() if not key.startswith("_")}


@dataclass
class Core:
    docs: Documents
    clock: Clock
    ids: GhlIds
    location_id: str
    emit: EventSink
    _backdated: threading.local = field(default_factory=threading.local, repr=False)

    def now(self) -> str:
        """The time records are stamped with (``dateAdded``...): the clock's, or the one set by ``at``."""
        return iso_ms(self.moment())

    def moment(self) -> datetime:
        moment: datetime | None = getattr(self._backdated, "moment", None)
        return moment if moment is not None else self.clock.now()

    @contextmanager
    def at(self, moment: datetime | None) -> Iterator[None]:
        """Stamp what this thread records inside the block with ``moment`` (a simulated engagement that happened
        earlier); webhook deliveries still carry the clock's time, as GHL stamps a delivery when it sends it."""
        previous = getattr(self._backdated, "moment", None)
        self._backdated.moment = moment
        try:
            yield
        finally:
            self._backdated.moment = previous

    def location(self) -> Doc:
        location = self.docs.get("location", self.location_id)
        assert location is not None, "the backend creates its location at start"
        return location

    def settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = self.location()["settings"]
        return settings
