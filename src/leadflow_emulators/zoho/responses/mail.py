"""Mail: ``/{module}/{id}/actions/send_mail`` (recorded, never sent), ``settings/emails/actions/from_addresses``,
and a record's ``Emails``."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from leadflow_emulators.common.clock import iso
from leadflow_emulators.common.jsonresp import empty_response, json_response
from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.mail import SentMail
from leadflow_emulators.zoho.models.results import RecordError, RecordResult
from leadflow_emulators.zoho.responses.common import MODULE, CallContext, charge, int_param, route

MAX_PER_PAGE = 200


def _record(ctx: CallContext) -> tuple[str, str]:
    module = ctx.backend.module(str(ctx.request.path_params["module"]), index=0).api_name
    record_id = str(ctx.request.path_params["record_id"])
    if ctx.backend.get_stored(module, record_id) is None:
        raise ZohoError(400, "INVALID_DATA", "the id given seems to be invalid", {"api_name": "id", "json_path": "id"})
    return module, record_id


@route(family="send_mail", action="CREATE", target="all")
def send_mail(ctx: CallContext) -> Response:
    module, record_id = _record(ctx)
    body = ctx.json()
    items = body.get("data") if isinstance(body, dict) else None
    if not isinstance(items, list) or len(items) != 1:
        raise ZohoError(
            400, "MANDATORY_NOT_FOUND", "required field not found", {"api_name": "data", "json_path": "$.data"}
        )
    charge(ctx, 1)
    try:
        mail = ctx.backend.features.mail.send(ctx.backend, module, record_id, items[0], iso(ctx.backend.clock.now()))
    except RecordError as error:
        if error.code == "MANDATORY_NOT_FOUND":  # Zoho answers a missing key at the request level
            raise ZohoError(400, error.code, error.message, error.details) from None
        return json_response({"data": [RecordResult.from_error(error).to_json()]}, status=400)
    details = {"message_id": mail.message_id, "blocked_email_addresses": mail.blocked}
    return json_response(
        {
            "data": [
                {
                    "code": "SUCCESS",
                    "details": details,
                    "message": "Your mail has been sent successfully.",
                    "status": "success",
                }
            ]
        }
    )


@route(family="settings", action="READ", target="emails")
def from_addresses(ctx: CallContext) -> Response:
    charge(ctx, 1)
    current = ctx.backend.directory.current_user_id
    addresses = [
        {
            "email": user["email"],
            "type": "primary",
            "id": uid,
            "user_name": user["full_name"],
            "default": uid == current,
        }
        for uid, user in ctx.backend.directory.users.items()
    ]
    return json_response({"from_addresses": addresses})


def _email_json(ctx: CallContext, mail: SentMail) -> dict[str, Any]:
    meta = ctx.backend.module(mail.module)
    return {
        "cc": mail.cc,
        "summary": None,
        "owner": ctx.backend.directory.minified(mail.user_id),
        "read": False,
        "sent": True,
        "subject": mail.subject,
        "activity_info": None,
        "intent": None,
        "sentiment_info": None,
        "message_id": mail.message_id,
        "source": "crm_mail",
        "linked_record": {
            "id": mail.record_id,
            "name": ctx.backend.display_name(mail.module, mail.record_id),
            "module": {"api_name": mail.module, "id": meta.id},
        },
        "emotion": None,
        "from": mail.sender,
        "to": mail.to,
        "time": mail.time,
        "status": [{"type": "sent", "bounced_time": None, "bounced_reason": None}],
        "has_attachment": False,
        "has_thread_attachment": False,
        "editable": False,
        "mail_format": mail.mail_format,
        "content": mail.content or "",
    }


@route(family="modules", action="READ", target=MODULE)
def record_emails(ctx: CallContext) -> Response:
    module, record_id = _record(ctx)
    charge(ctx, 1)
    mails = ctx.backend.features.mail.of(module, record_id)
    wanted = ctx.request.path_params.get("message_id")
    if wanted is not None:
        mails = [mail for mail in mails if mail.message_id == wanted]
    per_page = int_param(ctx, "per_page", MAX_PER_PAGE, maximum=MAX_PER_PAGE)
    chunk = mails[:per_page]
    if not chunk:
        return empty_response(204)
    more = len(mails) > per_page
    info = {
        "count": len(chunk),
        "next_index": str(per_page) if more else None,
        "prev_index": None,
        "per_page": per_page,
        "more_records": more,
    }
    return json_response({"Emails": [_email_json(ctx, mail) for mail in chunk], "info": info})
