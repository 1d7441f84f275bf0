"""Apply record merges exactly once: plan → ``record_merges`` outbox → the target's merge → links moved.

Each merge is marked in flight in its own transaction before it is sent, and confirmed in the transaction
that points the store's links at the master. A merge found in flight (a crash, or an answer lost after the
target committed) is first checked at the target: when the losers are gone (merged, in the recycle bin) it
is confirmed without a call; when they are all still there it is sent again; anything else fails with a
reason, never a second merge.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Engine

from leadflow.errors import ApiError, AuthError, LeadflowError, RateLimited, ResponseLost, TransientError
from leadflow.log import get_logger
from leadflow.store import golden_merges, merge_links, merge_sources, record_merges, sync_ledger
from leadflow.store.record_merges import MergeRow, MergeState
from leadflow.sync.merge_plan import MergePlan, RecordMerge, RemoteRecord, grouped, plan_person
from leadflow.sync.target import CallCost

log = get_logger(__name__)
MAX_ATTEMPTS = 5


class MergeTarget(Protocol):
    """What a target supplies to merge its records."""

    @property
    def name(self) -> str: ...

    @property
    def field_sources(self) -> Mapping[str, Mapping[str, str]]:
        """Per module: target field -> golden column it is synced from (where ``keep`` values come from)."""
        ...

    @property
    def per_call(self) -> int:
        """How many records one merge call folds into the master."""
        ...

    def read(self, module: str, record_id: str) -> RemoteRecord | None:
        """The record as it is now, ``None`` when it no longer exists (merged, deleted, converted)."""
        ...

    def apply(self, merge: MergeRow) -> dict[str, Any]:
        """Make the merge; what the target answered. Raises ApiError when refused or when the answer is lost."""
        ...

    def settled(self, merge: MergeRow) -> bool | None:
        """After an uncertain attempt: True when the merge happened, False when nothing of it did (safe to send
        again), None when the master is gone (it cannot be made)."""
        ...

    def usage(self) -> CallCost: ...


@dataclass
class MergeReport:
    """What one apply did: counts, calls and credits, and each failure with the target's code and message."""

    plan: MergePlan
    counts: Counter[str] = field(default_factory=Counter)
    calls: int = 0
    credits: int = 0
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (key, code, message)
    uncertain: int = 0  # sent, answer lost: checked at the target by the next run


class MergeRunner:
    """Plans and applies one target's merges.

    Example:
        >>> runner = MergeRunner(engine, ZohoMerger(zoho, settings.sync.zoho))  # doctest: +SKIP
        >>> report = runner.apply(runner.plan_crm_duplicates(), run_id=run_id)  # doctest: +SKIP
    """

    def __init__(self, engine: Engine, target: MergeTarget, *, on_step: Callable[[str], None] | None = None) -> None:
        self.engine = engine
        self.target = target
        self.name = target.name
        self.step = on_step or (lambda _text: None)
        self._read_cache: dict[tuple[str, str], RemoteRecord] = {}  # records read while planning

    # --- planning ---------------------------------------------------------------------------------------------

    def plan_crm_duplicates(self, *, external_id_field: str = "Leadflow_ID") -> MergePlan:
        """Golden people whose cluster holds two or more CRM records (``crm_cluster_members`` and the person's
        own CRM link): each left with one record.

        A Lead leadflow wrote for the person (the id map points at it, or it carries the person's id in
        ``external_id_field``) beside a Contact is left to the sync's Lead-to-Contact conversion
        (``[sync.zoho] lead_matched_to_contact``) and listed, so the two paths never both act on it.
        """
        with self.engine.connect() as connection:
            groups = grouped(merge_sources.crm_cluster_records(connection))
            groups = {gid: records for gid, records in groups.items() if len(records) > 1}
            people = merge_sources.golden_people_by_id(connection, ids=list(groups))
            pushed = merge_sources.remote_records(connection, target=self.name, golden_ids=set(groups))
        plan = self._plan(groups, people, {})
        kept: list[RecordMerge] = []
        for merge in plan.merges:
            lead = merge.loser_ids[0]
            if merge.action == "convert_into_contact" and (
                pushed.get(merge.golden_id) == ("Leads", lead)
                or self._carries(lead, merge.golden_id, external_id_field)
            ):
                plan.left.append(
                    f"{merge.golden_id}: Lead {lead} (written by leadflow) and Contact {merge.master_id}: left to the"
                    " sync's Lead-to-Contact conversion ([sync.zoho] lead_matched_to_contact)"
                )
                continue
            kept.append(merge)
        plan.merges = kept
        return plan

    def _carries(self, lead_id: str, golden_id: str, external_id_field: str) -> bool:
        record = self._read_cache.get(("Leads", lead_id))
        return record is not None and record.values.get(external_id_field) == golden_id

    def plan_own_records_matched(self) -> MergePlan:
        """Golden people holding a record leadflow wrote (the id map names it) that resolve has since matched to
        an existing record of the same module: each is left with one record, the older one as a rule.

        Week 1 a file brings a person with nothing that matches the CRM yet: the sync creates a Lead. Week 2 a
        file carries the evidence that joins the person to a Lead Zoho already had: one run over both files
        would have updated that Lead, so the two records merge. A leadflow Lead beside a Contact is left to the
        Lead-to-Contact conversion (``[sync.zoho] lead_matched_to_contact``)."""
        with self.engine.connect() as connection:
            clusters = grouped(merge_sources.crm_cluster_records(connection))
            pushed = merge_sources.remote_records(connection, target=self.name, golden_ids=set(clusters))
            groups: dict[str, list[tuple[str, str]]] = {}
            for golden_id, own in pushed.items():
                same_module = [record for record in clusters[golden_id] if record[0] == own[0]]
                if any(record != own for record in same_module):
                    groups[golden_id] = [own, *(record for record in same_module if record != own)]
            people = merge_sources.golden_people_by_id(connection, ids=list(groups))
        return self._plan(groups, people, {})

    def plan_golden_merges(self) -> MergePlan:
        """Records at the target of golden people a later resolve merged into another: each survivor is left
        with one record (its own, or a retired one's when that one is the better master)."""
        with self.engine.connect() as connection:
            orphans = merge_sources.orphaned_records(connection, target=self.name)
            survivors = golden_merges.survivors(connection, orphans)
            own = merge_sources.remote_records(connection, target=self.name, golden_ids=set(survivors.values()))
            pairs: list[tuple[str, tuple[str, str]]] = []
            retired: dict[str, list[str]] = {}
            for retired_id, survivor in sorted(survivors.items()):
                if survivor in own:
                    pairs.append((survivor, own[survivor]))
                pairs.append((survivor, orphans[retired_id]))
                retired.setdefault(survivor, []).append(retired_id)
            groups = grouped(pairs)
            people = merge_sources.golden_people_by_id(connection, ids=list(groups))
        plan = self._plan(groups, people, retired)
        return plan

    def _plan(
        self,
        groups: Mapping[str, list[tuple[str, str]]],
        people: Mapping[str, Mapping[str, Any]],
        retired: Mapping[str, list[str]],
    ) -> MergePlan:
        plan = MergePlan(self.name)
        for golden_id, members in sorted(groups.items()):
            self.step(f"reading {len(members)} records of {golden_id}")
            found = [self.target.read(module, record_id) for module, record_id in members]
            self._read_cache.update({(m, i): r for (m, i), r in zip(members, found, strict=True) if r is not None})
            records = [r for r in found if r is not None]
            missing = [f"{m} {i}" for (m, i), r in zip(members, found, strict=True) if r is None]
            if len(records) < 2:
                if missing:
                    plan.left.append(f"{golden_id}: {', '.join(missing)} no longer at {self.name}; nothing to merge")
                if retired.get(golden_id):  # one record (or none) holds the person already: the id map follows
                    held = records[0] if records else None
                    plan.relinks.append(
                        RecordMerge(
                            self.name,
                            "relink",
                            held.module if held else "",
                            golden_id,
                            held.id if held else "",
                            [],
                            retired_ids=list(retired[golden_id]),
                            master_module=held.module if held else "",
                        )
                    )
                continue
            plan.merges += plan_person(
                self.name,
                golden_id,
                records,
                people.get(golden_id, {}),
                self.target.field_sources,
                retired_ids=retired.get(golden_id, []),
                per_call=self.target.per_call,
            )
        return plan

    # --- applying ---------------------------------------------------------------------------------------------

    def apply(self, plan: MergePlan, *, run_id: int | None, heartbeat: Callable[[], None] | None = None) -> MergeReport:
        """Put ``plan``'s merges in the outbox and make every open merge of the target (earlier runs' too);
        ``heartbeat`` is called before each (it renews the caller's lock, and raises when the lock was lost)."""
        report = MergeReport(plan)
        before = self.target.usage()
        try:
            with self.engine.begin() as connection:
                added, known = record_merges.enqueue(
                    connection, merges=[_outbox_row(m) for m in plan.merges], run_id=run_id
                )
                open_rows = record_merges.open_merges(connection, target=self.name)
            report.counts["merges planned"] = added
            if plan.relinks:
                with self.engine.begin() as connection:
                    for relink in plan.relinks:
                        merge_links.point_links_at_master(connection, merge=relink, master_module=relink.master_module)
                report.counts["records of merged golden people relinked (nothing to merge)"] = len(plan.relinks)
            if known:
                report.counts["merges already in the outbox"] = known
            for row in open_rows:
                if heartbeat is not None:
                    heartbeat()
                self._one(row, report, run_id)
        finally:
            after = self.target.usage()
            report.calls, report.credits = after.calls - before.calls, after.credits - before.credits
        return report

    def _one(self, row: MergeRow, report: MergeReport, run_id: int | None) -> None:
        if row.state == MergeState.IN_FLIGHT:
            settled = self.target.settled(row)
            if settled is True:
                self._confirm(row, {"found": "merged at the target (an earlier answer was lost)"}, report, run_id)
                report.counts["merges found done (not sent again)"] += 1
                return
            if settled is None:
                self._fail(row, "MASTER_GONE", f"{row.module} {row.master_id} no longer exists", report, run_id)
                return
        if row.attempts >= MAX_ATTEMPTS:
            self._fail(row, "TOO_MANY_ATTEMPTS", f"sent {row.attempts} times without an answer", report, run_id)
            return
        with self.engine.begin() as connection:
            record_merges.mark_in_flight(connection, merge_id=row.id, run_id=run_id)
        try:
            result = self.target.apply(row)
        except ApiError as exc:
            if _uncertain(exc):
                report.uncertain += 1
                report.counts["merges sent, answer lost (checked next run)"] += 1
                log.warning("merge.uncertain", key=row.key, error=str(exc))
                return
            self._fail(row, exc.vendor_code or f"HTTP_{exc.status}", exc.message, report, run_id, exc.details)
            return
        except LeadflowError as exc:
            self._fail(row, type(exc).__name__, str(exc), report, run_id)
            return
        self._confirm(row, result, report, run_id)

    def _confirm(self, row: MergeRow, result: Mapping[str, Any], report: MergeReport, run_id: int | None) -> None:
        master_module = str(result.get("master_module") or _master_module(row))
        outcome = "merged" if row.action == "merge" else "converted"
        with self.engine.begin() as connection:
            record_merges.confirm(connection, merge_id=row.id, result=result)
            merge_links.point_links_at_master(connection, merge=row, master_module=master_module)
            sync_ledger.log_outcomes(connection, rows=[_log_row(row, run_id, outcome, None, None, dict(result))])
        if row.action == "merge":
            report.counts[f"{row.module} merged"] += len(row.loser_ids)
        else:
            report.counts["Leads converted into their Contact"] += 1

    def _fail(
        self,
        row: MergeRow,
        code: str,
        message: str,
        report: MergeReport,
        run_id: int | None,
        details: Any = None,
    ) -> None:
        with self.engine.begin() as connection:
            record_merges.fail(connection, merge_id=row.id, code=code, message=message, details=details)
            answer = {"details": details} if details is not None else None
            sync_ledger.log_outcomes(connection, rows=[_log_row(row, run_id, "failed", code, message, answer)])
        report.failures.append((row.key, code, message))
        report.counts[f"{row.module} merges failed"] += 1
        log.warning("merge.failed", key=row.key, code=code, message=message)


def _log_row(
    row: MergeRow, run_id: int | None, outcome: str, code: str | None, message: str | None, answer: Any
) -> dict[str, Any]:
    """A ``sync_log`` row, so ``leadflow runs show`` lists merges (and refusals) with the run's other records."""
    return {
        "run_id": run_id,
        "target": row.target,
        "golden_id": row.golden_id,
        "module": row.module,
        "remote_id": row.master_id,
        "action": "merge" if row.action == "merge" else "convert",
        "outcome": outcome,
        "code": code[:64] if code else None,
        "message": message,
        "response": {"losers": row.loser_ids, **(answer or {})},
    }


def _uncertain(exc: ApiError) -> bool:
    return isinstance(exc, ResponseLost | TransientError | RateLimited | AuthError)


def _master_module(row: MergeRow) -> str:
    return "Contacts" if row.action == "convert_into_contact" else row.module


def _outbox_row(merge: RecordMerge) -> dict[str, Any]:
    return {
        "key": merge.key,
        "target": merge.target,
        "action": merge.action,
        "module": merge.module,
        "golden_id": merge.golden_id,
        "master_id": merge.master_id,
        "loser_ids": merge.loser_ids,
        "retired_ids": merge.retired_ids,
        "keep": merge.keep,
    }


def merge_own_records_matched(
    engine: Engine, target: MergeTarget, *, run_id: int | None, heartbeat: Callable[[], None] | None = None
) -> Counter[str]:
    """The sync's step before its plan, after :func:`merge_golden_records`: a record leadflow wrote for a person
    resolve has since matched to an existing record of the same module is merged with it (through the merge
    outbox, exactly once), so the file-by-file flow ends with the one record a single run would have used.

    Example:
        >>> merge_own_records_matched(engine, ZohoMerger(zoho), run_id=run_id)  # doctest: +SKIP
        Counter({'Leads merged': 1})
    """
    runner = MergeRunner(engine, target)
    return _counts(runner.apply(runner.plan_own_records_matched(), run_id=run_id, heartbeat=heartbeat))


def _counts(report: MergeReport) -> Counter[str]:
    for key, code, message in report.failures:
        log.warning("sync.merge_failed", key=key, code=code, message=message)
    return Counter({name: n for name, n in report.counts.items() if n and name != "merges planned"})


def merge_golden_records(
    engine: Engine, target: MergeTarget, *, run_id: int | None, heartbeat: Callable[[], None] | None = None
) -> Counter[str]:
    """The sync's step before its plan: records at the target of golden people a later resolve merged into
    another are merged into one (through the merge outbox, exactly once), so the plan finds the survivor in the
    id map and no orphan is left. Returns counts for the sync report (refusals as ``<module> merges failed``).

    Example:
        >>> merge_golden_records(engine, ZohoMerger(zoho), run_id=run_id)  # doctest: +SKIP
        Counter({'Leads merged': 1})
    """
    runner = MergeRunner(engine, target)
    return _counts(runner.apply(runner.plan_golden_merges(), run_id=run_id, heartbeat=heartbeat))
