"""Send mail: the emulator records every mail in the record's Emails and never sends anything.

A mail goes from a verified address (the org's users' addresses); recipients whose Lead or Contact has
``Email_Opt_Out`` set are left out and listed in ``blocked_email_addresses``, as Zoho does.

Example:
    >>> outbox = Outbox()
    >>> outbox.mails
    []
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leadflow_emulators.common.clock import iso
from leadflow_emulators.zoho.models.results import RecordError

if TYPE_CHECKING:
    from leadflow_emulators.zoho.models.backend import ZohoBackend

OPT_OUT_REASON = "email_opt_out"
MAX_RECIPIENTS = 50  # to + cc + bcc per mail
PEOPLE = ("Leads", "Contacts")


@dataclass
class SentMail:
    """One recorded mail."""

    message_id: str
    module: str
    record_id: str
    sender: dict[str, str]
    to: list[dict[str, str]]
    cc: list[dict[str, str]]
    bcc: list[dict[str, str]]
    subject: str | None
    content: str | None
    mail_format: str
    template_id: str | None
    time: str
    user_id: str
    blocked: list[dict[str, str]] = field(default_factory=list)


def _path(key: str) -> str:
    return f"$.data[0].{key}"


def _addresses(value: Any, key: str) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError("INVALID_DATA", "invalid data", {"api_name": key, "json_path": _path(key)})
    out = []
    for index, item in enumerate(value):
        email = item.get("email") if isinstance(item, dict) else None
        if not isinstance(email, str) or "@" not in email:
            raise RecordError(
                "INVALID_DATA", "invalid data", {"api_name": "email", "json_path": _path(f"{key}[{index}].email")}
            )
        out.append({"user_name": str(item.get("user_name") or ""), "email": email})
    return out


def notify_conversion(backend: ZohoBackend, lead_id: str, spec: dict[str, Any], details: dict[str, Any]) -> None:
    """Record the mails a conversion's ``notify_lead_owner`` / ``notify_new_entity_owner`` ask Zoho to send."""
    lead = backend.get_stored("Leads", lead_id)
    if lead is None:
        return
    now = iso(backend.clock.now())
    if spec.get("notify_lead_owner") is True:
        backend.features.mail.notice(backend, lead["Owner"]["id"], "Leads", lead_id, "Lead converted", now)
    if spec.get("notify_new_entity_owner") is True:
        for module in ("Contacts", "Accounts", "Deals"):
            created = details.get(module)
            record = backend.get_stored(module, str(created["id"])) if isinstance(created, dict) else None
            if record is not None:
                subject = f"{module[:-1]} assigned to you"
                backend.features.mail.notice(backend, record["Owner"]["id"], module, record["id"], subject, now)


class Outbox:
    """Every mail the org 'sent' (recorded only)."""

    def __init__(self) -> None:
        self.mails: list[SentMail] = []
        self._ids = itertools.count(1)

    def clear(self) -> None:
        self.mails.clear()

    def notice(
        self, backend: ZohoBackend, user_id: str, module: str, record_id: str, subject: str, now: str
    ) -> SentMail | None:
        """A notification mail Zoho itself sends to a user (recorded like every other mail)."""
        user = backend.directory.minified(user_id)
        if user is None:
            return None
        address = {"user_name": str(user["name"]), "email": str(user["email"])}
        mail = SentMail(
            message_id=f"c{next(self._ids):07d}{backend.ids.next_id()}",
            module=module,
            record_id=record_id,
            sender={"user_name": "Zoho CRM", "email": "notification@zohocrm.com"},
            to=[address],
            cc=[],
            bcc=[],
            subject=subject,
            content=None,
            mail_format="text",
            template_id=None,
            time=now,
            user_id=user_id,
        )
        self.mails.append(mail)
        return mail

    def of(self, module: str, record_id: str) -> list[SentMail]:
        return [mail for mail in reversed(self.mails) if mail.module == module and mail.record_id == record_id]

    def _opted_out(self, backend: ZohoBackend, email: str) -> bool:
        for module in PEOPLE:
            for record_id in backend.find(module, "Email", email):
                record = backend.get_stored(module, record_id)
                if record is not None and record.get("Email_Opt_Out"):
                    return True
        return False

    def send(self, backend: ZohoBackend, module: str, record_id: str, item: Any, now: str) -> SentMail:
        """Check one ``send_mail`` item and record it; RecordError with Zoho's code when it is refused."""
        if not isinstance(item, dict):
            raise RecordError("INVALID_DATA", "invalid data", {"api_name": "data", "json_path": "$.data[0]"})
        sender = item.get("from")
        if not isinstance(sender, dict) or not sender.get("email"):
            raise RecordError(
                "MANDATORY_NOT_FOUND", "required field not found", {"api_name": "from", "json_path": _path("from")}
            )
        verified = {str(user.get("email", "")).lower() for user in backend.directory.users.values()}
        if str(sender["email"]).lower() not in verified:
            raise RecordError(
                "INVALID_DATA", "the from address is not verified", {"api_name": "from", "json_path": _path("from")}
            )
        to = _addresses(item.get("to"), "to")
        if not to:
            raise RecordError(
                "MANDATORY_NOT_FOUND", "required field not found", {"api_name": "to", "json_path": _path("to")}
            )
        cc, bcc = _addresses(item.get("cc"), "cc"), _addresses(item.get("bcc"), "bcc")
        if len(to) + len(cc) + len(bcc) > MAX_RECIPIENTS:
            raise RecordError("INVALID_DATA", "too many recipients", {"api_name": "to", "json_path": _path("to")})
        template = item.get("template")
        template_id = str(template.get("id")) if isinstance(template, dict) and template.get("id") else None
        if template_id is None and not item.get("content"):
            raise RecordError(
                "MANDATORY_NOT_FOUND",
                "required field not found",
                {"api_name": "content", "json_path": _path("content")},
            )
        mail_format = item.get("mail_format") or "html"
        if mail_format not in ("html", "text"):
            raise RecordError(
                "INVALID_DATA", "invalid data", {"api_name": "mail_format", "json_path": _path("mail_format")}
            )
        blocked = [
            {"email": person["email"], "reason": OPT_OUT_REASON}
            for person in to + cc + bcc
            if self._opted_out(backend, person["email"])
        ]
        skipped = {entry["email"] for entry in blocked}
        mail = SentMail(
            message_id=f"c{next(self._ids):07d}{backend.ids.next_id()}",
            module=module,
            record_id=record_id,
            sender={"user_name": str(sender.get("user_name") or ""), "email": str(sender["email"])},
            to=[person for person in to if person["email"] not in skipped],
            cc=[person for person in cc if person["email"] not in skipped],
            bcc=[person for person in bcc if person["email"] not in skipped],
            subject=item.get("subject"),
            content=item.get("content"),
            mail_format=str(mail_format),
            template_id=template_id,
            time=now,
            user_id=backend.directory.current_user_id,
            blocked=blocked,
        )
        self.mails.append(mail)
        return mail
