"""The tracking stage run by ``leadflow serve`` and ``leadflow worker``: the worker with re-scoring wired in,
the reconcile timer, and the keeper of the Zoho notification channel."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Engine

from leadflow.config import Settings
from leadflow.errors import LeadflowError
from leadflow.ghl import GhlClient
from leadflow.log import get_logger
from leadflow.pipeline.ghl_sync import ghl_configured
from leadflow.pipeline.score import run_score_stage
from leadflow.store.runs import utcnow
from leadflow.tracking.channels import ChannelKeeper, channel_token
from leadflow.tracking.reconcile import Reconciler, ReconcileTally
from leadflow.tracking.worker import TrackingWorker
from leadflow.zoho import ZohoClient

RESCORE_EVERY_SECONDS = 2.0  # re-scores are debounced: a burst of events costs one scoring run


class DebouncedRescore:
    """Re-scores (every golden record, through the score stage) at most once per ``interval`` seconds; people
    whose events arrived in between are covered by the next run, which ``flush`` forces."""

    def __init__(self, engine: Engine, settings: Settings, *, interval: float = RESCORE_EVERY_SECONDS) -> None:
        self.engine = engine
        self.settings = settings
        self.interval = interval
        self.pending: set[str] = set()
        self.runs = 0
        self._last = 0.0
        self._lock = threading.Lock()

    def __call__(self, people: set[str]) -> None:
        with self._lock:
            self.pending |= people
            if time.monotonic() - self._last >= self.interval:
                self._run()

    def flush(self) -> None:
        with self._lock:
            if self.pending:
                self._run()

    def _run(self) -> None:
        run_score_stage(self.engine, self.settings)
        self.runs += 1
        self.pending.clear()
        self._last = time.monotonic()


def tracking_worker(
    engine: Engine, settings: Settings, *, worker_id: str | None = None
) -> tuple[TrackingWorker, DebouncedRescore]:
    """A worker whose affected people are re-scored (debounced)."""
    rescore = DebouncedRescore(engine, settings)
    return TrackingWorker(engine, rescore=rescore, worker_id=worker_id, lease=timedelta(minutes=2)), rescore


def start_worker_thread(engine: Engine, settings: Settings) -> tuple[threading.Thread, threading.Event]:
    """The in-process worker of ``leadflow serve``: a daemon thread stopped by setting the returned event."""
    worker, rescore = tracking_worker(engine, settings)
    stop = threading.Event()

    def loop() -> None:
        worker.run_forever(stop)
        rescore.flush()

    thread = threading.Thread(target=loop, name="leadflow-tracking-worker", daemon=True)
    thread.start()
    return thread, stop


def zoho_configured(settings: Settings) -> bool:
    """Whether ``[zoho]`` names a way in (an OAuth app, an auth proxy, or a static token).

    Example:
        >>> zoho_configured(Settings())
        False
    """
    zs = settings.zoho
    if zs.auth == "oauth":
        return bool(zs.client_id)
    if zs.auth == "proxy":
        return bool(zs.api_base_url)
    return True


def service_url(settings: Settings, host: str, port: int) -> str:
    """Where Zoho and GHL reach the service: ``[tracking] public_url``, else the bound address."""
    configured = settings.tracking.public_url.rstrip("/")
    if configured:
        return configured
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{shown}:{port}"


@contextmanager
def reconciler(settings: Settings, engine: Engine) -> Iterator[Reconciler]:
    """A reconciler over whichever of GHL and Zoho are configured (their clients closed at the end)."""
    tracking = settings.tracking
    with ExitStack() as stack:
        conversations = None
        modules = {}
        if ghl_configured(settings):
            ghl = GhlClient.from_settings(settings, engine)
            stack.callback(ghl.close)
            conversations = ghl.conversations
        if zoho_configured(settings):
            zoho = stack.enter_context(ZohoClient.from_settings(settings, engine))
            modules = {"Deals": zoho.deals, "Leads": zoho.leads, "Contacts": zoho.contacts}
        yield Reconciler(
            engine,
            conversations=conversations,
            zoho_modules=modules,
            overlap=timedelta(seconds=tracking.reconcile_overlap_seconds),
            first_lookback=timedelta(hours=tracking.reconcile_first_lookback_hours),
        )


def run_reconcile(settings: Settings, engine: Engine, *, since: datetime | None = None) -> ReconcileTally:
    """One reconcile pass (``leadflow track reconcile``)."""
    if not ghl_configured(settings) and not zoho_configured(settings):
        raise LeadflowError("nothing to reconcile: neither [ghl] nor [zoho] is configured")
    with reconciler(settings, engine) as polling:
        return polling.run(since)


def start_reconcile_thread(engine: Engine, settings: Settings) -> tuple[threading.Thread, threading.Event] | None:
    """The reconcile timer of ``leadflow serve`` (``[tracking] reconcile_every_seconds``; ``None`` when 0)."""
    every = settings.tracking.reconcile_every_seconds
    if every <= 0 or not (ghl_configured(settings) or zoho_configured(settings)):
        return None
    log = get_logger(__name__)
    stop = threading.Event()

    def loop() -> None:
        with reconciler(settings, engine) as polling:
            while not stop.wait(every):
                try:
                    tally = polling.run()
                except LeadflowError as exc:  # a vendor or store outage: the cursor stayed put, try next time
                    log.warning("tracking.reconcile_failed", error=str(exc))
                    continue
                log.info("tracking.reconcile", ghl_new=tally.ghl_new, zoho_new=tally.zoho_new)

    thread = threading.Thread(target=loop, name="leadflow-reconcile", daemon=True)
    thread.start()
    return thread, stop


def channel_keeper(
    settings: Settings,
    engine: Engine,
    zoho: ZohoClient,
    notify_base: str,
    *,
    clock: Callable[[], datetime] | None = None,
) -> ChannelKeeper:
    """The keeper of ``[tracking] zoho_channel_id``, notifying ``<notify_base>/webhooks/zoho``."""
    tracking = settings.tracking
    configured = tracking.zoho_channel_token.get_secret_value() if tracking.zoho_channel_token else None
    token = channel_token(engine, tracking.zoho_channel_id, configured)
    return ChannelKeeper(
        zoho.watch,
        tracking.zoho_channel_id,
        f"{notify_base.rstrip('/')}/webhooks/zoho",
        token,
        renew_fraction=tracking.zoho_channel_renew_fraction,
        clock=clock or utcnow,
    )


def start_channel_thread(
    engine: Engine, settings: Settings, notify_base: str
) -> tuple[threading.Thread, threading.Event] | None:
    """Keep the Zoho channel enabled and renewed while ``leadflow serve`` runs (``None`` when no channel id or
    no Zoho is configured). The token is settled before this returns, so the intake knows it at once."""
    if not settings.tracking.zoho_channel_id or not zoho_configured(settings):
        return None
    zoho = ZohoClient.from_settings(settings, engine)
    keeper = channel_keeper(settings, engine, zoho, notify_base)
    stop = threading.Event()

    def loop() -> None:
        try:
            keeper.run_forever(stop)
        finally:
            zoho.close()

    thread = threading.Thread(target=loop, name="leadflow-zoho-channel", daemon=True)
    thread.start()
    return thread, stop
