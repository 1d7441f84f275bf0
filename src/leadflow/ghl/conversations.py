"""Conversations: send an email or SMS, search conversations, read their messages (``lastMessageId`` paging)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from leadflow.ghl.api import GhlApi
from leadflow.http.paging import Page, iter_pages

Channel = Literal["Email", "SMS", "WhatsApp"]


@dataclass(frozen=True)
class SentMessage:
    """What GHL answered to a send: the conversation, the message and (for email) the email message id."""

    conversation_id: str
    message_id: str
    email_message_id: str | None


class ConversationsApi:
    """Conversations of the location.

    Example:
        >>> ghl.conversations.send("c1", "Email", subject="Hello", html="<p>Hi</p>").email_message_id  # doctest: +SKIP
        'em_1'
    """

    def __init__(self, api: GhlApi) -> None:
        self.api = api

    def send(
        self,
        contact_id: str,
        channel: Channel,
        *,
        message: str | None = None,
        html: str | None = None,
        subject: str | None = None,
        thread_id: str | None = None,
    ) -> SentMessage:
        """Send a message; a contact with DND on that channel is refused by GHL (the error says so)."""
        payload: dict[str, Any] = {"type": channel, "contactId": contact_id}
        for key, value in (("message", message), ("html", html), ("subject", subject), ("threadId", thread_id)):
            if value is not None:
                payload[key] = value
        body = self.api.call("POST", "/conversations/messages", json=payload) or {}
        return SentMessage(
            str(body.get("conversationId") or ""),
            str(body.get("messageId") or ""),
            str(body["emailMessageId"]) if body.get("emailMessageId") else None,
        )

    def search(self, *, contact_id: str | None = None, limit: int = 100) -> Iterator[dict[str, Any]]:
        """Conversations (of a contact), walked by ``startAfterDate`` (the last one's sort value)."""

        def fetch(cursor: Any | None) -> Page[dict[str, Any], Any]:
            params: dict[str, Any] = {"locationId": self.api.location_id, "contactId": contact_id, "limit": limit}
            if cursor is not None:
                params["startAfterDate"] = cursor
            body = self.api.call("GET", "/conversations/search", params=params) or {}
            items = [dict(c) for c in body.get("conversations") or []]
            last = items[-1].get("sort") if items else None
            more = len(items) >= limit and isinstance(last, list) and bool(last)
            return Page(items, last[0] if more and isinstance(last, list) else None)

        return iter_pages(fetch)

    def messages(self, conversation_id: str, *, limit: int = 100) -> Iterator[dict[str, Any]]:
        """Messages of a conversation, walked by ``lastMessageId`` while GHL says ``nextPage``."""

        def fetch(cursor: str | None) -> Page[dict[str, Any], str]:
            params: dict[str, Any] = {"limit": limit, "lastMessageId": cursor}
            body = self.api.call("GET", f"/conversations/{conversation_id}/messages", params=params) or {}
            # GHL nests the page under "messages" in some versions: {"messages": {"messages": [...], ...}}
            nested = body.get("messages")
            page: dict[str, Any] = nested if isinstance(nested, dict) else body
            items = [dict(m) for m in page.get("messages") or []]
            more = bool(page.get("nextPage")) and bool(page.get("lastMessageId")) and bool(items)
            return Page(items, str(page["lastMessageId"]) if more else None)

        return iter_pages(fetch)
