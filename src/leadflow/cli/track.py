"""``leadflow serve``, ``leadflow worker`` and ``leadflow track ...``: the tracking service and its state."""

from __future__ import annotations

import os
import signal
import threading
from typing import Annotated

import typer

from leadflow.cli.context import app_context

track_app = typer.Typer(help="The tracking service's backlog, failures and retries.", no_args_is_help=True)


def serve_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8080,
    workers: Annotated[int, typer.Option(min=1, help="Web processes (uvicorn workers).")] = 1,
    worker: Annotated[bool, typer.Option("--worker/--no-worker", help="Process events in this process too.")] = True,
) -> None:
    """Serve the webhook intake (GHL and Zoho), /healthz and /metrics; process stored events in the background."""
    import uvicorn

    from leadflow.pipeline.track import start_worker_thread

    context = app_context(ctx)
    settings = context.settings
    base = f"http://{host}:{port}"
    console = context.console
    console.print(f"leadflow tracking service on {base}", highlight=False)
    console.print(f"  GoHighLevel webhooks   {base}/webhooks/ghl  (signature checked with [ghl] webhook keys)")
    console.print(
        f"  Zoho notifications     {base}/webhooks/zoho  (channel {settings.tracking.zoho_channel_id or 'not set'})"
    )
    secret = "set" if settings.tracking.zoho_workflow_secret else "NOT SET: set LEADFLOW_TRACKING_ZOHO_WORKFLOW_SECRET"
    console.print(
        f"  Zoho workflow webhooks {base}/webhooks/zoho/workflow?secret=<LEADFLOW_TRACKING_ZOHO_WORKFLOW_SECRET>"
        f"  (secret {secret}; paste this URL into Zoho: Setup > Automation > Actions > Webhooks)",
        highlight=False,
    )
    console.print(f"  health {base}/healthz, metrics {base}/metrics", highlight=False)
    thread = stop = None
    if worker:
        thread, stop = start_worker_thread(context.engine, settings)
    # The web processes build their app from the same config file (cli and web are layers apart: the app is
    # named to uvicorn, not imported here).
    if context.runtime.config.in_use:
        os.environ["LEADFLOW_CONFIG"] = str(context.config_file)
    try:
        uvicorn.run(
            "leadflow.web.app:create_app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
        )
    finally:
        if stop is not None and thread is not None:
            stop.set()
            thread.join(timeout=30)


def worker_command(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Process what is waiting, then stop.")] = False,
) -> None:
    """Process stored webhook events and perform the Zoho actions they call for (more processes share the
    queue on PostgreSQL)."""
    from leadflow.pipeline.track import tracking_process

    context = app_context(ctx)
    process = tracking_process(context.engine, context.settings)
    try:
        if once:
            process.drain()
        else:
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            try:
                process.run_forever(stop)
            except KeyboardInterrupt:
                stop.set()
                process.drain()
        process.rescore.flush()
    finally:
        process.close()
    tally, actions = process.events, process.actions
    context.console.print(
        f"deliveries processed {tally.processed:,}, ignored {tally.ignored:,}, parked {tally.parked:,},"
        f" failed {tally.failed:,}; engagement events stored {tally.events_stored:,};"
        f" people re-scored {len(tally.people):,}",
        highlight=False,
    )
    kinds = ", ".join(f"{kind} {n:,}" for kind, n in sorted(actions.by_kind.items())) or "none"
    context.console.print(
        f"Zoho actions done {actions.done:,} ({kinds}; found from an earlier attempt {actions.adopted:,}),"
        f" skipped {actions.skipped:,}, to retry {actions.retried + actions.waiting:,}, failed {actions.failed:,}",
        highlight=False,
    )


@track_app.command("status")
def status_command(ctx: typer.Context) -> None:
    """Backlog, lag, and failures by reason."""
    from leadflow.store import tracking as repo
    from leadflow.store import tracking_actions as actions_repo
    from leadflow.store.runs import utcnow

    context = app_context(ctx)
    with context.engine.connect() as connection:
        counts = repo.counts(connection)
        oldest = repo.oldest_waiting(connection)
        failures = repo.failures_by_reason(connection)
        dead = repo.dead_letter_count(connection)
        action_counts = actions_repo.counts(connection)
        by_kind = actions_repo.counts_by_kind(connection)
        oldest_action = actions_repo.oldest_waiting(connection)
        action_failures = actions_repo.failures_by_reason(connection)
    console = context.console
    waiting = counts.get(repo.RECEIVED, 0) + counts.get(repo.PROCESSING, 0)
    lag = f"{(utcnow() - oldest).total_seconds():,.1f} s" if oldest else "none"
    console.print(f"backlog      {waiting:,} deliveries waiting (oldest: {lag})", highlight=False)
    for state in (repo.PROCESSED, repo.IGNORED, repo.PARKED, repo.FAILED):
        console.print(f"{state:<12} {counts.get(state, 0):,}", highlight=False)
    console.print(f"dead letters {dead:,} (bodies that were not JSON)", highlight=False)
    for reason, n in sorted(failures.items(), key=lambda item: -item[1]):
        console.print(f"  failed: {n:,} x {reason}", highlight=False)
    waiting_actions = action_counts.get(actions_repo.PENDING, 0) + action_counts.get(actions_repo.IN_FLIGHT, 0)
    action_lag = f"{(utcnow() - oldest_action).total_seconds():,.1f} s" if oldest_action else "none"
    console.print(f"Zoho actions {waiting_actions:,} waiting (oldest: {action_lag})", highlight=False)
    for kind in sorted({kind for kind, _ in by_kind}):
        line = ", ".join(
            f"{state} {by_kind[(kind, state)]:,}" for state in actions_repo.STATES if (kind, state) in by_kind
        )
        console.print(f"  {kind:<10} {line}", highlight=False)
    for reason, n in sorted(action_failures.items(), key=lambda item: -item[1]):
        console.print(f"  failed action: {n:,} x {reason}", highlight=False)


@track_app.command("retry")
def retry_command(
    ctx: typer.Context,
    failed: Annotated[
        bool, typer.Option("--failed", help="Put failed deliveries and failed Zoho actions back in the queue.")
    ] = False,
    parked: Annotated[bool, typer.Option("--parked", help="Put parked deliveries (person unknown) back.")] = False,
) -> None:
    """Queue failed (or parked) deliveries again; the worker applies each once."""
    from leadflow.errors import InputError
    from leadflow.store import tracking as repo
    from leadflow.store import tracking_actions as actions_repo

    if not failed and not parked:
        raise InputError("say what to retry: --failed, --parked or both")
    context = app_context(ctx)
    with context.engine.begin() as connection:
        again = (repo.retry_failed(connection) if failed else 0) + (repo.unpark(connection) if parked else 0)
        actions = actions_repo.retry_failed(connection) if failed else 0
    context.console.print(f"{again:,} deliveries queued again", highlight=False)
    if failed:
        context.console.print(
            f"{actions:,} Zoho actions queued again (each looks in Zoho for an earlier attempt first)", highlight=False
        )
