"""Whitelist validation of request bodies, as GHL's API (NestJS class-validator) does it.

Every body is checked against the properties its DTO declares in GHL's specs: an unknown property answers
422 ``"property X should not exist"``; a wrong type answers 422 with class-validator's message. All
problems of a body are reported together.

Example:
    >>> check_body({"locationId": "L", "emial": "x"}, CREATE_CONTACT)
    Traceback (most recent call last):
    ...
    leadflow_emulators.ghl.exceptions.GhlError: property emial should not exist
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from leadflow_emulators.ghl.exceptions import GhlError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _string(name: str, value: Any) -> str | None:
    return None if isinstance(value, str) else f"{name} must be a string"


def _nullable_string(name: str, value: Any) -> str | None:
    return None if value is None else _string(name, value)


def _email(name: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _EMAIL.match(value):
        return f"{name} must be an email"
    return None


def _boolean(name: str, value: Any) -> str | None:
    return None if isinstance(value, bool) else f"{name} must be a boolean value"


def _number(name: str, value: Any) -> str | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return None if ok else f"{name} must be a number conforming to the specified constraints"


def _strings(name: str, value: Any) -> str | None:
    if not isinstance(value, list):
        return f"{name} must be an array"
    if any(not isinstance(item, str) for item in value):
        return f"each value in {name} must be a string"
    return None


def _objects(name: str, value: Any) -> str | None:
    if not isinstance(value, list):
        return f"{name} must be an array"
    if any(not isinstance(item, dict) for item in value):
        return f"each value in nested property {name} must be either object or array"
    return None


def _object(name: str, value: Any) -> str | None:
    return None if isinstance(value, dict) else f"nested property {name} must be either object or array"


def _any(name: str, value: Any) -> str | None:
    return None


def _status(*allowed: str) -> Any:
    def check(name: str, value: Any) -> str | None:
        return None if value in allowed else f"{name} must be one of the following values: {', '.join(allowed)}"

    return check


Rules = Mapping[str, Any]

_CONTACT_FIELDS: dict[str, Any] = {
    "firstName": _nullable_string,
    "lastName": _nullable_string,
    "name": _nullable_string,
    "email": _email,
    "phone": _nullable_string,
    "address1": _nullable_string,
    "city": _nullable_string,
    "state": _nullable_string,
    "postalCode": _string,
    "website": _nullable_string,
    "timezone": _nullable_string,
    "dnd": _boolean,
    "dndSettings": _object,
    "inboundDndSettings": _object,
    "tags": _strings,
    "customFields": _objects,
    "source": _string,
    "dateOfBirth": _any,
    "country": _string,
    "assignedTo": _string,
}
CREATE_CONTACT: Rules = {**_CONTACT_FIELDS, "locationId": _string, "gender": _string, "companyName": _nullable_string}
UPDATE_CONTACT: Rules = dict(_CONTACT_FIELDS)
UPSERT_CONTACT: Rules = {**CREATE_CONTACT, "createNewIfDuplicateAllowed": _boolean}
TAGS: Rules = {"tags": _strings}
BULK_TAGS: Rules = {"contacts": _strings, "tags": _strings, "locationId": _string, "removeAllTags": _boolean}
NOTE: Rules = {"body": _string, "userId": _string, "title": _string, "color": _string, "pinned": _boolean}
TASK: Rules = {"title": _string, "body": _string, "dueDate": _string, "completed": _boolean, "assignedTo": _string}
TASK_COMPLETED: Rules = {"completed": _boolean}
WORKFLOW_ENROL: Rules = {"eventStartTime": _string}
OPPORTUNITY_STATUS = _status("open", "won", "lost", "abandoned", "all")
CREATE_OPPORTUNITY: Rules = {
    "pipelineId": _string,
    "locationId": _string,
    "name": _string,
    "pipelineStageId": _string,
    "status": OPPORTUNITY_STATUS,
    "contactId": _string,
    "monetaryValue": _number,
    "assignedTo": _string,
    "customFields": _objects,
}
UPDATE_OPPORTUNITY: Rules = {k: v for k, v in CREATE_OPPORTUNITY.items() if k not in ("locationId", "contactId")}
OPPORTUNITY_STATUS_BODY: Rules = {"status": OPPORTUNITY_STATUS, "lostReasonId": _string}
CUSTOM_FIELD: Rules = {
    "name": _string,
    "dataType": _string,
    "placeholder": _string,
    "acceptedFormat": _strings,
    "isMultipleFile": _boolean,
    "maxNumberOfFiles": _number,
    "textBoxListOptions": _objects,
    "position": _number,
    "model": _status("contact", "opportunity"),
    "options": _strings,
    "picklistOptions": _strings,
    "fieldKey": _string,
}
CUSTOM_VALUE: Rules = {"name": _string, "value": _string}
LOCATION_TAG: Rules = {"name": _string}
SEND_MESSAGE: Rules = {
    "type": _status("SMS", "RCS", "Email", "WhatsApp", "IG", "FB", "Custom", "Live_Chat", "TIKTOK"),
    "subType": _any,
    "customSubtypeId": _string,
    "forward": _object,
    "usesNativeSchedulingAi": _boolean,
    "optimizationPeriod": _status("24h", "48h", "72h"),
    "contactId": _string,
    "appointmentId": _string,
    "attachments": _strings,
    "emailFrom": _string,
    "emailCc": _strings,
    "emailBcc": _strings,
    "html": _string,
    "message": _string,
    "subject": _string,
    "replyMessageId": _string,
    "templateId": _string,
    "threadId": _string,
    "scheduledTimestamp": _number,
    "conversationProviderId": _string,
    "emailTo": _string,
    "emailReplyMode": _status("reply", "reply_all"),
    "fromNumber": _string,
    "toNumber": _string,
    "status": _status("delivered", "failed", "pending", "read"),
}
APPOINTMENT: Rules = {
    "calendarId": _string,
    "locationId": _string,
    "contactId": _string,
    "startTime": _string,
    "endTime": _string,
    "title": _string,
    "meetingLocationType": _string,
    "appointmentStatus": _status("new", "confirmed", "cancelled", "showed", "noshow", "invalid"),
    "assignedUserId": _string,
    "address": _string,
    "ignoreDateRange": _boolean,
    "toNotify": _boolean,
    "ignoreFreeSlotValidation": _boolean,
    "notes": _string,
}


def check_body(body: Any, rules: Rules, *, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The body as a dict when every property is known and well typed; else 422 listing every problem."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise GhlError.unprocessable(["request body must be a JSON object"])
    problems = [f"property {name} should not exist" for name in body if name not in rules]
    for name, value in body.items():
        checker = rules.get(name)
        if checker is not None:
            problem = checker(name, value)
            if problem:
                problems.append(problem)
    for name in required:
        if body.get(name) in (None, ""):
            problems.append(f"{name} should not be empty")
    if problems:
        raise GhlError.unprocessable(problems)
    return body
