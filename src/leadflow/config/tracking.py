"""``[tracking.rules]``: what the tracking service writes in Zoho for each kind of event, and when a Lead is
qualified for conversion (simple fields, not an expression language)."""

from __future__ import annotations

from pydantic import Field

from leadflow.config.base import Section

QUALIFYING_EVENTS = ("email_replied", "meeting_booked")


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
