"""``[tracking.rules]``: what the tracking service writes in Zoho for each kind of event, and when a Lead is
qualified for conversion (simple fields, not an expression language)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from leadflow.config.base import Section

QUALIFYING_EVENTS = ("email_replied", "meeting_booked")
# Engagement events a conversion may be triggered by (the tracked kinds of leadflow.tracking.events).
CONVERTING_KINDS = (
    "email_replied",
    "meeting_booked",
    "call_connected",
    "form_filled",
    "email_clicked",
    "email_opened",
    "website_visit",
)
DEAL_NAME_FIELDS = {"company": "", "full_name": "", "first_name": "", "last_name": "", "email": ""}
GRADE = re.compile(r"^[A-D][1-4]$")


class TrackingRules(Section):
    reply_note: bool = Field(
        True, description="A reply becomes a Note on the Lead/Contact (subject, snippet, link to the conversation)"
    )
    reply_task: bool = Field(True, description="A reply also becomes a follow-up Task for the record's owner")
    follow_up_days: int = Field(2, ge=0, le=365, description="The follow-up Task is due this many days after the reply")
    follow_up_priority: str = Field("High", description="Priority of the follow-up Task")
    call: bool = Field(True, description="A call becomes a Call (duration, result, direction)")
    booking: bool = Field(True, description="A booking becomes an Event (start, end, title)")
    opt_out: bool = Field(
        True, description="A hard bounce, unsubscribe or complaint sets Email_Opt_Out = true on the Zoho record"
    )
    conversation_url: str = Field(
        "https://app.gohighlevel.com/v2/location/{location_id}/conversations/conversations/{conversation_id}",
        description="Link to a GHL conversation put in reply Notes ({location_id}, {conversation_id})",
    )
    convert: bool = Field(True, description="Convert a qualified Lead into Contact + Account + Deal, once")
    convert_grades: list[str] = Field(
        default_factory=lambda: ["A1", "A2", "B1", "B2"], description="Grades that qualify for conversion"
    )
    convert_on: list[str] = Field(
        default_factory=lambda: list(QUALIFYING_EVENTS),
        description="Event kinds that qualify (any of them), together with the grade",
    )
    deal_name: str = Field(
        "{company} - {full_name}", description="Deal name ({company}, {full_name}, {first_name}, {last_name}, {email})"
    )
    deal_pipeline: str = Field("", description="Pipeline of the new Deal (empty: the layout's default)")
    deal_stage: str = Field("Qualification", description="Stage of the new Deal")
    deal_amount: float | None = Field(None, ge=0, description="Amount of the new Deal (unset: none)")

    @field_validator("convert_grades")
    @classmethod
    def _grades(cls, value: list[str]) -> list[str]:
        bad = [grade for grade in value if not GRADE.match(grade)]
        if bad:
            raise ValueError(f"not grades (A1 ... D4): {bad}")
        return value

    @field_validator("convert_on")
    @classmethod
    def _kinds(cls, value: list[str]) -> list[str]:
        bad = [kind for kind in value if kind not in CONVERTING_KINDS]
        if bad:
            raise ValueError(f"unknown event kinds {bad}; expected some of {list(CONVERTING_KINDS)}")
        return value

    @field_validator("deal_name")
    @classmethod
    def _template(cls, value: str) -> str:
        try:
            value.format(**DEAL_NAME_FIELDS)
        except (KeyError, IndexError, ValueError) as exc:
            names = ", ".join("{" + name + "}" for name in DEAL_NAME_FIELDS)
            raise ValueError(f"deal_name {value!r} cannot be filled ({exc}); it may use {names}") from None
        return value
