"""Apply a plan: outbox in, exactly-once writes out, under a per-target lock and the daily credit budget.

One run: take the lock; reconcile operations left in flight by a crash or a lost response (look them up
by ``Leadflow_ID`` or id before anything is sent again); plan (or read a plan file) and put it in the
outbox; send Accounts, then the people that look them up, then tags; record every answer per record.
Writes are upserts keyed by the unique ``Leadflow_ID`` field (or updates by id), so a retried write
updates instead of creating.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine

from leadflow.config import SyncSettings
from leadflow.errors import ApiError, AuthError, CreditBudgetExceeded, LeadflowError, ResponseLost
from leadflow.log import get_logger
from leadflow.model import RunStatus
from leadflow.store import kv, runs, sync_ledger, sync_lock, sync_source
from leadflow.sync import outbox
from leadflow.sync.cost import BATCH_SIZE, choose_method
from leadflow.sync.mapping import ACCOUNT_LOOKUP, comparable, custom_field_specs
from leadflow.sync.plan import DEFAULT_TAG_PREFIX, TAGS_SUFFIX, Plan, Planner
from leadflow.sync.target import SyncTarget, WriteMethod, WriteOutcome

log = get_logger(__name__)

Progress = Callable[[str, int, int], None]
SENT = "records sent (retries included)"


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
    """What one sync run did."""

    run_id: int | None
    plan: Plan
    dry_run: bool = False
    counts: Counter[str] = field(default_factory=Counter)
    calls: int = 0
    credits: int = 0
    stopped: str | None = None
    methods: dict[str, str] = field(default_factory=dict)
    enqueued: outbox.Enqueued | None = None

    @property
    def wrote_nothing(self) -> bool:
        return self.calls == 0 and not any(
            n for k, n in self.counts.items() if k.endswith(("created", "updated", "tags added", "tags removed"))
        )


class SyncRunner:
    """Runs syncs of the store's golden records to one target.

    Example:
        >>> runner = SyncRunner(engine, ZohoTarget(zoho), settings.sync)   # doctest: +SKIP
        >>> report = runner.run()                                          # doctest: +SKIP
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
    ) -> None:
        self.engine = engine
        self.tag_prefix = tag_prefix
        self.target = target
        self.settings = settings
        self.owner = owner or sync_lock.new_owner_id()
        self.progress = progress or (lambda _phase, _done, _total: None)
        self.ext = settings.zoho.external_id_field
        self._run_id: int | None = None
        self._report: SyncReport | None = None
        self._account_ids: dict[str, str] = {}

    # --- entry points ---------------------------------------------------------------------------------------

    def plan(self) -> Plan:
        """Plan without writing anything (no lock, no outbox, no call)."""
        with self.engine.connect() as connection:
            return Planner(self.settings, target=self.target.name, tag_prefix=self.tag_prefix).build(connection)

    def run(
        self, *, plan: Plan | None = None, dry_run: bool = False, retry_failed: bool = False, wait: float = 0.0
    ) -> SyncReport:
        """Sync now (or apply ``plan`` exactly); ``dry_run`` plans and returns without writing."""
        if dry_run:
            return SyncReport(None, plan or self.plan(), dry_run=True)
        with self._locked(wait):
            with self.engine.begin() as connection:
                self._run_id = runs.start_run(connection, kind="sync")
            report = SyncReport(self._run_id, plan or Plan(self.target.name, []))
            self._report = report
            before = self.target.usage()
            status, error = RunStatus.SUCCEEDED, None
            try:
                self._reconcile_in_flight()
                if plan is None:
                    report.plan = self.plan()
                with self.engine.begin() as connection:
                    report.enqueued = outbox.enqueue(
                        connection,
                        report.plan,
                        run_id=self._run_id,
                        retry_failed=retry_failed,
                        check_base=plan is not None,
                    )
                self._count("invalid, not sent", report.enqueued.invalid)
                self._count("stale plan operations skipped", report.enqueued.stale)
                self._count("failed earlier, not retried", report.enqueued.failed_kept)
                self._execute(report.enqueued.keys)
            except _Stop as stop:
                status, report.stopped = RunStatus.STOPPED, stop.reason
            except LockLost as exc:
                status, error = RunStatus.FAILED, str(exc)
                raise
            except Exception as exc:
                status, error = RunStatus.FAILED, f"{type(exc).__name__}: {exc}"
                raise
            finally:
                after = self.target.usage()
                report.calls, report.credits = after.calls - before.calls, after.credits - before.credits
                counters: dict[str, Any] = {**report.counts, "calls": report.calls, "credits": report.credits}
                if report.stopped:
                    counters["stopped"] = report.stopped
                with self.engine.begin() as connection:
                    runs.finish_run(connection, run_id=self._run_id, status=status, counters=counters, error=error)
            return report

    # --- lock -----------------------------------------------------------------------------------------------

    @contextmanager
    def _locked(self, wait: float) -> Iterator[None]:
        deadline = time.monotonic() + wait
        name = self.target.name
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

    def _heartbeat(self) -> None:
        with self.engine.begin() as connection:
            if not sync_lock.renew(
                connection, target=self.target.name, owner=self.owner, lease_seconds=self.settings.lock_lease_seconds
            ):
                raise LockLost(f"the lock on {self.target.name} was taken by another sync; this one stopped")

    # --- execution ------------------------------------------------------------------------------------------

    def _execute(self, keys: Sequence[str]) -> None:
        name = self.target.name
        for _ in range(self.settings.max_attempts):
            with self.engine.connect() as connection:
                pending = sync_ledger.operations_in_state(connection, target=name, states=[outbox.PENDING], keys=keys)
            if not pending:
                return
            sent_before = self._report.counts[SENT] if self._report else 0
            noops = [op for op in pending if op["method"] == "none"]
            self._confirm_without_call(noops)
            accounts = [op for op in pending if op["kind"] == "account" and op["method"] != "none"]
            people = [op for op in pending if op["kind"] == "person" and op["method"] != "none"]
            tags = [op for op in pending if op["kind"] == "tags"]
            self._write_phase("Accounts", accounts)
            self._write_phase("people", people)
            self._tag_phase(tags)
            if self._report is not None and self._report.counts[SENT] == sent_before:
                return  # nothing could be sent (all waiting on something): try again next run

    def _write_phase(self, phase: str, ops: list[dict[str, Any]]) -> None:
        if not ops:
            return
        total, done = len(ops), 0
        self.progress(phase, 0, total)
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for op in ops:
            groups.setdefault((op["module"], op["method"]), []).append(op)
        for (module, method), group in groups.items():
            self._ensure_fields(module)
            ready = self._resolve_lookups(group)
            use_bulk = (
                method == "upsert"
                and choose_method(self.target, len(ready), preference=self.settings.write_method) == "bulk"
            )
            if self._report is not None:
                self._report.methods[f"{module} {method}"] = "bulk write" if use_bulk else "batch"
            chunks = [ready] if use_bulk else [ready[i : i + BATCH_SIZE] for i in range(0, len(ready), BATCH_SIZE)]
            for chunk in chunks:
                self._send(module, method, chunk, bulk=use_bulk)
                done += len(chunk)
                self.progress(phase, done, total)
            done += len(group) - len(ready)
            self.progress(phase, done, total)

    def _resolve_lookups(self, ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Fill Account_Name with the Account's remote id; an operation whose Account is not there waits."""
        needs = [op["depends_on"] for op in ops if op["depends_on"]]
        if not needs:
            return ops
        with self.engine.connect() as connection:
            account_ids = sync_ledger.remote_ids(connection, target=self.target.name, golden_ids=needs)
        ready = []
        for op in ops:
            if op["depends_on"] and op["depends_on"] not in account_ids:
                self._count("waiting for their Account")
                continue
            ready.append(op)
        self._account_ids = account_ids
        return ready

    def _row(self, op: Mapping[str, Any], method: str) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for name, value in op["payload"].items():
            if isinstance(value, Mapping) and ACCOUNT_LOOKUP in value:
                row[name] = {"id": self._account_ids[value[ACCOUNT_LOOKUP]]}
            else:
                row[name] = value
        if method == "update":
            row["id"] = op["remote_id"]
        return row

    def _send(self, module: str, method: str, ops: list[dict[str, Any]], *, bulk: bool) -> None:
        cost = self.target.write_cost(len(ops), bulk=bulk)
        self._check_budget(cost.credits)
        self._heartbeat()
        rows = [self._row(op, method) for op in ops]
        ids = [int(op["id"]) for op in ops]
        with self.engine.begin() as connection:
            sync_ledger.set_state(connection, ids=ids, state=outbox.IN_FLIGHT, run_id=self._run_id, count_attempt=True)
        self._count(SENT, len(ops))
        try:
            if bulk:
                outcomes = self.target.bulk_upsert(module, rows, external_id_field=self.ext)
            else:
                write_method: WriteMethod = "upsert" if method == "upsert" else "update"
                outcomes = self.target.write(module, write_method, rows, external_id_field=self.ext)
        except CreditBudgetExceeded as exc:
            self._back_to_pending(ids)
            raise _Stop(f"credit budget: {exc}") from exc
        except AuthError:
            self._back_to_pending(ids)
            raise
        except (ResponseLost, ApiError, OSError) as exc:
            code = (
                "RESPONSE_LOST" if isinstance(exc, ResponseLost) else (getattr(exc, "vendor_code", None) or "TRANSIENT")
            )
            log.warning("sync.write_unanswered", module=module, records=len(ops), code=code, error=str(exc))
            self._count("reconciled after an unanswered write", len(ops))
            self._reconcile(ops, reason=(code, str(exc)))
            return
        if len(outcomes) != len(ops):
            self._reconcile(ops, reason=("NOT_CONFIRMED", f"{len(outcomes)} answers for {len(ops)} records"))
            return
        self._record(ops, outcomes)

    def _record(self, ops: Sequence[Mapping[str, Any]], outcomes: Sequence[WriteOutcome]) -> None:
        confirmed: list[tuple[Mapping[str, Any], str | None, str]] = []
        failed: list[tuple[Mapping[str, Any], WriteOutcome]] = []
        for op, outcome in zip(ops, outcomes, strict=True):
            if outcome.ok:
                created = outcome.action == "insert" or (outcome.action is None and op["action"] == "create")
                confirmed.append((op, outcome.remote_id or op["remote_id"], "created" if created else "updated"))
            else:
                failed.append((op, outcome))
        with self.engine.begin() as connection:
            answers = {
                int(op["id"]): {"code": "SUCCESS", "action": outcome.action, "id": outcome.remote_id, **outcome.details}
                for op, outcome in zip(ops, outcomes, strict=True)
                if outcome.ok
            }
            self._confirm(connection, confirmed, response={"status": "success"}, answers=answers)
            for op, outcome in failed:
                sync_ledger.set_state(
                    connection,
                    ids=[int(op["id"])],
                    state=outbox.FAILED,
                    error=(outcome.code or "ERROR", outcome.message, dict(outcome.details)),
                )
            sync_ledger.log_outcomes(
                connection,
                rows=[
                    self._log_row(op, "failed", op["remote_id"], outcome.code, outcome.message, dict(outcome.details))
                    for op, outcome in failed
                ],
            )
        for op, outcome in failed:
            self._count(f"{op['module']} failed")
            log.info("sync.record_failed", golden_id=op["golden_id"], code=outcome.code, message=outcome.message)

    def _confirm(
        self,
        connection: Connection,
        confirmed: Sequence[tuple[Mapping[str, Any], str | None, str]],
        *,
        response: Mapping[str, Any],
        answers: Mapping[int, Mapping[str, Any]] | None = None,
    ) -> None:
        """Outbox confirmed, id map advanced and the log written, in the caller's one transaction."""
        tags_applied: dict[str, list[str]] = {}
        logs = []
        pushed = []
        for op, remote_id, outcome in confirmed:
            pushed.append(
                {
                    "golden_id": f"{op['golden_id']}{TAGS_SUFFIX}" if op["kind"] == "tags" else op["golden_id"],
                    "kind": op["kind"],
                    "module": op["module"],
                    "remote_id": remote_id,
                    "payload_hash": op["payload_hash"],
                    "payload": op["desired"],
                    "version": int(op["base_version"]) + 1,
                }
            )
            if op["kind"] == "tags":
                tags_applied[op["golden_id"]] = list(op["desired"].get("tags", []))
            answer = {**response, **(answers or {}).get(int(op["id"]), {})}
            logs.append(self._log_row(op, outcome, remote_id, None, None, answer))
            self._count(self._count_key(op, outcome))
        sync_ledger.confirm_operations(connection, confirmed=[(int(op["id"]), rid) for op, rid, _ in confirmed])
        sync_ledger.record_pushed(connection, target=self.target.name, records=pushed)
        sync_source.set_applied_tags(connection, target=self.target.name, applied=tags_applied)
        sync_ledger.log_outcomes(connection, rows=logs)

    def _count_key(self, op: Mapping[str, Any], outcome: str) -> str:
        if op["kind"] == "tags":
            return f"{op['module']} tags set"
        return f"{op['module']} {outcome}"

    def _confirm_without_call(self, ops: list[dict[str, Any]]) -> None:
        """No-op operations (every change guarded away): the id map advances, nothing is sent."""
        if not ops:
            return
        with self.engine.begin() as connection:
            self._confirm(connection, [(op, op["remote_id"], "unchanged") for op in ops], response={"sent": False})

    def _back_to_pending(self, ids: list[int]) -> None:
        with self.engine.begin() as connection:
            sync_ledger.set_state(connection, ids=ids, state=outbox.PENDING)

    # --- tags -----------------------------------------------------------------------------------------------

    def _tag_phase(self, ops: list[dict[str, Any]]) -> None:
        if not ops:
            return
        with self.engine.connect() as connection:
            person_ids = sync_ledger.remote_ids(
                connection, target=self.target.name, golden_ids=[op["golden_id"] for op in ops]
            )
        ready = [op for op in ops if op["golden_id"] in person_ids]
        self._count("tags waiting for their record", len(ops) - len(ready))
        groups: dict[tuple[str, bool, str], list[dict[str, Any]]] = {}
        for op in ready:
            for add, tags in ((True, op["payload"].get("add", [])), (False, op["payload"].get("remove", []))):
                for tag in tags:
                    groups.setdefault((op["module"], add, tag), []).append(op)
        total = sum(len(group) for group in groups.values())
        done = 0
        self.progress("tags", 0, total)
        errors: dict[int, WriteOutcome] = {}
        sent: set[int] = set()
        unanswered: set[int] = set()
        for (module, add, tag), group in groups.items():
            for start in range(0, len(group), BATCH_SIZE):
                chunk = [op for op in group[start : start + BATCH_SIZE] if int(op["id"]) not in unanswered]
                if not chunk:
                    continue
                self._check_budget(1)
                self._heartbeat()
                ids = [int(op["id"]) for op in chunk]
                with self.engine.begin() as connection:
                    sync_ledger.set_state(
                        connection,
                        ids=[i for i in ids if i not in sent],
                        state=outbox.IN_FLIGHT,
                        run_id=self._run_id,
                        count_attempt=True,
                    )
                sent.update(ids)
                self._count(SENT, len(chunk))
                try:
                    answers = self.target.change_tags(
                        module, add=add, tag=tag, remote_ids=[person_ids[op["golden_id"]] for op in chunk]
                    )
                except CreditBudgetExceeded as exc:
                    self._back_to_pending([i for i in sent if i not in errors])
                    raise _Stop(f"credit budget: {exc}") from exc
                except AuthError:
                    self._back_to_pending(list(sent))
                    raise
                except (ApiError, OSError) as exc:
                    # Adding or removing a tag twice changes nothing: these go back to pending, resent later.
                    log.warning("sync.tags_unanswered", tag=tag, records=len(chunk), error=str(exc))
                    unanswered.update(ids)
                    continue
                for op in chunk:
                    answer = answers.get(person_ids[op["golden_id"]])
                    if answer is None or not answer.ok:
                        errors[int(op["id"])] = answer or WriteOutcome(False, code="NOT_CONFIRMED")
                done += len(chunk)
                self.progress("tags", done, total)
        with self.engine.begin() as connection:
            self._confirm(
                connection,
                [
                    (op, person_ids[op["golden_id"]], "tags set")
                    for op in ready
                    if int(op["id"]) not in errors and int(op["id"]) not in unanswered
                ],
                response={"status": "success"},
            )
            sync_ledger.set_state(
                connection,
                ids=sorted(unanswered),
                state=outbox.PENDING,
                error=("TRANSIENT", "tag call unanswered", None),
            )
            for op_id, answer in errors.items():
                sync_ledger.set_state(
                    connection,
                    ids=[op_id],
                    state=outbox.FAILED,
                    error=(answer.code, answer.message, dict(answer.details)),
                )

    # --- reconcile ------------------------------------------------------------------------------------------

    def _reconcile_in_flight(self) -> None:
        with self.engine.connect() as connection:
            stuck = sync_ledger.operations_in_state(connection, target=self.target.name, states=[outbox.IN_FLIGHT])
        if stuck:
            log.info("sync.reconcile", operations=len(stuck))
            self._count("reconciled after a crash", len(stuck))
            self._reconcile(stuck, reason=("RESPONSE_LOST", "left in flight by an earlier run"))

    def _reconcile(self, ops: Sequence[dict[str, Any]], *, reason: tuple[str, str]) -> None:
        """Look up each in-flight write: confirmed if the target holds exactly what was sent, else pending."""
        writes = [op for op in ops if op["kind"] != "tags" and op["method"] != "none"]
        others = [int(op["id"]) for op in ops if op["kind"] == "tags" or op["method"] == "none"]
        with self.engine.begin() as connection:
            sync_ledger.set_state(connection, ids=others, state=outbox.PENDING, error=(reason[0], reason[1], None))
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for op in writes:
            groups.setdefault((op["module"], op["method"]), []).append(op)
        for (module, method), group in groups.items():
            by = self.ext if method == "upsert" else "id"
            keys = [op["golden_id"] if method == "upsert" else str(op["remote_id"]) for op in group]
            fields = sorted({name for op in group for name in op["payload"]} | {self.ext})
            needs = [op["depends_on"] for op in group if op["depends_on"]]
            with self.engine.connect() as connection:
                self._account_ids = sync_ledger.remote_ids(connection, target=self.target.name, golden_ids=needs)
            try:
                found = self.target.lookup(module, by=by, values=keys, fields=fields)
            except CreditBudgetExceeded as exc:
                raise _Stop(f"credit budget while reconciling: {exc}") from exc
            except (ApiError, OSError) as exc:
                # Still unknown: they stay in flight and are looked up again before any resend.
                log.warning("sync.reconcile_failed", module=module, records=len(group), error=str(exc))
                self._count("still in flight", len(group))
                continue
            confirmed: list[tuple[Mapping[str, Any], str | None, str]] = []
            resend: list[int] = []
            for op, key in zip(group, keys, strict=True):
                remote = found.get(key)
                if remote is not None and self._holds(remote, op):
                    confirmed.append((op, str(remote["id"]), "created" if op["action"] == "create" else "updated"))
                else:
                    resend.append(int(op["id"]))
            with self.engine.begin() as connection:
                self._confirm(connection, confirmed, response={"reconciled": True})
                sync_ledger.set_state(connection, ids=resend, state=outbox.PENDING, error=(reason[0], reason[1], None))
            self._count("confirmed by look-up", len(confirmed))

    def _holds(self, remote: Mapping[str, Any], op: Mapping[str, Any]) -> bool:
        for name, value in op["payload"].items():
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
        mapped = list(self.settings.zoho.field_map(module)) if module in ("Leads", "Contacts", "Accounts") else []
        specs = custom_field_specs(mapped, self.ext)
        key = f"sync:{self.target.name}:fields:{module}"
        names = sorted(spec.api_name for spec in specs)
        with self.engine.connect() as connection:
            if kv.get_value(connection, key=key) == names:
                return
        self.target.ensure_fields(module, specs)
        with self.engine.begin() as connection:
            kv.set_value(connection, key=key, value=names)

    def _log_row(
        self,
        op: Mapping[str, Any],
        outcome: str,
        remote_id: str | None,
        code: str | None,
        message: str | None,
        response: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        return {
            "run_id": self._run_id,
            "outbox_id": op["id"],
            "target": self.target.name,
            "golden_id": op["golden_id"],
            "module": op["module"],
            "remote_id": remote_id,
            "action": op["action"],
            "payload_hash": op["payload_hash"],
            "outcome": outcome,
            "code": code,
            "message": message,
            "response": dict(response) if response is not None else None,
        }

    def _count(self, key: str, n: int = 1) -> None:
        if self._report is not None and n:
            self._report.counts[key] += n
