"""Webhook intake: ``POST /webhooks/ghl``, ``/webhooks/zoho``, ``/webhooks/zoho/workflow``, and ``GET /metrics``
(Prometheus text). Each delivery is committed to the store before its 2xx goes out.

The three webhook paths are served by :class:`WebhookIntake`, plain ASGI in front of the app's routing: a delivery
needs no dependency injection, body model or exception mapping, and that machinery cost more per request than
checking the signature. A delivery is checked on the event loop (size, signature, JSON: no I/O) and its commit is
awaited, shared with the deliveries arriving meanwhile; no thread is held per request."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadflow.config import Settings
from leadflow.ghl.webhooks import GHL_ED25519_PUBLIC_KEY, GHL_RSA_PUBLIC_KEY, SignatureVerifier
from leadflow.runtime import Runtime
from leadflow.store import tracking as repo
from leadflow.store.runs import utcnow
from leadflow.tracking.intake import Answer, Intake

router = APIRouter()


class IntakeService:
    """The app's one intake, built on first use (the store opens lazily), with its saturation guard."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.slots = threading.BoundedSemaphore(runtime.settings.tracking.max_concurrent_intake)
        self._intake: Intake | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        """Commit the deliveries still waiting and stop the intake's writer (the app is shutting down)."""
        with self._lock:
            if self._intake is not None:
                self._intake.close()
                self._intake = None

    @property
    def intake(self) -> Intake:
        with self._lock:
            if self._intake is None:
                self._intake = self._build()
            return self._intake

    def _build(self) -> Intake:
        settings: Settings = self.runtime.settings
        tracking, ghl = settings.tracking, settings.ghl
        verifier = SignatureVerifier(
            ed25519_pem=ghl.webhook_public_key or GHL_ED25519_PUBLIC_KEY,
            rsa_pem=ghl.webhook_legacy_public_key or GHL_RSA_PUBLIC_KEY,
        )
        token = tracking.zoho_channel_token.get_secret_value() if tracking.zoho_channel_token else None
        secret = tracking.zoho_workflow_secret.get_secret_value() if tracking.zoho_workflow_secret else None
        return Intake(
            self.runtime.engine,
            verifier,
            tolerance=timedelta(seconds=tracking.webhook_tolerance_seconds),
            max_bytes=tracking.max_body_bytes,
            zoho_channel_tokens={tracking.zoho_channel_id: token} if token and tracking.zoho_channel_id else {},
            zoho_workflow_secret=secret,
        )


def intake_of(request: Request) -> IntakeService:
    """The intake of the app serving ``request`` (made by :func:`leadflow.web.app.create_app`)."""
    service = request.app.state.intake
    assert isinstance(service, IntakeService)
    return service


WEBHOOK_PATHS = {"/webhooks/ghl": "ghl", "/webhooks/zoho": "zoho", "/webhooks/zoho/workflow": "zoho_workflow"}


class WebhookIntake:
    """ASGI middleware answering the webhook paths itself (everything else goes on to ``app``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = WEBHOOK_PATHS.get(scope.get("path", "")) if scope["type"] == "http" else None
        if kind is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] != "POST":
            await _send(send, Answer(405, {"error": "use POST"}), allow="POST")
            return
        service = scope["app"].state.intake
        assert isinstance(service, IntakeService)
        if not service.slots.acquire(blocking=False):
            service.intake.metrics.add("rejected_saturated")
            await _send(send, Answer(429, {"error": "intake saturated, retry shortly"}, retry_after=1))
            return
        try:
            intake = service.intake
            raw = await _body(receive, intake.max_bytes)
            headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
            if kind == "ghl":
                checked = intake.check_ghl(raw, headers)
            elif kind == "zoho":
                checked = intake.check_zoho_notification(raw, headers)
            else:
                params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
                checked = intake.check_zoho_workflow(raw, headers, params)
            await _send(send, await intake.complete_async(checked))
        finally:
            service.slots.release()


async def _body(receive: Receive, limit: int) -> bytes:
    """The request body, read no further than one byte past ``limit`` (enough for the intake to answer 413)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > limit or not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send(send: Send, answer: Answer, *, allow: str | None = None) -> None:
    body = json.dumps(answer.body, separators=(",", ":")).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if answer.retry_after:
        headers.append((b"retry-after", str(answer.retry_after).encode()))
    if allow:
        headers.append((b"allow", allow.encode()))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@router.get("/metrics")
def metrics(service: IntakeService = Depends(intake_of)) -> PlainTextResponse:  # noqa: B008
    counts = service.intake.metrics.snapshot()
    with service.runtime.engine.connect() as connection:
        states = repo.counts(connection)
        oldest = repo.oldest_waiting(connection)
        dead = repo.dead_letter_count(connection)
    lag = (utcnow() - oldest).total_seconds() if oldest else 0.0
    rejected = sum(n for key, n in counts.items() if key.startswith("rejected_"))
    lines = [
        "# HELP leadflow_webhooks_received_total Webhook deliveries received.",
        "# TYPE leadflow_webhooks_received_total counter",
        f"leadflow_webhooks_received_total {counts.get('received', 0)}",
        "# HELP leadflow_webhooks_duplicates_total Deliveries already stored (answered 200, stored once).",
        "# TYPE leadflow_webhooks_duplicates_total counter",
        f"leadflow_webhooks_duplicates_total {counts.get('duplicates', 0)}",
        "# HELP leadflow_webhooks_rejected_total Deliveries refused, by reason.",
        "# TYPE leadflow_webhooks_rejected_total counter",
    ]
    for key in sorted(k for k in counts if k.startswith("rejected_")):
        lines.append(f'leadflow_webhooks_rejected_total{{reason="{key.removeprefix("rejected_")}"}} {counts[key]}')
    if not rejected:
        lines.append('leadflow_webhooks_rejected_total{reason="none"} 0')
    lines += [
        "# HELP leadflow_webhooks_stored Deliveries in the store by state.",
        "# TYPE leadflow_webhooks_stored gauge",
        *(f'leadflow_webhooks_stored{{state="{state}"}} {n}' for state, n in sorted(states.items())),
        "# HELP leadflow_webhooks_processed_total Deliveries processed.",
        "# TYPE leadflow_webhooks_processed_total counter",
        f"leadflow_webhooks_processed_total {states.get(repo.PROCESSED, 0) + states.get(repo.IGNORED, 0)}",
        "# HELP leadflow_webhooks_failed_total Deliveries whose processing failed.",
        "# TYPE leadflow_webhooks_failed_total counter",
        f"leadflow_webhooks_failed_total {states.get(repo.FAILED, 0)}",
        "# HELP leadflow_webhooks_dead_letters Bodies kept as dead letters.",
        "# TYPE leadflow_webhooks_dead_letters gauge",
        f"leadflow_webhooks_dead_letters {dead}",
        "# HELP leadflow_webhooks_lag_seconds Age of the oldest delivery not yet processed.",
        "# TYPE leadflow_webhooks_lag_seconds gauge",
        f"leadflow_webhooks_lag_seconds {lag:.3f}",
    ]
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")
