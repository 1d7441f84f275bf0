"""The demo's second half: leadflow's tracking service in this process, subscribed to both emulators, a simulated
week of engagement on the synced people, and what came back (events, Zoho activities, conversions, Deals moved,
score changes, suppression).

The service is the app of ``leadflow serve`` (``create_app(settings)``) on a free loopback port, its worker a
thread beside it; GoHighLevel's emulator signs its webhooks with its own keys, which the service is given as
``[ghl] webhook_public_key``, and Zoho's emulator notifies it through a watch channel with a token of this run.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from leadflow.config import Settings
    from leadflow.pipeline.demo_week import Backlog, ScoreChange, SimulatedWeek
    from leadflow.pipeline.emulator import EmulatorProcess
    from leadflow.sync.runner import SyncReport

CHANNEL_ID = "1000000068001"
WATCHED = ["Leads.all", "Contacts.all", "Deals.all", "Accounts.all"]
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


@dataclass
class WeekSummary:
    """What the week did and what came back, for the summary table."""

    end: datetime
    simulated: SimulatedWeek
    deliveries: int
    events: dict[str, int]
    events_total: dict[str, int]
    zoho_before: dict[str, int]
    zoho_after: dict[str, int]
    changes: list[ScoreChange]
    suppressed: list[ScoreChange]
    opted_out: int
    ghl_dnd: int
    pushed: tuple[SyncReport | None, SyncReport | None]
    notes: list[str] = field(default_factory=list)

    def written(self, module: str) -> int:
        return self.zoho_after.get(module, 0) - self.zoho_before.get(module, 0)


def service_settings(settings: Settings, ghl: EmulatorProcess, channel_token: str) -> Settings:
    """``settings`` for the service: the GHL emulator's public keys verify its webhooks, the channel's token
    checks Zoho's notifications."""
    keys = ghl.http.get("/_emulator/webhooks/keys").json()
    ghl_section = settings.ghl.model_copy(
        update={"webhook_public_key": keys["ed25519"], "webhook_legacy_public_key": keys["rsa"]}
    )
    tracking = settings.tracking.model_copy(
        update={"zoho_channel_id": CHANNEL_ID, "zoho_channel_token": SecretStr(channel_token)}
    )
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
    from uvicorn.importer import import_from_string

    from leadflow import pipeline
    from leadflow.ghl.client import GhlClient
    from leadflow.pipeline import demo_week as week
    from leadflow.pipeline.service import ServiceThread
    from leadflow.pipeline.track import tracking_worker
    from leadflow.store.runs import utcnow
    from leadflow.zoho.client import ZohoClient

    _seed_ghl(ghl_emulator)
    token = secrets.token_hex(16)
    served = service_settings(settings, ghl_emulator, token)
    # cli and web are layers apart: the app factory is named, as `leadflow serve` names it to uvicorn
    create_app = import_from_string("leadflow.web.app:create_app")
    before = week.score_snapshot(engine)
    started = utcnow()
    with ZohoClient.from_settings(settings, engine) as zoho, GhlClient.from_settings(settings, engine) as ghl:
        zoho_before = week.zoho_counts(zoho)
        worker, rescore = tracking_worker(engine, served, as_of=end)
        stop = threading.Event()
        thread = threading.Thread(target=worker.run_forever, args=(stop,), kwargs={"idle_seconds": 0.1}, daemon=True)
        with ServiceThread(create_app(served)) as service, _bars(console) as bars:
            thread.start()
            try:
                ghl_emulator.http.post(
                    "/_emulator/webhooks", json={"urls": [f"{service.base_url}/webhooks/ghl"], "retry_interval": 1.0}
                ).raise_for_status()
                zoho.watch.enable(CHANNEL_ID, WATCHED, f"{service.base_url}/webhooks/zoho", token=token)
                steps = week.plan(engine, end)
                simulating = bars.add_task("simulate week", total=len(steps), amount="")
                simulated = week.simulate(
                    ghl_emulator.http,
                    steps,
                    lambda done: bars.update(simulating, completed=done, amount=f"{done:,} / {len(steps):,} steps"),
                )
                baseline = week.backlog(engine, ghl_emulator.http).done
                settling = bars.add_task("tracking", total=None, amount="")

                def show(now: Backlog) -> None:
                    taken = now.done - baseline
                    bars.update(
                        settling,
                        completed=taken,
                        total=taken + now.waiting + now.sending,
                        amount=f"{taken:,} deliveries processed, {now.waiting + now.sending:,} to go",
                    )

                week.wait_until_settled(
                    engine, ghl_emulator.http, zoho_emulator.http, timeout=SETTLE_TIMEOUT, on_progress=show
                )
                rescore.flush()
                pushed = pipeline.push(settings, engine, targets=("zoho", "ghl"), progress=_push_progress(bars))
                week.wait_until_settled(
                    engine, ghl_emulator.http, zoho_emulator.http, timeout=SETTLE_TIMEOUT, on_progress=show
                )
                deliveries = week.backlog(engine, ghl_emulator.http).done - baseline
            finally:
                stop.set()
                thread.join(timeout=30)
                ghl_emulator.http.post("/_emulator/webhooks", json={"urls": []})
        after = week.score_snapshot(engine)
        changes = week.score_changes(before, after)
        suppressed = week.newly_suppressed(changes)
        now_suppressed = [golden for golden, line in after.items() if line.suppressed]
        summary = WeekSummary(
            end=end,
            simulated=simulated,
            deliveries=deliveries,
            events=week.events_by_type(engine, since=started),
            events_total=week.events_by_type(engine),
            zoho_before=zoho_before,
            zoho_after=week.zoho_counts(zoho),
            changes=changes,
            suppressed=suppressed,
            opted_out=week.zoho_opted_out(zoho),
            ghl_dnd=week.ghl_email_dnd(ghl, week.ghl_ids(engine, now_suppressed).values()),
            pushed=pushed,
        )
    return summary


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
    table.add_row("webhooks and notifications processed by the service", f"{summary.deliveries:,}")
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
    table.add_row("Zoho Notes / Tasks / Calls / Events written", f"{written} (Zoho now holds {held})")
    table.add_row(
        "Leads converted (Contact + Account + Deal)",
        f"{summary.written('Deals'):,} (Zoho now holds {summary.zoho_after.get('Deals', 0):,} Deals)",
    )
    table.add_row("GoHighLevel opportunity stage moves", f"{events.get('deal_stage_changed', 0):,}")
    table.add_row("people whose score changed", f"{len(summary.changes):,}")
    for change in summary.changes[:5]:
        table.add_row(f"  {escape(change.after.name)}", f"{change.before.text()} -> {change.after.text()}")
    table.add_row(
        "people suppressed this week (bounce, unsubscribe)",
        f"{len(summary.suppressed):,}; Zoho Email_Opt_Out set on {summary.opted_out:,} records in all,"
        f" GoHighLevel Email DND on {summary.ghl_dnd:,} contacts",
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


def _kinds(counts: Any) -> str:
    return ", ".join(f"{n:,} {kind}" for kind, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])))

