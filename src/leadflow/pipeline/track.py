"""The tracking stage run by ``leadflow serve`` and ``leadflow worker``: the worker, the runner of the actions its
events queue in Zoho, the reconcile timer, the keeper of the Zoho notification channel, and for the people its
events touched an incremental re-score and a sync of those people alone (debounced per person).

A person waits until no event of theirs arrived for ``[tracking] rescore_delay_seconds`` (at most
``rescore_max_delay_seconds`` after the first), so a burst of events costs one re-score and one sync. The re-score
(:func:`leadflow.pipeline.score.rescore_people`) leaves them as a full score run would; the sync plans only them
and goes through the sync engine's outbox, so it is exactly-once and resumable like any sync (a run that stops
half way leaves its operations pending, and the next run of either kind sends them). Who waits, for a re-score or
for a sync, is kept in the store (``kv``, one key a person) as well: a worker that restarts takes them up, and
the move from "re-score" to "sync" is written in the re-score's own transaction.

New kinds of action plug in here: a planner in :func:`action_planners` (event -> actions, run in the worker's
transaction) and a handler in :func:`action_registry` (how to perform one, how to find an earlier attempt).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Connection, Engine

from leadflow.config import Settings
from leadflow.errors import ConfigError, LeadflowError
from leadflow.ghl import GhlClient
from leadflow.http.retry import RetryPolicy
from leadflow.log import get_logger
from leadflow.pipeline.ghl_sync import ghl_configured, ghl_sync
from leadflow.pipeline.score import compile_configured_segments, rescore_people
from leadflow.pipeline.sync import zoho_sync
from leadflow.reporting.facts import refresh_report_facts
from leadflow.store import kv
from leadflow.store.runs import utcnow
from leadflow.store.secrets import SecretBox
from leadflow.sync.runner import SyncReport
from leadflow.tracking.actions import (
    ActionContext,
    ActionPlanner,
    ActionRegistry,
    ActionRow,
    ActionRunner,
    ActionTally,
)
from leadflow.tracking.actions import RetryPolicy as ActionRetryPolicy
from leadflow.tracking.channel_tokens import channel_token
from leadflow.tracking.channels import ChannelKeeper
from leadflow.tracking.reconcile import Reconciler, ReconcileTally
from leadflow.tracking.rules import CONVERT, rules_planner
from leadflow.tracking.stages import ConvertAndLink, StageMap, stage_handlers, stage_planner
from leadflow.tracking.worker import TrackingWorker, WorkerTally
from leadflow.tracking.zoho_actions import zoho_handlers
from leadflow.zoho.client import ClientOptions, ZohoClient

# The action runner has its own backoff and moves on to other actions meanwhile: a failing call is given up
# sooner than the transport's default, so it holds up one thread for less.
ACTION_RETRY = RetryPolicy(max_attempts=3, base_delay=0.2, max_delay=2.0)
SYNC_LOCK_WAIT_SECONDS = 30.0  # a full `leadflow sync` may hold a target; the targeted one waits its turn
WAITING_KEY = "tracking.waiting:"  # + golden id -> "score" (a re-score is due) or "sync" (its sync is due)


@dataclass
class TargetedSync:
    """Syncs some people to the configured targets (Zoho; GoHighLevel when ``[ghl]`` is set), Zoho first.

    ``http_clients`` (by target) replace the clients' own HTTP connections, for tests.
    """

    engine: Engine
    settings: Settings
    http_clients: dict[str, httpx.Client] = field(default_factory=dict)

    def targets(self) -> list[str]:
        zoho = self.settings.zoho
        names = ["zoho"] if zoho.client_id or zoho.access_token or zoho.auth == "proxy" else []
        return [*names, "ghl"] if ghl_configured(self.settings) else names

    def __call__(self, golden_ids: Collection[str]) -> dict[str, SyncReport]:
        reports: dict[str, SyncReport] = {}
        for name in self.targets():
            runner_of = ghl_sync if name == "ghl" else zoho_sync
            with runner_of(
                self.settings, self.engine, http_client=self.http_clients.get(name), golden_ids=golden_ids
            ) as runner:
                reports[name] = runner.run(wait=SYNC_LOCK_WAIT_SECONDS)
        return reports


class DebouncedRescore:
    """People whose events arrived, re-scored (and synced, when ``sync`` is given) once their burst is over.

    Call it with the people a worker batch touched; call :meth:`tick` often (the tracking loop does) to handle
    those who are due; :meth:`flush` handles everyone waiting now. A failed re-score or sync keeps the people
    waiting for the next tick (the sync's own outbox keeps what it had sent). People left waiting by an earlier
    worker (its process ended) are taken up on the first tick, as due at once.
    """

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        sync: Callable[[Collection[str]], dict[str, SyncReport]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.sync = sync
        self.clock = clock
        self.delay = settings.tracking.rescore_delay_seconds
        self.max_delay = max(settings.tracking.rescore_max_delay_seconds, self.delay)
        self.compiled = compile_configured_segments(settings)
        self.runs = 0
        self.syncs = 0
        self.rescored: set[str] = set()  # everyone re-scored over this object's life (for reports and tests)
        self.last_sync: dict[str, SyncReport] = {}
        self._first: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._to_sync: set[str] = set()
        self._recovered = False
        self._lock = threading.Lock()
        self.log = get_logger(__name__)

    @property
    def pending(self) -> set[str]:
        """People waiting for a re-score."""
        with self._lock:
            return set(self._first)

    def __call__(self, people: set[str]) -> None:
        now = self.clock()
        with self._lock:
            new = {person for person in people if person not in self._first}
            for person in people:
                self._first.setdefault(person, now)
                self._last[person] = now
        if new:  # kept in the store too, so a restarted worker takes them up
            with self.engine.begin() as connection:
                kv.set_values(connection, values={f"{WAITING_KEY}{person}": "score" for person in new})

    def seconds_to_next(self) -> float | None:
        """How long until someone is due (0: now), or None when nobody waits."""
        with self._lock:
            if self._to_sync:
                return 0.0
            if not self._first:
                return None
            now = self.clock()
            return max(
                0.0,
                min(min(self._last[p] + self.delay, self._first[p] + self.max_delay) - now for p in self._first),
            )

    def tick(self) -> int:
        """Re-score (and sync) the people who are due; how many were re-scored."""
        self._recover()
        now = self.clock()
        with self._lock:
            due = {
                person
                for person, first in self._first.items()
                if now - self._last[person] >= self.delay or now - first >= self.max_delay
            }
        return self._handle(due)

    def flush(self) -> int:
        """Re-score (and sync) everyone waiting, due or not."""
        self._recover()
        with self._lock:
            due = set(self._first)
        return self._handle(due)

    def _handle(self, due: set[str]) -> int:
        if due:
            try:
                outcome = rescore_people(
                    self.engine, self.settings, due, compiled=self.compiled, on_written=self._rescored(due)
                )
            except Exception as exc:  # the store or a lock: they stay waiting, the next tick tries again
                self.log.warning("tracking.rescore_failed", people=len(due), error=str(exc))
                return 0
            with self._lock:
                for person in due:
                    self._first.pop(person, None)
                    self._last.pop(person, None)
                if self._syncing():
                    self._to_sync |= outcome.changed
            self.runs += 1
            self.rescored |= due
            self.log.info("tracking.rescored", people=len(due), changed=len(outcome.changed))
        self._push()
        return len(due)

    def _push(self) -> None:
        with self._lock:
            people = set(self._to_sync)
        if not people or self.sync is None:
            return
        try:
            reports = self.sync(people)
        except Exception as exc:  # a target unreachable or locked: sent operations stay in the outbox
            self.log.warning("tracking.sync_failed", people=len(people), error=str(exc))
            return
        unfinished = [
            f"{name}: {report.stopped or f'{report.open_after} operations unanswered'}"
            for name, report in reports.items()
            if report.stopped or report.open_after
        ]
        if unfinished:  # a budget ran out or answers were lost: the outbox keeps them; these people go again
            self.log.warning("tracking.sync_unfinished", people=len(people), reasons="; ".join(unfinished))
            return
        with self.engine.begin() as connection:
            kv.delete_values(connection, keys=[f"{WAITING_KEY}{person}" for person in people])
        with self._lock:
            self._to_sync -= people
        self.syncs += 1
        self.last_sync = reports

    def _syncing(self) -> bool:
        return self.sync is not None and self.settings.tracking.sync_after_rescore

    def _rescored(self, due: set[str]) -> Callable[[Connection, frozenset[str]], None]:
        """What the re-score's transaction records: the changed wait for their sync, the others wait no more."""

        def record(connection: Connection, changed: frozenset[str]) -> None:
            to_sync = changed if self._syncing() else frozenset()
            kv.delete_values(connection, keys=[f"{WAITING_KEY}{person}" for person in due - to_sync])
            kv.set_values(connection, values={f"{WAITING_KEY}{person}": "sync" for person in to_sync})

        return record

    def _recover(self) -> None:
        """Once: take up the people an earlier worker left waiting (due now)."""
        if self._recovered:
            return
        try:
            with self.engine.connect() as connection:
                waiting = kv.values_with_prefix(connection, prefix=WAITING_KEY)
        except Exception as exc:  # the store is not reachable yet: try again on the next tick
            self.log.warning("tracking.recover_failed", error=str(exc))
            return
        self._recovered = True
        due_at = self.clock() - self.max_delay
        with self._lock:
            for key, phase in waiting.items():
                person = key.removeprefix(WAITING_KEY)
                if phase == "sync" and self._syncing():
                    self._to_sync.add(person)
                else:
                    self._first.setdefault(person, due_at)
                    self._last.setdefault(person, due_at)
        if waiting:
            self.log.info("tracking.recovered_waiting", people=len(waiting))


def action_planners(settings: Settings) -> list[ActionPlanner]:
    """What turns stored events into actions: ``[tracking.rules]`` and ``[tracking.stages]`` (add a planner
    here for a new kind)."""
    return [rules_planner(settings.tracking.rules), stage_planner(settings.tracking.stages)]


def action_registry(settings: Settings) -> ActionRegistry:
    """The handler of every kind of action (register a new kind's handler here): the Zoho handlers, the
    conversion also giving its Deal a GHL opportunity, and the stage moves both ways."""
    registry = ActionRegistry()
    for handler in zoho_handlers(settings.tracking.rules):
        registry.register(ConvertAndLink(handler, settings.tracking.stages) if handler.kind == CONVERT else handler)
    for handler in stage_handlers(settings.tracking.stages):
        registry.register(handler)
    return registry


def tracking_worker(
    engine: Engine,
    settings: Settings,
    *,
    worker_id: str | None = None,
    http_clients: Mapping[str, httpx.Client] | None = None,
) -> tuple[TrackingWorker, DebouncedRescore]:
    """A worker whose events queue their actions and whose affected people are re-scored, and synced when
    ``[tracking] sync_after_rescore`` is on (``http_clients`` by target: for tests)."""
    sync = TargetedSync(engine, settings, dict(http_clients or {})) if settings.tracking.sync_after_rescore else None
    rescore = DebouncedRescore(engine, settings, sync=sync)
    worker = TrackingWorker(
        engine,
        rescore=rescore,
        planners=action_planners(settings),
        worker_id=worker_id,
        lease=timedelta(seconds=settings.tracking.lease_seconds),
    )
    return worker, rescore


def action_runner(
    engine: Engine,
    settings: Settings,
    zoho: ZohoClient,
    *,
    rescore: DebouncedRescore | None = None,
    worker_id: str | None = None,
    services: Mapping[str, Any] | None = None,
) -> ActionRunner:
    """The runner of queued actions; a batch holding a conversion first brings pending re-scores up to date
    (the grade decides it)."""

    def fresh_scores(actions: Sequence[ActionRow]) -> None:
        if rescore is not None and any(a.kind == CONVERT and a.golden_person_id in rescore.pending for a in actions):
            rescore.flush()

    t = settings.tracking
    return ActionRunner(
        engine,
        action_registry(settings),
        ActionContext(engine, zoho, dict(services or {})),
        worker_id=worker_id,
        lease=timedelta(seconds=t.lease_seconds),
        settle=timedelta(seconds=t.uncertain_settle_seconds),
        policy=ActionRetryPolicy(max_attempts=t.action_max_attempts, base_seconds=t.action_retry_seconds),
        before_batch=fresh_scores,
        concurrency=t.action_concurrency,
    )


@dataclass
class TrackingProcess:
    """A worker process's tracking loop: store events (queueing their actions), re-score, perform actions."""

    worker: TrackingWorker
    rescore: DebouncedRescore
    runner: ActionRunner | None  # None: Zoho is not configured (``zoho_problem`` says why); actions wait queued
    zoho: ZohoClient | None
    zoho_problem: str | None = None
    events: WorkerTally = field(default_factory=WorkerTally)
    actions: ActionTally = field(default_factory=ActionTally)
    owned: list[GhlClient] = field(default_factory=list)  # clients made for this process, closed with it

    def run_once(self, limit: int = 500) -> int:
        """One batch of events, the re-scores (and syncs) due, then one batch of actions; how many events or
        actions were claimed."""
        tally = self.worker.run_once(limit)
        self.events.add(tally)
        self.rescore.tick()
        # New events and re-scores reach the report facts here, a batch at a time; a full rebuild (after a
        # resolve) is left to the next stage or report that refreshes.
        refresh_report_facts(self.worker.engine, incremental_only=True)
        if self.runner is None:
            return tally.claimed
        done = self.runner.run_once(min(limit, 100))
        self.actions.add(done)
        return tally.claimed + done.claimed

    def drain(self) -> None:
        """Every waiting event, then every due action."""
        self.events.add(self.worker.drain())
        self.rescore.flush()
        if self.runner is not None:
            self.actions.add(self.runner.drain())

    def run_forever(self, stop: threading.Event, *, idle_seconds: float = 0.5) -> None:
        log = get_logger(__name__)
        while not stop.is_set():
            try:
                claimed = self.run_once()
            except Exception as exc:  # a store or network hiccup must not end the service; leases hand work on
                log.warning("tracking.loop_error", error=str(exc))
                stop.wait(idle_seconds)
                continue
            if claimed == 0:
                due_in = self.rescore.seconds_to_next()
                stop.wait(idle_seconds if due_in is None else min(idle_seconds, due_in))
        self.rescore.flush()

    def close(self) -> None:
        if self.zoho is not None:
            self.zoho.close()
        for client in self.owned:
            client.close()


def tracking_process(
    engine: Engine,
    settings: Settings,
    *,
    http_client: httpx.Client | None = None,
    worker_id: str | None = None,
    services: Mapping[str, Any] | None = None,
) -> TrackingProcess:
    """The worker and the action runner of one process (``http_client`` lets tests talk to an emulator).

    Without Zoho credentials the events are still stored and scored; their actions wait in the outbox (the
    process's ``zoho_problem`` says why) until a worker with credentials performs them.
    """
    clients = {"zoho": http_client} if http_client is not None else None
    worker, rescore = tracking_worker(engine, settings, worker_id=worker_id, http_clients=clients)
    try:
        zoho = ZohoClient.from_settings(settings, engine, http_client, options=ClientOptions(retry=ACTION_RETRY))
    except ConfigError as exc:
        get_logger(__name__).warning("tracking.no_zoho", reason=str(exc))
        return TrackingProcess(worker, rescore, None, None, zoho_problem=str(exc))
    given = dict(services or {})
    owned: list[GhlClient] = []
    if "ghl" not in given and ghl_configured(settings):  # stage moves and opportunities write to GHL
        owned.append(GhlClient.from_settings(settings, engine))
        given["ghl"] = owned[0]
    runner = action_runner(engine, settings, zoho, rescore=rescore, worker_id=worker_id, services=given)
    return TrackingProcess(worker, rescore, runner, zoho, owned=owned)


def start_worker_thread(engine: Engine, settings: Settings) -> tuple[threading.Thread, threading.Event]:
    """The in-process worker of ``leadflow serve``: a daemon thread stopped by setting the returned event."""
    process = tracking_process(engine, settings)
    stop = threading.Event()

    def loop() -> None:
        try:
            process.run_forever(stop)
        finally:
            process.close()

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
        opportunities = None
        pipeline_ids: list[str] = []
        modules = {}
        if ghl_configured(settings):
            ghl = GhlClient.from_settings(settings, engine)
            stack.callback(ghl.close)
            conversations = ghl.conversations
            if tracking.stages.pipelines:  # linked opportunities' stages are compared too
                opportunities = ghl.opportunities
                stage_map = StageMap(tracking.stages, ghl.opportunities.pipelines())
                pipeline_ids = [mapped.pipeline_id for mapped in stage_map.pipelines]
        if zoho_configured(settings):
            zoho = stack.enter_context(ZohoClient.from_settings(settings, engine))
            modules = {"Deals": zoho.deals, "Leads": zoho.leads, "Contacts": zoho.contacts}
        yield Reconciler(
            engine,
            conversations=conversations,
            zoho_modules=modules,
            opportunities=opportunities,
            pipeline_ids=pipeline_ids,
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
                except Exception as exc:  # a vendor or store outage must not end the timer; the cursor stayed put
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
    token = channel_token(engine, tracking.zoho_channel_id, configured, SecretBox.optional(settings.secret_key))
    return ChannelKeeper(
        zoho.watch,
        tracking.zoho_channel_id,
        f"{notify_base.rstrip('/')}/webhooks/zoho",
        token,
        renew_fraction=tracking.zoho_channel_renew_fraction,
        clock=clock or utcnow,
    )


def wait_until_listening(health_url: str, stop: threading.Event, *, seconds: float = 120.0) -> bool:
    """Wait until ``health_url`` answers (the web server is up), ``stop`` is set or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    with httpx.Client(timeout=2.0) as client:
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                client.get(health_url)
                return True
            except httpx.HTTPError:
                stop.wait(0.2)
    return False


def start_channel_thread(
    engine: Engine, settings: Settings, notify_base: str, *, health_url: str | None = None
) -> tuple[threading.Thread, threading.Event] | None:
    """Keep the Zoho channel enabled and renewed while ``leadflow serve`` runs (``None`` when no channel id or
    no Zoho is configured). The token is settled before this returns, so the intake knows it at once; the
    channel is enabled once ``health_url`` answers, so no notification is sent before anyone listens."""
    if not settings.tracking.zoho_channel_id or not zoho_configured(settings):
        return None
    zoho = ZohoClient.from_settings(settings, engine)
    keeper = channel_keeper(settings, engine, zoho, notify_base)
    stop = threading.Event()

    def loop() -> None:
        try:
            if health_url is not None and not wait_until_listening(health_url, stop):
                get_logger(__name__).warning("tracking.zoho_channel_not_listening", url=health_url)
            keeper.run_forever(stop)
        finally:
            zoho.close()

    thread = threading.Thread(target=loop, name="leadflow-zoho-channel", daemon=True)
    thread.start()
    return thread, stop
