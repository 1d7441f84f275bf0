"""Send mail from Zoho CRM (``/{module}/{id}/actions/send_mail``): off unless ``[zoho] allow_send_mail = true``.

Zoho sends from a verified address, files the mail under the record's Emails, and leaves out recipients
who opted out of e-mail (``Email_Opt_Out``), listing them in ``blocked``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from leadflow.errors import ApiError, ConfigError, InputError
from leadflow.zoho.activities import RecordRef
from leadflow.zoho.api import ZohoApi
from leadflow.zoho.refusals import refusal

MAX_RECIPIENTS = 50


@dataclass(frozen=True)
class SentMail:
    """Zoho's answer: the mail's id and the addresses it did not send to (with the reason).

    Example:
        >>> SentMail("c1", ({"email": "x@y.z", "reason": "email_opt_out"},)).blocked_emails
        ['x@y.z']
    """

    message_id: str
    blocked: tuple[dict[str, str], ...]

    @property
    def blocked_emails(self) -> list[str]:
        return [entry["email"] for entry in self.blocked]


class MailApi:
    """Mail from the CRM; refuses to send unless sending was switched on in the settings.

    Example:
        >>> zoho.mail.send(RecordRef("Contacts", contact_id), to=["ada@example.com"], subject="Hi",
        ...                content="<p>Hello</p>", sender="owner@acme.example").message_id  # doctest: +SKIP
        'c0000001...'
    """

    def __init__(self, api: ZohoApi, *, allowed: bool = False) -> None:
        self.api = api
        self.allowed = allowed

    def from_addresses(self) -> list[dict[str, Any]]:
        """The verified addresses mail can be sent from.

        Example:
            >>> [a["email"] for a in zoho.mail.from_addresses()]  # doctest: +SKIP
            ['owner@acme.example']
        """
        reply = self.api.call("GET", self.api.crm_url("settings/emails/actions/from_addresses"))
        items = reply.body.get("from_addresses") if isinstance(reply.body, dict) else None
        return [item for item in items or [] if isinstance(item, dict)]

    def send(
        self,
        on: RecordRef,
        *,
        to: Sequence[str],
        sender: str,
        subject: str | None = None,
        content: str | None = None,
        template_id: str | None = None,
        cc: Sequence[str] = (),
        mail_format: str = "html",
    ) -> SentMail:
        """Send one mail about ``on`` (1 credit); ``content`` or ``template_id`` gives the body.

        Example:
            >>> zoho.mail.send(RecordRef("Leads", lead_id), to=["a@b.io"], sender="me@acme.example",
            ...                template_id="5725767000000561001").blocked  # doctest: +SKIP
            ()
        """
        if not self.allowed:
            raise ConfigError("sending mail through Zoho is off; set [zoho] allow_send_mail = true to allow it")
        if not to:
            raise InputError("a mail needs at least one recipient")
        if len(to) + len(cc) > MAX_RECIPIENTS:
            raise InputError(f"at most {MAX_RECIPIENTS} recipients per mail")
        if not content and not template_id:
            raise InputError("a mail needs content or a template")
        if mail_format not in ("html", "text"):
            raise InputError(f"mail_format {mail_format!r}: expected html or text")
        item: dict[str, Any] = {
            "from": {"email": sender},
            "to": [{"email": address} for address in to],
            "mail_format": mail_format,
        }
        if cc:
            item["cc"] = [{"email": address} for address in cc]
        if subject is not None:
            item["subject"] = subject
        if content is not None:
            item["content"] = content
        if template_id:
            item["template"] = {"id": template_id}
        reply = self.api.call(
            "POST",
            self.api.crm_url(f"{on.module}/{on.id}/actions/send_mail"),
            json={"data": [item]},
            idempotent=False,
            batch=True,
            label="send mail",
        )
        first = reply.data()[0] if reply.data() else {}
        raw = first.get("details")
        details: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if first.get("status") != "success":
            raise refusal(reply.status, first, "send mail refused")
        if not details.get("message_id"):
            raise ApiError("Zoho accepted the mail but gave no message id", status=reply.status)
        blocked = tuple(dict(entry) for entry in details.get("blocked_email_addresses") or [])
        return SentMail(str(details["message_id"]), blocked)
