"""Conversations API (``Version: 2021-04-15``): send a message, search conversations, list messages."""

from __future__ import annotations

from starlette.responses import Response

from leadflow_emulators.ghl.models import validation as v
from leadflow_emulators.ghl.models.core import public
from leadflow_emulators.ghl.responses.common import V2_CONVERSATIONS, Ctx, route


@route(version=V2_CONVERSATIONS, scope="conversations/message.write")
def send_message(ctx: Ctx) -> Response:
    body = v.check_body(ctx.json(), v.SEND_MESSAGE, required=("type", "contactId"))
    message = ctx.backend.conversations.send(body)
    answer = {
        "conversationId": message["conversationId"],
        "messageId": message["id"],
        "msg": "Message queued successfully.",
        "status": message["status"],
    }
    if message.get("_emailMessageId"):
        answer["emailMessageId"] = message["_emailMessageId"]
    return ctx.ok(answer)


@route(version=V2_CONVERSATIONS, scope="conversations.readonly")
def search_conversations(ctx: Ctx) -> Response:
    ctx.check_location(ctx.params.get("locationId"))
    conversations, total = ctx.backend.conversations.search(ctx.params)
    return ctx.ok({"conversations": conversations, "total": total})


@route(version=V2_CONVERSATIONS, scope="conversations.readonly")
def get_conversation(ctx: Ctx) -> Response:
    conversation = public(ctx.backend.conversations.get(ctx.path("conversationId")))
    return ctx.ok({k: v for k, v in conversation.items() if k not in ("dateAdded", "dateUpdated")})


@route(version=V2_CONVERSATIONS, scope="conversations/message.readonly")
def list_messages(ctx: Ctx) -> Response:
    # The specs (v2 and v3) put lastMessageId, nextPage and messages at the top level.
    return ctx.ok(ctx.backend.conversations.messages(ctx.path("conversationId"), ctx.params))
