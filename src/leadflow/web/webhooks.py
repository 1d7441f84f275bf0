"""Webhook intake routes: ``POST /webhooks/ghl``, ``/webhooks/zoho``, ``/webhooks/zoho/workflow``, and
``GET /metrics`` (Prometheus text). Each delivery is committed to the store before its 2xx goes out.

A delivery is checked on the event loop (signature, size, JSON: tens of microseconds, no I/O) and its commit is
awaited, shared with the deliveries arriving meanwhile; no thread is held per request."""

from __future__ import annotations

import threading
from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

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


def _respond(answer: Answer) -> Response:
    headers = {"Retry-After": str(answer.retry_after)} if answer.retry_after else None
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


async def _guarded(service: IntakeService, request: Request, receive: str) -> Response:
    if not service.slots.acquire(blocking=False):
        service.intake.metrics.add("rejected_saturated")
        return _respond(Answer(429, {"error": "intake saturated, retry shortly"}, retry_after=1))
    try:
        raw = await request.body()
        headers = dict(request.headers)
        intake = service.intake
        if receive == "ghl":
            checked = intake.check_ghl(raw, headers)
        elif receive == "zoho":
            checked = intake.check_zoho_notification(raw, headers)
        else:
            checked = intake.check_zoho_workflow(raw, headers, dict(request.query_params))
        return _respond(await intake.complete_async(checked))
    finally:
        service.slots.release()


# Plain Starlette routes: a webhook needs no dependency injection or body model, and FastAPI's per-request
# machinery for them costs about as much as checking the signature.
async def ghl_webhook(request: Request) -> Response:
    return await _guarded(intake_of(request), request, "ghl")


async def zoho_notification(request: Request) -> Response:
    return await _guarded(intake_of(request), request, "zoho")


async def zoho_workflow(request: Request) -> Response:
    return await _guarded(intake_of(request), request, "zoho_workflow")


router.add_route("/webhooks/ghl", ghl_webhook, methods=["POST"], include_in_schema=False)
router.add_route("/webhooks/zoho", zoho_notification, methods=["POST"], include_in_schema=False)
router.add_route("/webhooks/zoho/workflow", zoho_workflow, methods=["POST"], include_in_schema=False)


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
