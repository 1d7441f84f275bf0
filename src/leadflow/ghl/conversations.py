"""Conversations: send an email or SMS, search conversations, read their messages (``lastMessageId`` paging)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from leadflow.ghl.api import GhlApi
from leadflow.http.paging import Page, paginate

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

    def search(
        self,
        *,
        contact_id: str | None = None,
        limit: int = 100,
        sort: Literal["asc", "desc"] | None = None,
        sort_by: Literal["last_message_date", "last_manual_message_date"] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Conversations (of a contact), walked by ``startAfterDate`` (the last one's sort value); with
        ``sort="desc", sort_by="last_message_date"`` the most recently active come first."""

        def fetch(cursor: _After) -> Page[dict[str, Any]]:
            params: dict[str, Any] = {"locationId": self.api.location_id, "contactId": contact_id, "limit": limit}
            if sort is not None:
                params["sort"] = sort
            if sort_by is not None:
                params["sortBy"] = sort_by
            if cursor.value is not None:
                params["startAfterDate"] = cursor.value
            body = self.api.call("GET", "/conversations/search", params=params) or {}
            return Page([dict(c) for c in body.get("conversations") or []])

        return paginate(fetch, _LastSortValue(limit))

    def messages(self, conversation_id: str, *, limit: int = 100) -> Iterator[dict[str, Any]]:
        """Messages of a conversation, walked by ``lastMessageId`` while GHL says ``nextPage``."""

        def fetch(cursor: _After) -> Page[dict[str, Any]]:
            params: dict[str, Any] = {"limit": limit, "lastMessageId": cursor.value}
            body = self.api.call("GET", f"/conversations/{conversation_id}/messages", params=params) or {}
            # the specs put the page at the top level; live GHL has been seen to nest it under "messages"
            nested = body.get("messages")
            page: dict[str, Any] = nested if isinstance(nested, dict) else body
            meta = {"nextPage": page.get("nextPage"), "lastMessageId": page.get("lastMessageId")}
            return Page([dict(m) for m in page.get("messages") or []], meta)

        return paginate(fetch, _LastMessageId())


@dataclass(frozen=True)
class _After:
    """Where a page starts: after this value (``None``: at the beginning)."""

    value: Any = None


class _LastSortValue:
    """Conversations page on: the next page starts after the last conversation's sort value."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def first(self) -> _After:
        return _After()

    def next(self, cursor: _After, page: Page[Any]) -> _After | None:
        last = page.items[-1].get("sort") if page.items else None
        if len(page.items) < self.limit or not isinstance(last, list) or not last:
            return None
        return _After(last[0])


class _LastMessageId:
    """Messages page on by ``lastMessageId`` while GHL says ``nextPage``."""

    def first(self) -> _After:
        return _After()

    def next(self, cursor: _After, page: Page[Any]) -> _After | None:
        if not page.meta.get("nextPage") or not page.meta.get("lastMessageId"):
            return None
        return _After(str(page.meta["lastMessageId"]))
