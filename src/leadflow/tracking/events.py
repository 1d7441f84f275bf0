"""What comes back from the outreach, in one shape whatever sent it: :class:`TrackedEvent`.

``kind`` is an engagement type of ``[scoring.engagement.points]`` when the event is engagement (``email_opened``,
``email_replied``, ``meeting_booked``...), or a bookkeeping kind the tracking handlers act on
(``deal_stage_changed``, ``contact_deleted``, ``dnd_changed``...), or ``unknown`` (stored, ignored).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Source = Literal["ghl", "zoho"]

ENGAGEMENT_KINDS = frozenset(
    {
        "email_sent",
        "email_opened",
        "email_clicked",
        "email_replied",
        "form_filled",
        "meeting_booked",
        "call_connected",
        "website_visit",
        "email_bounced_soft",
        "email_bounced_hard",
        "unsubscribed",
        "spam_complaint",
    }
)
SUPPRESSING_KINDS = frozenset({"email_bounced_hard", "unsubscribed", "spam_complaint"})


@dataclass(frozen=True)
class TrackedEvent:
    """One thing that happened to a person, as leadflow records it.

    Example:
        >>> TrackedEvent("ghl", "w1", "email_opened", None, ghl_contact_id="c1").is_engagement
        True
    """

    source: Source
    vendor_event_id: str  # unique per source: a delivery is stored and applied once
    kind: str
    occurred_at: datetime | None
    ghl_contact_id: str | None = None
    zoho_module: str | None = None
    zoho_id: str | None = None
    email: str | None = None
    phone: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_engagement(self) -> bool:
        return self.kind in ENGAGEMENT_KINDS

    @property
    def suppresses(self) -> bool:
        """Whether the person must leave every outreach segment (hard bounce, unsubscribe, complaint)."""
        return self.kind in SUPPRESSING_KINDS
