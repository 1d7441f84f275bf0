"""The demo's second half: leadflow's tracking service in this process, subscribed to both emulators, a simulated
week of engagement on the synced people, and what came back (events, Zoho activities, conversions, Deals moved,
score changes, suppression).

The service is the app of ``leadflow serve`` (``create_app(settings)``) on a free loopback port, its worker a
thread beside it; GoHighLevel's emulator signs its webhooks with its own keys, which the service is given as
``[ghl] webhook_public_key``, and Zoho's emulator notifies it through a watch channel with a token of this run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from leadflow.config import Settings
    from leadflow.pipeline.demo_week import Backlog, ScoreChange, SimulatedWeek
    from leadflow.pipeline.emulator import EmulatorProcess
    from leadflow.sync.runner import SyncReport
    from leadflow.zoho.client import ZohoClient

CHANNEL_ID = "1000000068001"
DEAL_AMOUNT = 24_000.0
REP_STAGE = "Proposal/Price Quote"  # where "a sales rep" moves one Deal in Zoho
SETTLE_TIMEOUT = 120.0  # seconds for the service to take in and process the week, before the demo fails loudly
GHL_PIPELINE = {
    "id": "leadflowDemoPipeline1",
    "name": "Outbound",
    "stages": [
        {"id": "5b1c0f6e-0a7e-4f43-9d1e-000000000001", "name": "Meeting booked"},
        {"id": "5b1c0f6e-0a7e-4f43-9d1e-000000000002", "name": "Qualified"},
        {"id": "5b1c0f6e-0a7e-4f43-9d1e-000000000003", "name": "Proposal sent"},
        {"id": "5b1c0f6e-0a7e-4f43-9d1e-000000000004", "name": "Negotiation"},
    ],
}
GHL_CALENDAR = {"id": "leadflowDemoCalendar1", "name": "Discovery calls"}
STAGE_MAP = {  # GHL stage = Zoho Deal Stage
    "Meeting booked": "Qualification",
    "Qualified": "Needs Analysis",
    "Proposal sent": "Proposal/Price Quote",
    "Negotiation": "Negotiation/Review",
}


@dataclass
class WeekSummary:
    """What the week did and what came back, for the summary table."""

    end: datetime
    simulated: SimulatedWeek
    deliveries: int
    parked: int
    events: dict[str, int]
    events_total: dict[str, int]
    zoho_before: dict[str, int]
    zoho_after: dict[str, int]
    deal_stages: dict[str, int]
    rep_moved: str | None  # the Deal "a sales rep" moved in Zoho this run
    actions: dict[tuple[str, str], int]  # (kind, state) -> how many this run
    changes: list[ScoreChange]
    suppressed: list[ScoreChange]
    opted_out: int
    ghl_dnd: int
    pushed: tuple[SyncReport | None, SyncReport | None]

    def written(self, module: str) -> int:
        return self.zoho_after.get(module, 0) - self.zoho_before.get(module, 0)


def service_settings(settings: Settings, ghl: EmulatorProcess) -> Settings:
    """``settings`` for the service: the GHL emulator's public keys verify its webhooks; the demo's channel
    carries Zoho's notifications; the demo pipeline's stages map to Zoho's Deal stages; a converted Lead's Deal
    gets an amount."""
    from leadflow.config.tracking import StagePipeline

    keys = ghl.http.get("/_emulator/webhooks/keys").json()
    ghl_section = settings.ghl.model_copy(
        update={"webhook_public_key": keys["ed25519"], "webhook_legacy_public_key": keys["rsa"]}
    )
    tracking = settings.tracking
    stages = tracking.stages.model_copy(
        update={"pipelines": [StagePipeline(ghl_pipeline=GHL_PIPELINE["name"], stages=STAGE_MAP)]}
    )
    rules = tracking.rules.model_copy(update={"deal_amount": tracking.rules.deal_amount or DEAL_AMOUNT})
    tracking = tracking.model_copy(update={"zoho_channel_id": CHANNEL_ID, "stages": stages, "rules": rules})
    return settings.model_copy(update={"ghl": ghl_section, "tracking": tracking})


def run_week(
    console: Console,
    settings: Settings,
    engine: Engine,
    zoho_emulator: EmulatorProcess,
    ghl_emulator: EmulatorProcess,
    *,
    end: datetime,
) -> WeekSummary:
    """Start the service, subscribe it, simulate the week, wait until everything came back, push the new scores."""
    from leadflow import pipeline
    from leadflow.ghl.client import GhlClient
    from leadflow.pipeline import demo_week as week
    from leadflow.store.runs import utcnow
    from leadflow.zoho.client import ZohoClient

    _seed_ghl(ghl_emulator)
    served = service_settings(settings, ghl_emulator)
    before = week.score_snapshot(engine)
    started = utcnow()
    steps = week.plan(engine, end)
    with ZohoClient.from_settings(settings, engine) as zoho, GhlClient.from_settings(settings, engine) as ghl:
        zoho_before = week.zoho_counts(zoho)
        actions_before = week.action_counts(engine)
        with _bars(console) as bars, _running_service(served, engine, zoho, ghl_emulator, bars) as rescore:
            baseline, parked_before = week.backlog(engine, ghl_emulator.http).done, week.parked(engine)
            simulating = bars.add_task("simulate week", total=len(steps), amount="")
            show = _backlog_bar(bars, baseline)

            def settle() -> None:
                week.wait_until_settled(
                    engine, ghl_emulator.http, zoho_emulator.http, timeout=SETTLE_TIMEOUT, on_progress=show
                )

            simulated = week.SimulatedWeek()
            for steps_of_round in week.rounds(steps):
                on_batch = _steps_bar(bars, simulating, simulated.steps, len(steps))
                simulated.add(week.simulate(ghl_emulator.http, steps_of_round, on_batch))
                settle()
            rep_moved = week.rep_moves_a_deal(engine, zoho, REP_STAGE)
            if rep_moved:
                settle()
            rescore()
            pushed = pipeline.push(settings, engine, targets=("zoho", "ghl"), progress=_push_progress(bars))
            settle()
            deliveries = week.backlog(engine, ghl_emulator.http).done - baseline
        after = week.score_snapshot(engine)
        changes = week.score_changes(before, after)
        now_suppressed = [golden for golden, line in after.items() if line.suppressed]
        return WeekSummary(
            end=end,
            simulated=simulated,
            deliveries=deliveries,
            parked=week.parked(engine) - parked_before,
            events=week.events_by_type(engine, since=started),
            events_total=week.events_by_type(engine),
            zoho_before=zoho_before,
            zoho_after=week.zoho_counts(zoho),
            deal_stages=week.zoho_deal_stages(zoho),
            rep_moved=rep_moved,
            actions=week.action_delta(actions_before, week.action_counts(engine)),
            changes=changes,
            suppressed=week.newly_suppressed(changes),
            opted_out=week.zoho_opted_out(zoho),
            ghl_dnd=week.ghl_email_dnd(ghl, week.ghl_ids(engine, now_suppressed).values()),
            pushed=pushed,
        )


@contextmanager
def _running_service(
    served: Settings, engine: Engine, zoho: ZohoClient, ghl_emulator: EmulatorProcess, bars: Progress
) -> Iterator[Callable[[], object]]:
    """leadflow's tracking service in this process, as `leadflow serve` runs it: the app on a free loopback port,
    its worker and action runner in a thread, its Zoho channel enabled, GHL's webhooks pointed at it. Yields what
    brings pending re-scores up to date; stops it all (and GHL's webhooks) on the way out."""
    from uvicorn.importer import import_from_string

    from leadflow.pipeline.service import ServiceThread
    from leadflow.pipeline.track import channel_keeper, tracking_process

    # cli and web are layers apart: the app factory is named, as `leadflow serve` names it to uvicorn
    create_app = import_from_string("leadflow.web.app:create_app")
    process = tracking_process(engine, served)
    stop = threading.Event()
    worker = threading.Thread(target=process.run_forever, args=(stop,), kwargs={"idle_seconds": 0.1}, daemon=True)
    try:
        with ServiceThread(create_app(served)) as service:
            channel = channel_keeper(served, engine, zoho, service.base_url).check()  # token stored before any use
            bars.console.print(
                f"leadflow tracking service on {service.base_url}: GoHighLevel's webhooks at /webhooks/ghl (signed"
                f" with the emulator's keys), Zoho's notifications at /webhooks/zoho (channel {CHANNEL_ID},"
                f" {channel.action})",
                highlight=False,
            )
            worker.start()
            hooks = {"urls": [f"{service.base_url}/webhooks/ghl"], "retry_interval": 1.0}
            ghl_emulator.http.post("/_emulator/webhooks", json=hooks).raise_for_status()
            try:
                yield process.rescore.flush
            finally:
                ghl_emulator.http.post("/_emulator/webhooks", json={"urls": []})
                stop.set()
                if worker.is_alive():
                    worker.join(timeout=30)
    finally:
        process.close()


def _steps_bar(bars: Progress, task: TaskID, offset: int, total: int) -> Callable[[int], None]:
    def show(done: int) -> None:
        bars.update(task, completed=offset + done, amount=f"{offset + done:,} / {total:,} steps")

    return show


def _backlog_bar(bars: Progress, baseline: int) -> Callable[[Backlog], None]:
    task = bars.add_task("tracking", total=None, amount="")

    def show(now: Backlog) -> None:
        taken, to_go = now.done - baseline, now.waiting + now.sending + now.actions
        bars.update(
            task, completed=taken, total=taken + to_go, amount=f"{taken:,} deliveries processed, {to_go:,} to go"
        )

    return show


def _seed_ghl(ghl: EmulatorProcess) -> None:
    """The demo location's calendar and pipeline (the same ids every run: seeding again changes nothing)."""
    import json

    lines = [{"kind": "pipeline", "record": GHL_PIPELINE}, {"kind": "calendar", "record": GHL_CALENDAR}]
    reply = ghl.http.post("/_emulator/seed", content="\n".join(json.dumps(line) for line in lines))
    reply.raise_for_status()


def _bars(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<16}"),
        BarColumn(),
        TextColumn("{task.fields[amount]:>44}"),
        TimeElapsedColumn(),
        console=console,
    )


def _push_progress(bars: Progress) -> Any:
    from leadflow.pipeline.run import StageProgress

    tasks: dict[str, Any] = {}

    def show(step: StageProgress) -> None:
        label = step.stage.replace("sync ", "push ").replace("GHL ", "push GHL ")
        if step.stage not in tasks:
            tasks[step.stage] = bars.add_task(label, total=step.total, amount="")
        bars.update(tasks[step.stage], completed=step.done, total=step.total, amount=f"{step.done:,} / {step.total:,}")

    return show


def print_week(console: Console, summary: WeekSummary) -> None:
    from leadflow.pipeline.demo_week import engagement_only

    week, events = summary.simulated, summary.events
    table = Table("what", "how many", title="the week after the outreach", show_header=False)
    start = summary.end.strftime("%a %d %b %H:%M")
    if week.new:
        people = "" if not week.applied else f" ({_kinds(week.applied)})"
        table.add_row(f"engagement simulated on GoHighLevel (7 days to {start} UTC)", f"{week.new:,}{people}")
    else:
        table.add_row(
            "engagement simulated on GoHighLevel",
            f"none new: the week to {start} UTC was simulated on an earlier run ({week.duplicates:,} steps, each"
            " already applied once)",
        )
    if week.refused:
        table.add_row("  steps GoHighLevel refused", f"{len(week.refused):,} (e.g. {escape(week.refused[0])})")
    parked = (
        f" ({summary.parked:,} parked: about records linked to no person, e.g. a Lead after its conversion)"
        if summary.parked
        else ""
    )
    table.add_row("webhooks and notifications processed by the service", f"{summary.deliveries:,}{parked}")
    engagement = engagement_only(events)
    if engagement:
        table.add_row("engagement events stored", _kinds(engagement))
    else:
        stored = sum(engagement_only(summary.events_total).values())
        table.add_row("engagement events stored", f"none new ({stored:,} in the store from the earlier run)")
    bookkeeping = sum(events.values()) - sum(engagement.values())
    if bookkeeping:
        table.add_row(
            "record changes reported back", f"{bookkeeping:,} (GHL contacts and Zoho records, mostly leadflow's own)"
        )
    written = " / ".join(f"{summary.written(m):,}" for m in ("Notes", "Tasks", "Calls", "Events"))
    held = " / ".join(f"{summary.zoho_after.get(m, 0):,}" for m in ("Notes", "Tasks", "Calls", "Events"))
    table.add_row("Zoho Notes / Tasks / Calls / Events written", f"{written} (counted in Zoho; it now holds {held})")
    done = {kind: n for (kind, state), n in summary.actions.items() if state == "done"}
    table.add_row(
        "Leads converted (Contact + Account + Deal)",
        f"{done.get('convert', 0):,}; Zoho Deals {summary.zoho_before.get('Deals', 0):,} ->"
        f" {summary.zoho_after.get('Deals', 0):,}, {done.get('ghl_opportunity', 0):,} linked to a GHL opportunity",
    )
    moves = week.applied.get("stage_change", 0)
    table.add_row(
        "Deals moved (GHL opportunity stage -> Zoho Deal Stage)",
        f"{done.get('zoho_deal_stage', 0):,} of the {moves:,} simulated GHL stage moves (opportunities with no"
        " Deal are left alone)"
        if moves
        else f"{done.get('zoho_deal_stage', 0):,}",
    )
    by_rep = f" (a sales rep moved Deal {summary.rep_moved} to {REP_STAGE!r} in Zoho)" if summary.rep_moved else ""
    table.add_row(
        "GHL opportunities moved (Zoho Deal Stage -> GHL stage)", f"{done.get('ghl_opportunity_stage', 0):,}{by_rep}"
    )
    if summary.deal_stages:
        table.add_row("  Zoho Deals by Stage", _kinds(summary.deal_stages))
    failed = {kind: n for (kind, state), n in summary.actions.items() if state == "failed"}
    if failed:
        table.add_row("[red]writes that failed[/]", f"[red]{_kinds(failed)}[/] (see `leadflow track status`)")
    table.add_row("people whose score changed", f"{len(summary.changes):,}")
    for change in summary.changes[:5]:
        table.add_row(f"  {escape(change.after.name)}", f"{change.before.text()} -> {change.after.text()}")
    table.add_row(
        "people newly suppressed (hard bounce, unsubscribe)",
        f"{len(summary.suppressed):,}; in all, Zoho has Email_Opt_Out set on {_count(summary.opted_out, 'record')},"
        f" GoHighLevel Email DND on {_count(summary.ghl_dnd, 'contact')}",
    )
    to_zoho, to_ghl = summary.pushed
    for where, report in (("Zoho", to_zoho), ("GHL", to_ghl)):
        if report is not None:
            updated = sum(v for k, v in report.counts.items() if k.endswith(" updated"))
            table.add_row(f"{where} records given the new scores and tags", f"{updated:,} ({report.calls:,} calls)")
    console.print(table)
    if not week.new and not summary.deliveries and all(r is None or r.wrote_nothing for r in summary.pushed):
        console.print(
            "[green]the week had already come back: nothing new simulated, no delivery to process, no record"
            " written[/] (the Zoho watch channel was renewed for this run's service)"
        )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _kinds(counts: Any) -> str:
    return ", ".join(f"{n:,} {kind}" for kind, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])))
