"""Webhook intake: check a delivery, store it durably (once), and say what to answer — before any processing.

GoHighLevel retries a delivery only after a 429, so an event is safe only once it is committed here: the 2xx
goes out after the commit (concurrent deliveries share one commit: :mod:`leadflow.tracking.group_commit`), and
when the store cannot take a delivery the answer is a 429 with ``Retry-After``, the one answer GHL retries. A
forged, unsigned or stale delivery is refused (401) and stored nowhere; an oversized one is refused (413); a
signed body that is not JSON is refused (400) and kept as a dead letter with the reason. A repeated delivery
(same ``webhookId``) answers 200 and is stored once. An event type leadflow does not use is stored and ignored
later, never an error.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from leadflow.ghl.webhooks import SignatureVerifier
from leadflow.store import kv
from leadflow.store import tracking as repo
from leadflow.store.runs import utcnow
from leadflow.tracking.ghl_events import parse_time, to_events
from leadflow.tracking.group_commit import GroupCommitter
from leadflow.tracking.zoho_events import notification_id, workflow_id

KEPT_HEADERS = ("content-type", "user-agent", "x-ghl-signature", "x-wh-signature", "x-request-id")
STORE_BUSY_RETRY_AFTER = 5  # seconds; the answer when the store cannot take a delivery now


@dataclass(frozen=True)
class Answer:
    """What to send back: a status, a small JSON body, and a ``Retry-After`` for a 429."""

    status: int
    body: dict[str, Any]
    retry_after: int | None = None


@dataclass(frozen=True)
class Accepted:
    """A delivery that passed every check: the row to store, and its vendor id for the answer."""

    row: dict[str, Any]
    vendor_id: str


@dataclass(frozen=True)
class Malformed:
    """A delivery whose body cannot be read: kept as a dead letter with the reason, answered 400."""

    source: str
    reason: str
    headers: dict[str, str]
    raw: bytes
    answer: Answer


Checked = Answer | Accepted | Malformed
"""What checking a delivery gives: a refusal to send as it is, a row to store, or a dead letter to keep."""


@dataclass
class IntakeMetrics:
    """Counters for ``/metrics``: received, stored, duplicates, rejected by reason."""

    counts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, key: str) -> None:
        with self.lock:
            self.counts[key] += 1

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return dict(self.counts)


class Intake:
    """Checks and stores deliveries from GoHighLevel and Zoho.

    Each ``receive_*`` checks a delivery (``check_*``, no I/O) and then stores it and answers (:meth:`complete`,
    blocking; :meth:`complete_async` from the event loop).

    Example:
        >>> from leadflow.store import open_store
        >>> intake = Intake(open_store("sqlite://"), SignatureVerifier())
        >>> intake.receive_ghl(b"{}", {}).status
        401
    """

    def __init__(
        self,
        engine: Engine,
        verifier: SignatureVerifier,
        *,
        tolerance: timedelta = timedelta(minutes=5),
        max_bytes: int = 1_000_000,
        zoho_channel_tokens: Mapping[str, str] | None = None,
        zoho_workflow_secret: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.verifier = verifier
        self.tolerance = tolerance
        self.max_bytes = max_bytes
        self.zoho_channel_tokens = dict(zoho_channel_tokens or {})
        self.zoho_workflow_secret = zoho_workflow_secret
        self.clock = clock
        self.metrics = IntakeMetrics()
        self.writer = GroupCommitter(engine)

    def close(self) -> None:
        """Commit what is waiting and stop the writer."""
        self.writer.close()

    def receive_ghl(self, raw: bytes, headers: Mapping[str, str]) -> Answer:
        return self.complete(self.check_ghl(raw, headers))

    def receive_zoho_notification(self, raw: bytes, headers: Mapping[str, str]) -> Answer:
        return self.complete(self.check_zoho_notification(raw, headers))

    def receive_zoho_workflow(self, raw: bytes, headers: Mapping[str, str], params: Mapping[str, str]) -> Answer:
        return self.complete(self.check_zoho_workflow(raw, headers, params))

    # --- GoHighLevel ---------------------------------------------------------------------------------------

    def check_ghl(self, raw: bytes, headers: Mapping[str, str]) -> Checked:
        self.metrics.add("received")
        if len(raw) > self.max_bytes:
            return self._reject("too_large", 413, f"body over {self.max_bytes:,} bytes")
        verdict = self.verifier.verify(raw, headers)
        if not verdict.ok:
            return self._reject("bad_signature", 401, verdict.reason)
        body = self._json(raw, headers, "ghl")
        if isinstance(body, Malformed):
            return body
        sent_at = parse_time(body.get("timestamp"))
        if sent_at is None:
            return self._reject("stale", 401, "no timestamp in the body")
        if abs(self.clock() - sent_at) > self.tolerance:
            return self._reject("stale", 401, f"timestamp {sent_at.isoformat()} is outside the tolerance")
        events = to_events(body, raw)
        first = events[0]
        return self._accept(
            "ghl",
            first.vendor_event_id,
            str(body.get("type") or "unknown"),
            first.ghl_contact_id or first.email,
            headers,
            raw,
        )

    # --- Zoho ----------------------------------------------------------------------------------------------

    def check_zoho_notification(self, raw: bytes, headers: Mapping[str, str]) -> Checked:
        """A notification of a channel enabled with ``actions/watch``; its ``token`` must match the channel's."""
        self.metrics.add("received")
        if len(raw) > self.max_bytes:
            return self._reject("too_large", 413, f"body over {self.max_bytes:,} bytes")
        body = self._json(raw, headers, "zoho")
        if isinstance(body, Malformed):
            return body
        channel = str(body.get("channel_id") or "")
        expected = self.zoho_channel_tokens.get(channel)
        if expected is None or not hmac.compare_digest(str(body.get("token") or ""), expected):
            return self._reject("bad_token", 401, "unknown channel or wrong channel token")
        ids = body.get("ids") or []
        key = f"{body.get('module')}:{ids[0]}" if isinstance(ids, list) and len(ids) == 1 else None
        return self._accept(
            "zoho", notification_id(body), f"{body.get('module')}.{body.get('operation')}", key, headers, raw
        )

    def check_zoho_workflow(self, raw: bytes, headers: Mapping[str, str], params: Mapping[str, str]) -> Checked:
        """A workflow-rule webhook configured in Zoho's UI: JSON or form fields, the shared secret as the
        ``X-Leadflow-Secret`` header or a ``secret`` parameter."""
        self.metrics.add("received")
        if len(raw) > self.max_bytes:
            return self._reject("too_large", 413, f"body over {self.max_bytes:,} bytes")
        given = _header(headers, "x-leadflow-secret") or params.get("secret") or ""
        if not self.zoho_workflow_secret or not hmac.compare_digest(given, self.zoho_workflow_secret):
            return self._reject("bad_secret", 401, "missing or wrong shared secret")
        fields = self._fields(raw, headers, params)
        if isinstance(fields, Malformed):
            return fields
        key = f"{fields.get('module')}:{fields.get('id')}" if fields.get("id") else None
        return self._accept(
            "zoho_workflow",
            workflow_id(fields, raw),
            str(fields.get("module") or "record"),
            key,
            headers,
            json.dumps(fields, sort_keys=True).encode(),
        )

    # --- shared --------------------------------------------------------------------------------------------

    def complete(self, checked: Checked) -> Answer:
        """Store what ``checked`` holds (waiting for its commit) and say what to answer."""
        if isinstance(checked, Answer):
            return checked
        if isinstance(checked, Malformed):
            self._dead(checked)
            return checked.answer
        try:
            new = self.writer.store(checked.row)
        except Exception:  # the store could not take it: GHL retries a 429, so nothing is lost
            return self._store_unavailable()
        return self._stored(checked, new)

    async def complete_async(self, checked: Checked) -> Answer:
        """:meth:`complete` for the event loop: the commit is awaited, not waited for on a thread."""
        if isinstance(checked, Answer):
            return checked
        if isinstance(checked, Malformed):
            await asyncio.to_thread(self._dead, checked)
            return checked.answer
        try:
            new = await self.writer.stored(checked.row)
        except Exception:  # the store could not take it: GHL retries a 429, so nothing is lost
            return self._store_unavailable()
        return self._stored(checked, new)

    def _stored(self, accepted: Accepted, new: bool) -> Answer:
        self.metrics.add("stored" if new else "duplicates")
        return Answer(200, {"status": "stored" if new else "duplicate", "id": accepted.vendor_id})

    def _store_unavailable(self) -> Answer:
        self.metrics.add("rejected_store_unavailable")
        return Answer(429, {"error": "the store cannot take deliveries now, retry shortly"}, STORE_BUSY_RETRY_AFTER)

    def _accept(
        self,
        source: str,
        vendor_id: str,
        event_type: str,
        contact_key: str | None,
        headers: Mapping[str, str],
        raw: bytes,
    ) -> Accepted:
        row = repo.delivery_row(
            source=source,
            vendor_event_id=vendor_id,
            event_type=event_type,
            contact_key=contact_key,
            headers=_kept(headers),
            body=raw,
        )
        return Accepted(row, vendor_id)

    def _json(self, raw: bytes, headers: Mapping[str, str], source: str) -> dict[str, Any] | Malformed:
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, ValueError) as exc:
            return self._malformed(source, f"malformed JSON: {exc}", headers, raw, "body is not a JSON object")
        if not isinstance(body, dict):
            reason = f"JSON {type(body).__name__}, not an object"
            return self._malformed(source, reason, headers, raw, "body is not a JSON object")
        return body

    def _fields(self, raw: bytes, headers: Mapping[str, str], params: Mapping[str, str]) -> dict[str, Any] | Malformed:
        content_type = _header(headers, "content-type") or ""
        if "json" in content_type or raw.lstrip().startswith(b"{"):
            body = self._json(raw, headers, "zoho_workflow")
            if isinstance(body, Malformed):
                return Malformed(body.source, body.reason, body.headers, body.raw, _NEITHER)
            return body
        from urllib.parse import parse_qsl

        try:
            pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw))
        except (UnicodeDecodeError, ValueError) as exc:
            return self._malformed("zoho_workflow", f"unreadable form: {exc}", headers, raw, _NEITHER.body["error"])
        fields: dict[str, Any] = {k: v for k, v in params.items() if k != "secret"}
        fields.update({k: v for k, v in pairs if k != "secret"})
        return fields

    def _malformed(self, source: str, reason: str, headers: Mapping[str, str], raw: bytes, error: str) -> Malformed:
        self.metrics.add("rejected_malformed")
        return Malformed(source, reason, _kept(headers), raw, Answer(400, {"error": error}))

    def _dead(self, malformed: Malformed) -> None:
        with self.engine.begin() as connection:
            repo.store_dead_letter(
                connection,
                source=malformed.source,
                reason=malformed.reason,
                headers=malformed.headers,
                body=malformed.raw,
            )

    def _reject(self, reason: str, status: int, message: str) -> Answer:
        self.metrics.add(f"rejected_{reason}")
        return Answer(status, {"error": message})


@dataclass(frozen=True)
class PolledDelivery:
    """What ``leadflow track reconcile`` found that a webhook may have missed, in the webhook's own shape and
    with the id its webhook would carry (so the two are stored once, whichever comes first)."""

    source: str
    vendor_event_id: str
    event_type: str
    contact_key: str | None
    body: Mapping[str, Any]


def store_polled(engine: Engine, deliveries: Sequence[PolledDelivery], *, cursor_key: str, cursor: Any) -> int:
    """Store what a poll found and advance its cursor in one transaction (a crash before the commit leaves the
    cursor where it was, so the next poll reads the same records again); the number of new deliveries."""
    new = 0
    with engine.begin() as connection:
        for delivery in deliveries:
            new += repo.store_delivery(
                connection,
                source=delivery.source,
                vendor_event_id=delivery.vendor_event_id,
                event_type=delivery.event_type,
                contact_key=delivery.contact_key,
                headers={"x-leadflow-origin": "reconcile"},
                body=json.dumps(dict(delivery.body), sort_keys=True, default=str).encode(),
            )
        kv.set_value(connection, key=cursor_key, value=cursor)
    return new


_NEITHER = Answer(400, {"error": "body is neither JSON nor a form"})


def _kept(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in ((n, _header(headers, n)) for n in KEPT_HEADERS) if value}


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None
