"""Apply a plan: outbox in, exactly-once writes out, under a per-target lock and the daily credit budget.

One run: take the lock; reconcile operations left in flight by a crash or a lost response (look them up
by the external id or id before anything is sent again); plan (or read a plan file) and put it in the
outbox a chunk at a time; send the kinds in the order of the target's ``write_phases`` (company records,
then the people that look them up, then tags), paging through the outbox; record every answer per record.
Writes are upserts keyed by the target's unique external-id field (or updates by id), so a retried write
updates instead of creating.

Every module, field and limit comes from the target's :class:`~leadflow.sync.schema.TargetSchema`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from leadflow.config import SyncSettings
from leadflow.errors import (
    ApiError,
    AuthError,
    CreditBudgetExceeded,
    LeadflowError,
    RateLimited,
    ResponseLost,
    TransientError,
)
from leadflow.log import get_logger
from leadflow.model import RunStatus
from leadflow.store import kv, runs, sync_ledger, sync_lock, sync_outbox, sync_source
from leadflow.store.sync_memory import small_page_cache
from leadflow.store.sync_outbox import OutboxRow, OutboxState
from leadflow.sync import outbox
from leadflow.sync.cost import choose_method
from leadflow.sync.mapping import ACCOUNT_LOOKUP, comparable
from leadflow.sync.plan import DEFAULT_TAG_PREFIX, TAGS_SUFFIX, Plan, Planner, PlanTally
from leadflow.sync.schema import Kind, TargetSchema
from leadflow.sync.target import RESPONSE_LOST, SyncTarget, TargetUnreachable, WriteMethod, WriteOutcome

log = get_logger(__name__)

Progress = Callable[[str, int, int], None]
SENT = "records sent (retries included)"
WRITE_PAGE = 2_000  # operations read from the outbox at a time for batch writes
TAG_PAGE = 50_000  # tag operations read at a time: one call per tag and batch of records, so few partial batches
DUPLICATE_ELSEWHERE = "DUPLICATE_ELSEWHERE"
Refusal = tuple[str, str, Mapping[str, Any] | None]


class SyncLocked(LeadflowError):
    """Another sync holds the target's lock."""


class LockLost(LeadflowError):
    """This sync's lease expired and another process took the lock: it stopped writing."""


class _Stop(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class SyncReport:
    """What one sync run did. ``plan.tally`` holds the plan's counts; a streamed run keeps no operations."""

    run_id: int | None
    plan: Plan
    dry_run: bool = False
    counts: Counter[str] = field(default_factory=Counter)
    calls: int = 0
    credits: int = 0
    stopped: str | None = None
    methods: dict[str, str] = field(default_factory=dict)
    enqueued: outbox.Enqueued | None = None
    open_after: int = 0  # operations still pending or in flight when the run ended (sent by a later run)

    @property
    def wrote_nothing(self) -> bool:
        return self.calls == 0 and not any(
            n for k, n in self.counts.items() if k.endswith(("created", "updated", "tags added", "tags removed"))
        )


class SyncRunner:
    """Runs syncs of the store's golden records to one target.

    Example:
        >>> runner = SyncRunner(engine, ZohoTarget(zoho, settings.sync.zoho), settings.sync)  # doctest: +SKIP
        >>> report = runner.run()                                                             # doctest: +SKIP
    """

    def __init__(
        self,
        engine: Engine,
        target: SyncTarget,
        settings: SyncSettings,
        *,
        owner: str | None = None,
        progress: Progress | None = None,
        tag_prefix: str = DEFAULT_TAG_PREFIX,
        mirror_fresh: timedelta = timedelta(hours=1),
        prelude: Callable[[int | None], Mapping[str, int]] | None = None,
        golden_ids: Collection[str] | None = None,
    ) -> None:
        self.engine = engine
        self.golden_ids = golden_ids  # plan only these people (a targeted sync); the outbox is worked off whole
        self.tag_prefix = tag_prefix
        self.target = target
        self.schema: TargetSchema = target.schema
        self.name = self.schema.name
        self.settings = settings
        self.owner = owner or sync_lock.new_owner_id()
        self.progress = progress or (lambda _phase, _done, _total: None)
        self.ext = self.schema.external_id_field
        self.mirror_fresh = mirror_fresh
        self._run_id: int | None = None
        self._started = datetime.now(UTC)
        self._report: SyncReport | None = None
        self._account_ids: dict[str, str] = {}
        # a target's own step before the outbox, under the lock, given the run id; its counts join the report
        self.prelude = prelude

    # --- entry points ---------------------------------------------------------------------------------------

    def planner(self) -> Planner:
        return Planner(
            self.schema, tag_prefix=self.tag_prefix, chunk=self.settings.chunk_records, golden_ids=self.golden_ids
        )

    def plan(self) -> Plan:
        """Plan without writing anything (no lock, no outbox, no call); the whole plan in memory."""
        with self.engine.connect() as connection:
            return self.planner().build(connection)

    def run(
        self, *, plan: Plan | None = None, dry_run: bool = False, retry_failed: bool = False, wait: float = 0.0
    ) -> SyncReport:
        """Sync now (or apply ``plan`` exactly); ``dry_run`` plans and returns without writing."""
        if dry_run:
            return SyncReport(None, plan or self.plan(), dry_run=True)
        with small_page_cache(self.engine), self._locked(wait):
            self._started = datetime.now(UTC)
            with self.engine.begin() as connection:
                self._run_id = runs.start_run(connection, kind="sync")
            report = SyncReport(self._run_id, plan or Plan(self.name, [], self.planner().new_tally()))
            self._report = report
            before = self.target.usage()
            status, error = RunStatus.SUCCEEDED, None
            try:
                self._reconcile_in_flight()
                if self.prelude is not None:
                    for key, n in self.prelude(self._run_id).items():
                        self._count(key, n)
                report.enqueued = self._enqueue(plan, report.plan.tally, retry_failed=retry_failed)
                self._count("invalid, not sent", report.enqueued.invalid)
                self._count("stale plan operations skipped", report.enqueued.stale)
                self._count("failed earlier, not retried", report.enqueued.failed_kept)
                self._execute()
            except _Stop as stop:
                status, report.stopped = RunStatus.STOPPED, stop.reason
            except Exception as exc:
                status = RunStatus.FAILED
                error = str(exc) if isinstance(exc, LeadflowError) else f"{type(exc).__name__}: {exc}"
                raise
            finally:
                after = self.target.usage()
                report.calls, report.credits = after.calls - before.calls, after.credits - before.credits
                with self.engine.connect() as connection:
                    states = sync_outbox.counts(connection, target=self.name)
                report.open_after = sum(states.get(state.value, 0) for state in sync_outbox.OPEN_STATES)
                counters: dict[str, Any] = {**report.counts, "calls": report.calls, "credits": report.credits}
                if report.stopped:
                    counters["stopped"] = report.stopped
                with self.engine.begin() as connection:
                    runs.finish_run(connection, run_id=self._run_id, status=status, counters=counters, error=error)
            return report

    def _enqueue(self, plan: Plan | None, tally: PlanTally, *, retry_failed: bool) -> outbox.Enqueued:
        """The plan into the outbox in one transaction: a given plan as it is, else planned a chunk at a time."""
        result = outbox.Enqueued()
        run_id = self._run_id
        with self.engine.begin() as connection:
            if plan is not None:
                chunk = self.settings.chunk_records
                for start in range(0, len(plan.operations), chunk):
                    outbox.enqueue_chunk(
                        connection,
                        plan.operations[start : start + chunk],
                        result,
                        schema=self.schema,
                        plan_id=plan.plan_id,
                        run_id=run_id,
                        retry_failed=retry_failed,
                        check_base=True,
                    )
            else:
                provisional = f"run:{run_id}"
                for operations in self.planner().chunks(connection, tally):
                    outbox.enqueue_chunk(
                        connection,
                        operations,
                        result,
                        schema=self.schema,
                        plan_id=provisional,
                        run_id=run_id,
                        retry_failed=retry_failed,
                    )
                if run_id is not None:
                    sync_outbox.name_plan(connection, run_id=run_id, provisional=provisional, plan_id=tally.plan_id)
            return outbox.finish(connection, result, target=self.name, run_id=run_id)

    # --- lock -----------------------------------------------------------------------------------------------

    @contextmanager
    def _locked(self, wait: float) -> Iterator[None]:
        deadline = time.monotonic() + wait
        name = self.name
        while True:
            with self.engine.begin() as connection:
                if sync_lock.try_acquire(
                    connection, target=name, owner=self.owner, lease_seconds=self.settings.lock_lease_seconds
                ):
                    break
                holder = sync_lock.holder_of(connection, target=name)
            if time.monotonic() >= deadline:
                raise SyncLocked(
                    f"another sync to {name} is running ({holder.owner}, lease until {holder.expires_at}); "
                    "try again later or pass --wait SECONDS"
                )
            time.sleep(0.5)
        try:
            yield
        finally:
            with self.engine.begin() as connection:
                sync_lock.release(connection, target=name, owner=self.owner)

    def renew_lock(self) -> None:
        """Renew this run's lease on the target (a prelude that writes for long calls it between writes);
        raises :class:`LockLost` when another sync took the lock."""
        self._heartbeat()

    def _heartbeat(self) -> None:
        with self.engine.begin() as connection:
            if not sync_lock.renew(
                connection, target=self.name, owner=self.owner, lease_seconds=self.settings.lock_lease_seconds
            ):
                raise LockLost(f"the lock on {self.name} was taken by another sync; this one stopped")

    # --- execution ------------------------------------------------------------------------------------------

    def _execute(self) -> None:
        """Send the run's pending operations phase by phase; passes repeat while sends make progress (an
        operation reconciled back to pending is sent again), at most ``max_attempts`` times; a last pass fails
        what used them all up."""
        for _ in range(self.settings.max_attempts + 1):
            sent_before = self._sent()
            self._confirm_without_call()
            for kind in self.schema.write_phases:
                if kind == "tags":
                    self._tag_phase()
                else:
                    self._write_phase(kind)
            if self._sent() == sent_before or not self._has_pending():
                return  # nothing more could be sent (all waiting on something): next run

    def _sent(self) -> int:
        return self._report.counts[SENT] if self._report else 0

    def _has_pending(self) -> bool:
        with self.engine.connect() as connection:
            return bool(
                sync_outbox.page(
                    connection, target=self.name, states=[OutboxState.PENDING], run_id=self._run_id, limit=1
                )
            )

    def _pages(
        self, *, kinds: Sequence[str], limit: int, with_desired: bool = True, **narrow: Any
    ) -> Iterator[list[OutboxRow]]:
        """The run's pending operations, a page at a time, each page read in a short transaction of its own."""
        after = 0
        while True:
            with self.engine.connect() as connection:
                rows = sync_outbox.page(
                    connection,
                    target=self.name,
                    states=[OutboxState.PENDING],
                    kinds=kinds,
                    run_id=self._run_id,
                    after_id=after,
                    limit=limit,
                    with_desired=with_desired,
                    **narrow,
                )
            if not rows:
                return
            after = rows[-1].id
            yield rows

    def _write_phase(self, kind: Kind) -> None:
        with self.engine.connect() as connection:
            groups = sync_outbox.groups(
                connection, target=self.name, states=[OutboxState.PENDING], kinds=[kind], run_id=self._run_id
            )
        groups = {group: n for group, n in groups.items() if group[1] != "none"}
        total, done = sum(groups.values()), 0
        if not total:
            return
        phase = "companies" if kind == "account" else "people"
        self.progress(phase, 0, total)
        batch = self.schema.batch_size
        for (module, method), count in groups.items():
            self._ensure_fields(module)
            use_bulk = (
                method == "upsert"
                and choose_method(self.target, count, preference=self.settings.write_method) == "bulk"
            )
            if self._report is not None:
                self._report.methods[f"{module} {method}"] = "bulk write" if use_bulk else "batch"
            limit = (self.schema.bulk_rows or batch) if use_bulk else max(batch, WRITE_PAGE - WRITE_PAGE % batch)
            pages = self._pages(kinds=[kind], limit=limit, with_desired=False, module=module, method=method)
            for rows in pages:
                ready = self._within_attempts(rows)
                ready = self._not_held_elsewhere(module, ready)
                ready = self._resolve_lookups(ready)
                chunks = [ready] if use_bulk else [ready[i : i + batch] for i in range(0, len(ready), batch)]
                for chunk in chunks:
                    if chunk:
                        self._send(module, method, chunk, bulk=use_bulk)
                    done += len(chunk)
                    self.progress(phase, done, total)
                done += len(rows) - len(ready)
                self.progress(phase, done, total)

    def _within_attempts(self, rows: list[OutboxRow]) -> list[OutboxRow]:
        """Operations sent ``max_attempts`` times without a confirmation fail instead of being sent again."""
        limit = self.settings.max_attempts
        spent = [row for row in rows if row.attempts >= limit]
        if spent:
            with self.engine.begin() as connection:
                for row in spent:
                    message = f"sent {row.attempts} times without a confirmation (max_attempts = {limit})"
                    if row.error_code:
                        message += f"; last answer: {row.error_code} {row.error_message or ''}".rstrip()
                    self._fail(connection, [row], (outbox.MAX_ATTEMPTS_CODE, message, None), sent=False)
        return [row for row in rows if row.attempts < limit]

    def _resolve_lookups(self, ops: list[OutboxRow]) -> list[OutboxRow]:
        """Fill the company lookup with the company record's remote id; an operation whose company is not
        there yet waits."""
        needs = [op.depends_on for op in ops if op.depends_on]
        if not needs:
            return ops
        with self.engine.connect() as connection:
            account_ids = sync_ledger.remote_ids(connection, target=self.name, golden_ids=needs)
        ready = []
        for op in ops:
            if op.depends_on and op.depends_on not in account_ids:
                self._count("waiting for their company record")
                continue
            ready.append(op)
        self._account_ids = account_ids
        return ready

    def _row(self, op: OutboxRow, method: str) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for name, value in op.payload.items():
            if isinstance(value, Mapping) and ACCOUNT_LOOKUP in value:
                row[name] = {"id": self._account_ids[value[ACCOUNT_LOOKUP]]}
            else:
                row[name] = value
        if method == "update":
            row["id"] = op.remote_id
        return row

    def _send(self, module: str, method: str, ops: list[OutboxRow], *, bulk: bool) -> None:
        cost = self.target.write_cost(len(ops), bulk=bulk)
        self._check_budget(cost.credits)
        self._heartbeat()
        rows = [self._row(op, method) for op in ops]
        ids = [op.id for op in ops]
        with self.engine.begin() as connection:
            sync_outbox.set_state(connection, ids=ids, state=OutboxState.IN_FLIGHT, run_id=self._run_id)
        self._count(SENT, len(ops))
        try:
            if bulk:
                outcomes = self.target.bulk_upsert(module, rows)
            else:
                write_method: WriteMethod = "upsert" if method == "upsert" else "update"
                outcomes = self.target.write(module, write_method, rows)
        except CreditBudgetExceeded as exc:
            self._back_to_pending(ids)
            raise _Stop(f"credit budget: {exc}") from exc
        except (AuthError, TargetUnreachable):
            self._back_to_pending(ids)  # nothing was written: the operations wait, unchanged, for the next run
            raise
        except (ApiError, OSError) as exc:
            refusal = self._refusal(exc)
            if refusal is not None:
                self._refused(ops, refusal)
                return
            code = (
                RESPONSE_LOST if isinstance(exc, ResponseLost) else (getattr(exc, "vendor_code", None) or "TRANSIENT")
            )
            log.warning("sync.write_unanswered", module=module, records=len(ops), code=code, error=str(exc))
            self._count("reconciled after an unanswered write", len(ops))
            with self.engine.begin() as connection:
                sync_outbox.set_state(connection, ids=ids, state=OutboxState.IN_FLIGHT, attempts=1)
            self._reconcile(ops, reason=(code, str(exc)))
            return
        if len(outcomes) != len(ops):
            with self.engine.begin() as connection:
                sync_outbox.set_state(connection, ids=ids, state=OutboxState.IN_FLIGHT, attempts=1)
            self._reconcile(ops, reason=("NOT_CONFIRMED", f"{len(outcomes)} answers for {len(ops)} records"))
            return
        answered = [(op, outcome) for op, outcome in zip(ops, outcomes, strict=True) if not outcome.unanswered]
        self._record([op for op, _ in answered], [outcome for _, outcome in answered])
        self._reconcile_unanswered(module, ops, outcomes)

    def _reconcile_unanswered(self, module: str, ops: Sequence[OutboxRow], outcomes: Sequence[WriteOutcome]) -> None:
        """Records the target sent one by one whose own answer was lost: looked up before any resend."""
        lost = [(op, outcome) for op, outcome in zip(ops, outcomes, strict=True) if outcome.unanswered]
        if not lost:
            return
        log.warning("sync.records_unanswered", module=module, records=len(lost), error=lost[0][1].message)
        self._count("reconciled after an unanswered write", len(lost))
        with self.engine.begin() as connection:
            sync_outbox.set_state(connection, ids=[op.id for op, _ in lost], state=OutboxState.IN_FLIGHT, attempts=1)
        self._reconcile([op for op, _ in lost], reason=(RESPONSE_LOST, lost[0][1].message or "answer lost"))

    def _refusal(self, exc: Exception) -> Refusal | None:
        """The code, message and details of a call the target refused for good, None if the answer is unknown
        or the failure is about the call (rate, server, network: sent again later)."""
        if not isinstance(exc, ApiError) or isinstance(exc, ResponseLost | TransientError | RateLimited | AuthError):
            return None
        if exc.status is None or not 400 <= exc.status < 500 or self.schema.is_retryable(exc.vendor_code):
            return None
        return (exc.vendor_code or f"HTTP_{exc.status}", exc.message, exc.details or None)

    def _refused(self, ops: Sequence[OutboxRow], refusal: Refusal) -> None:
        log.warning("sync.call_refused", records=len(ops), code=refusal[0], message=refusal[1])
        with self.engine.begin() as connection:
            self._fail(connection, ops, refusal)

    def _fail(self, connection: Connection, ops: Sequence[OutboxRow], refusal: Refusal, *, sent: bool = True) -> None:
        """Operations failed with the target's (or the engine's) code, message and details, logged per record."""
        code, message, details = refusal
        sync_outbox.set_state(
            connection, ids=[op.id for op in ops], state=OutboxState.FAILED, error=refusal, attempts=int(sent)
        )
        sync_ledger.log_outcomes(
            connection,
            rows=[self._log_row(op, "failed", op.remote_id, code, message, details) for op in ops],
        )
        for op in ops:
            self._count(f"{op.module} failed")

    def _record(self, ops: Sequence[OutboxRow], outcomes: Sequence[WriteOutcome]) -> None:
        confirmed: list[tuple[OutboxRow, str | None, str]] = []
        failed: list[tuple[OutboxRow, WriteOutcome]] = []
        for op, outcome in zip(ops, outcomes, strict=True):
            if outcome.ok:
                created = outcome.action == "insert" or (outcome.action is None and op.action == "create")
                confirmed.append((op, outcome.remote_id or op.remote_id, "created" if created else "updated"))
            else:
                failed.append((op, outcome))
        with self.engine.begin() as connection:
            answers = {
                op.id: {"code": "SUCCESS", "action": outcome.action, "id": outcome.remote_id, **outcome.details}
                for op, outcome in zip(ops, outcomes, strict=True)
                if outcome.ok
            }
            self._confirm(connection, confirmed, response={"status": "success"}, answers=answers)
            for op, outcome in failed:
                self._fail(connection, [op], (outcome.code or "ERROR", outcome.message or "", dict(outcome.details)))
        for op, outcome in failed:
            log.info("sync.record_failed", golden_id=op.golden_id, code=outcome.code, message=outcome.message)

    def _confirm(
        self,
        connection: Connection,
        confirmed: Sequence[tuple[OutboxRow, str | None, str]],
        *,
        response: Mapping[str, Any],
        answers: Mapping[int, Mapping[str, Any]] | None = None,
    ) -> None:
        """Outbox confirmed, id map advanced and the log written, in the caller's one transaction."""
        tags_applied: dict[str, list[str]] = {}
        logs = []
        pushed = []
        unread = [op.id for op, _, _ in confirmed if op.desired is None]
        desired = sync_outbox.desired_of(connection, ids=unread) if unread else {}
        for op, remote_id, outcome in confirmed:
            wanted = op.desired if op.desired is not None else desired[op.id]
            pushed.append(
                {
                    "golden_id": f"{op.golden_id}{TAGS_SUFFIX}" if op.kind == "tags" else op.golden_id,
                    "kind": op.kind,
                    "module": op.module,
                    "remote_id": remote_id,
                    "payload_hash": op.payload_hash,
                    "payload": wanted,
                    "version": op.base_version + 1,
                }
            )
            answer = {**response, **(answers or {}).get(op.id, {})}
            logs.append(self._log_row(op, outcome, remote_id, None, None, answer))
            if op.kind == "tags":
                tags_applied[op.golden_id] = list(wanted.get("tags", []))
                self._count(f"{op.module} tags added", len(op.payload.get("add", [])))
                self._count(f"{op.module} tags removed", len(op.payload.get("remove", [])))
            else:
                self._count(f"{op.module} {outcome}")
        sync_outbox.confirm(connection, confirmed=[(op.id, rid) for op, rid, _ in confirmed])
        sync_ledger.record_pushed(connection, target=self.name, records=pushed)
        sync_source.set_applied_tags(connection, target=self.name, applied=tags_applied)
        sync_ledger.log_outcomes(connection, rows=logs)

    def _confirm_without_call(self) -> None:
        """No-op operations (every change guarded away): the id map advances, nothing is sent."""
        after = 0
        while True:
            with self.engine.begin() as connection:
                ops = sync_outbox.page(
                    connection,
                    target=self.name,
                    states=[OutboxState.PENDING],
                    method="none",
                    run_id=self._run_id,
                    after_id=after,
                    limit=WRITE_PAGE,
                )
                if not ops:
                    return
                after = ops[-1].id
                self._confirm(connection, [(op, op.remote_id, "unchanged") for op in ops], response={"sent": False})

    def _back_to_pending(self, ids: list[int]) -> None:
        with self.engine.begin() as connection:
            sync_outbox.set_state(connection, ids=ids, state=OutboxState.PENDING)

    # --- duplicates held in another module ------------------------------------------------------------------

    def _not_held_elsewhere(self, module: str, ops: list[OutboxRow]) -> list[OutboxRow]:
        """New people whose duplicate-check value (e.g. e-mail) a record of another person module holds are
        reported and not created (a new Lead whose e-mail is a Contact's). Checked in the CRM mirror when it
        was loaded within ``mirror_fresh`` of this run, else by look-ups at the target in batches."""
        others = self.schema.cross_module_duplicates.get(module, ())
        check_fields = self.schema.duplicate_check_fields.get(module, ())
        creates = [op for op in ops if op.action == "create" and op.kind == "person"]
        if not others or not check_fields or not creates:
            return ops
        name = check_fields[0]
        values = {op.id: str(op.payload[name]).strip().lower() for op in creates if op.payload.get(name)}
        if not values:
            return ops
        held: dict[str, tuple[str, str]] = {}  # value -> (module, remote id)
        try:
            for other in others:
                found = self._held_in(other, name, sorted(set(values.values()) - set(held)))
                held.update({value: (other, remote_id) for value, remote_id in found.items()})
        except (ApiError, OSError) as exc:
            # Unknown whether they are held elsewhere: they stay pending, checked again before being sent.
            log.warning("sync.duplicate_check_unanswered", module=module, records=len(values), error=str(exc))
            self._count("waiting for the duplicate check", len(creates))
            create_ids = {op.id for op in creates}
            return [op for op in ops if op.id not in create_ids]
        refused = [op for op in creates if values.get(op.id) in held]
        if not refused:
            return ops
        with self.engine.begin() as connection:
            for op in refused:
                other, remote_id = held[values[op.id]]
                message = (
                    f"{name} {op.payload[name]} belongs to {other} record {remote_id}: not created as {module}"
                    f" (update that record or merge them at the target, then sync --retry-failed)"
                )
                details = {"module": other, "id": remote_id}
                self._fail(connection, [op], (DUPLICATE_ELSEWHERE, message, details), sent=False)
                self._count(f"{module} not created: held in {other}")
        refused_ids = {op.id for op in refused}
        return [op for op in ops if op.id not in refused_ids]

    def _held_in(self, module: str, name: str, values: list[str]) -> dict[str, str]:
        """Lower-cased ``values`` of field ``name`` that records of ``module`` hold: value -> remote id."""
        if not values:
            return {}
        if self.schema.crm_mirror:
            with self.engine.connect() as connection:
                loaded = sync_source.mirror_loaded_at(connection, module=module)
                if loaded is not None and loaded >= self._started - self.mirror_fresh:
                    return sync_source.mirror_ids_by_email(connection, module=module, emails=values)
        try:
            found = self.target.lookup(module, by=name, values=values, fields=["id", name])
        except CreditBudgetExceeded as exc:
            raise _Stop(f"credit budget while checking {module} for duplicates: {exc}") from exc
        self._count(f"new records checked against {module}", len(values))
        return {str(key).strip().lower(): str(record["id"]) for key, record in found.items()}

    # --- tags -----------------------------------------------------------------------------------------------

    def _tag_phase(self) -> None:
        for ops in self._pages(kinds=["tags"], limit=TAG_PAGE, with_desired=False):
            self._tag_page(self._within_attempts(ops))

    def _tag_page(self, ops: list[OutboxRow]) -> None:
        if not ops:
            return
        with self.engine.connect() as connection:
            person_ids = sync_ledger.remote_ids(connection, target=self.name, golden_ids=[op.golden_id for op in ops])
        ready = [op for op in ops if op.golden_id in person_ids]
        self._count("tags waiting for their record", len(ops) - len(ready))
        groups: dict[tuple[str, bool, str], list[OutboxRow]] = {}
        for op in ready:
            for add, tags in ((True, op.payload.get("add", [])), (False, op.payload.get("remove", []))):
                for tag in tags:
                    groups.setdefault((op.module, add, tag), []).append(op)
        total = sum(len(group) for group in groups.values())
        done = 0
        self.progress("tags", 0, total)
        errors: dict[int, tuple[OutboxRow, Refusal]] = {}
        sent: set[int] = set()
        unanswered: set[int] = set()
        batch = self.schema.batch_size
        for (module, add, tag), group in groups.items():
            for start in range(0, len(group), batch):
                chunk = [op for op in group[start : start + batch] if op.id not in unanswered and op.id not in errors]
                if not chunk:
                    continue
                self._check_budget(1)
                self._heartbeat()
                ids = [op.id for op in chunk]
                with self.engine.begin() as connection:
                    sync_outbox.set_state(
                        connection,
                        ids=[i for i in ids if i not in sent],
                        state=OutboxState.IN_FLIGHT,
                        run_id=self._run_id,
                    )
                sent.update(ids)
                self._count(SENT, len(chunk))
                try:
                    answers = self.target.change_tags(
                        module, add=add, tag=tag, remote_ids=[person_ids[op.golden_id] for op in chunk]
                    )
                except CreditBudgetExceeded as exc:
                    self._back_to_pending([i for i in sent if i not in errors])
                    raise _Stop(f"credit budget: {exc}") from exc
                except (AuthError, TargetUnreachable):
                    self._back_to_pending([i for i in sent if i not in errors])
                    raise
                except (ApiError, OSError) as exc:
                    refusal = self._refusal(exc)
                    if refusal is not None:
                        errors.update({op.id: (op, refusal) for op in chunk})
                        continue
                    # Adding or removing a tag twice changes nothing: these go back to pending, resent later.
                    log.warning("sync.tags_unanswered", tag=tag, records=len(chunk), error=str(exc))
                    unanswered.update(ids)
                    continue
                for op in chunk:
                    answer = answers.get(person_ids[op.golden_id])
                    if answer is not None and answer.unanswered:  # its own call's answer was lost: resent later
                        unanswered.add(op.id)
                        continue
                    if answer is None or not answer.ok:
                        answer = answer or WriteOutcome(False, code="NOT_CONFIRMED")
                        errors[op.id] = (op, (answer.code or "ERROR", answer.message or "", dict(answer.details)))
                done += len(chunk)
                self.progress("tags", done, total)
        with self.engine.begin() as connection:
            self._confirm(
                connection,
                [
                    (op, person_ids[op.golden_id], "tags set")
                    for op in ready
                    if op.id not in errors and op.id not in unanswered
                ],
                response={"status": "success"},
            )
            sync_outbox.set_state(
                connection,
                ids=sorted(unanswered - set(errors)),
                state=OutboxState.PENDING,
                error=("TRANSIENT", "tag call unanswered", None),
                attempts=1,
            )
            for op, refusal in errors.values():
                self._fail(connection, [op], refusal)

    # --- reconcile ------------------------------------------------------------------------------------------

    def _reconcile_in_flight(self) -> None:
        """Operations an earlier run left in flight are looked up before anything is sent again: left by a
        process that died (its run never finished) or by a run that failed while waiting for an answer."""
        pages: list[list[OutboxRow]] = []
        with self.engine.connect() as connection:
            pages = list(
                sync_outbox.iter_pages(connection, target=self.name, states=[OutboxState.IN_FLIGHT], limit=WRITE_PAGE)
            )
            crashed_runs = {
                run_id
                for run_id in {op.run_id for ops in pages for op in ops}
                if run_id is None or _run_status(connection, run_id) == RunStatus.RUNNING
            }
        for stuck in pages:
            crashed = [op for op in stuck if op.run_id in crashed_runs]
            log.info("sync.reconcile", operations=len(stuck), crashed=len(crashed))
            self._count("reconciled after a crash", len(crashed))
            self._count("reconciled after an earlier run's lost answer", len(stuck) - len(crashed))
            self._reconcile(stuck, reason=("RESPONSE_LOST", "left in flight by an earlier run"))

    def _reconcile(self, ops: Sequence[OutboxRow], *, reason: tuple[str, str]) -> None:
        """Look up each in-flight write: confirmed if the target holds exactly what was sent, else pending."""
        writes = [op for op in ops if op.kind != "tags" and op.method != "none"]
        others = [op.id for op in ops if op.kind == "tags" or op.method == "none"]
        with self.engine.begin() as connection:
            sync_outbox.set_state(connection, ids=others, state=OutboxState.PENDING, error=(reason[0], reason[1], None))
        groups: dict[tuple[str, str], list[OutboxRow]] = {}
        for op in writes:
            groups.setdefault((op.module, op.method), []).append(op)
        for (module, method), group in groups.items():
            by = self.ext if method == "upsert" else "id"
            keys = [op.golden_id if method == "upsert" else str(op.remote_id) for op in group]
            fields = sorted({name for op in group for name in op.payload} | {self.ext})
            needs = [op.depends_on for op in group if op.depends_on]
            with self.engine.connect() as connection:
                self._account_ids = sync_ledger.remote_ids(connection, target=self.name, golden_ids=needs)
            try:
                found = self.target.lookup(module, by=by, values=keys, fields=fields)
            except CreditBudgetExceeded as exc:
                raise _Stop(f"credit budget while reconciling: {exc}") from exc
            except (ApiError, OSError) as exc:
                # Still unknown: they stay in flight and are looked up again before any resend.
                log.warning("sync.reconcile_failed", module=module, records=len(group), error=str(exc))
                self._count("still in flight", len(group))
                continue
            confirmed: list[tuple[OutboxRow, str | None, str]] = []
            resend: list[int] = []
            for op, key in zip(group, keys, strict=True):
                remote = found.get(key)
                if remote is not None and self._holds(remote, op):
                    confirmed.append((op, str(remote["id"]), "created" if op.action == "create" else "updated"))
                else:
                    resend.append(op.id)
            with self.engine.begin() as connection:
                self._confirm(connection, confirmed, response={"reconciled": True})
                sync_outbox.set_state(
                    connection, ids=resend, state=OutboxState.PENDING, error=(reason[0], reason[1], None)
                )
            self._count("confirmed by look-up", len(confirmed))

    def _holds(self, remote: Mapping[str, Any], op: OutboxRow) -> bool:
        for name, value in op.payload.items():
            if isinstance(value, Mapping) and ACCOUNT_LOOKUP in value:
                expected: Any = self._account_ids.get(value[ACCOUNT_LOOKUP])
            else:
                expected = value
            if comparable(remote.get(name)) != comparable(expected):
                return False
        return True

    # --- budget, fields, bookkeeping ------------------------------------------------------------------------

    def _check_budget(self, credits: int) -> None:
        left = self.target.credits_left()
        if left is not None and left - credits < self.settings.credit_reserve:
            raise _Stop(
                f"credit budget: {left} credits left, the next call needs {credits} and "
                f"{self.settings.credit_reserve} are kept in reserve; the rest waits for the next run"
            )

    def _ensure_fields(self, module: str) -> None:
        specs = self.schema.custom_field_specs(module)
        key = f"sync:{self.name}:fields:{module}"
        names = sorted(spec.api_name for spec in specs)
        with self.engine.connect() as connection:
            if kv.get_value(connection, key=key) == names:
                return
        self.target.ensure_fields(module, specs)
        with self.engine.begin() as connection:
            kv.set_value(connection, key=key, value=names)

    def _log_row(
        self,
        op: OutboxRow,
        outcome: str,
        remote_id: str | None,
        code: str | None,
        message: str | None,
        response: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        return {
            "run_id": self._run_id,
            "outbox_id": op.id,
            "target": self.name,
            "golden_id": op.golden_id,
            "module": op.module,
            "remote_id": remote_id,
            "action": op.action,
            "payload_hash": op.payload_hash,
            "outcome": outcome,
            "code": code,
            "message": message,
            "response": dict(response) if response is not None else None,
        }

    def _count(self, key: str, n: int = 1) -> None:
        if self._report is not None and n:
            self._report.counts[key] += n


def _run_status(connection: Connection, run_id: int) -> RunStatus | None:
    run = runs.get_run(connection, run_id=run_id)
    return RunStatus(run["status"]) if run is not None else None
