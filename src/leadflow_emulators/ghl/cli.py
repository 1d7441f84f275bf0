"""``python -m leadflow_emulators ghl --port N --db FILE --token TOKEN --location-id LOC [--seed FILE]
[--webhook-url URL]... [--signing-key-dir DIR]`` (``--port 0`` picks a free port and prints it)."""

from __future__ import annotations

import argparse
from pathlib import Path

from leadflow_emulators.common.cli import EmulatorCommand, add_server_arguments, serve
from leadflow_emulators.common.control import parse_seed_lines
from leadflow_emulators.ghl.app import create_app
from leadflow_emulators.ghl.models import GhlBackend
from leadflow_emulators.ghl.models.backend import DEFAULT_LOCATION_ID, DEFAULT_TOKEN
from leadflow_emulators.ghl.signing import SigningKeys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_server_arguments(parser, default_port=8020)
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="Private Integration Token of the location")
    parser.add_argument("--location-id", default=DEFAULT_LOCATION_ID, help="the sub-account's location id")
    parser.add_argument(
        "--seed",
        default=None,
        help='JSON lines: {"kind": "contact|custom_field|pipeline|workflow|user|calendar", "record": {...}}',
    )
    parser.add_argument("--webhook-url", action="append", default=[], help="receiver of webhook events (repeatable)")
    parser.add_argument(
        "--signing-key-dir", default=None, help="webhook key pairs: loaded from it, or generated and written"
    )
    parser.add_argument(
        "--webhook-retry-interval", type=float, default=600.0, help="seconds between retries after a 429"
    )
    parser.add_argument("--burst", type=int, default=100, help="requests per client per location per 10 s")
    parser.add_argument("--daily", type=int, default=200_000, help="requests per client per location per day")
    parser.add_argument("--no-rate-limits", action="store_true", help="count nothing, never answer 429 (benchmarks)")
    parser.add_argument("--seed-ids", type=int, default=0, help="seed of the id and token generator")


def run(args: argparse.Namespace) -> int:
    backend = GhlBackend(db_path=args.db, location_id=args.location_id, token=args.token, seed=args.seed_ids)
    backend.set_limits({"burst": args.burst, "daily": args.daily, "enabled": not args.no_rate_limits})
    if args.seed:
        outcome = backend.seed(parse_seed_lines(Path(args.seed).read_text(encoding="utf-8")))
        print(f"seeded {outcome['inserted']} from {args.seed} ({len(outcome['errors'])} rejected)")
        for error in outcome["errors"][:10]:
            print(f"  line {error['line']}: {error['message']}")
    keys = SigningKeys.in_directory(args.signing_key_dir) if args.signing_key_dir else SigningKeys.generate()
    app = create_app(
        backend, keys=keys, webhook_urls=args.webhook_url, webhook_retry_interval=args.webhook_retry_interval
    )

    def banner(base: str) -> list[str]:
        return [
            f"GoHighLevel emulator on {base}  (API at the root, as services.leadconnectorhq.com)",
            f"  location id:   {args.location_id}",
            f"  token (PIT):   {args.token}",
            f"  database:      {args.db or 'in memory'}; control plane {base}/_emulator/state",
            f"  webhooks:      {', '.join(args.webhook_url) or 'none'}; public keys {base}/_emulator/webhooks/keys"
            + (f" and in {args.signing_key_dir}" if args.signing_key_dir else ""),
        ]

    try:
        serve(app, host=args.host, port=args.port, log_level=args.log_level, banner=banner)
    finally:
        app.state.webhooks.close()
        backend.close()
    return 0


COMMAND = EmulatorCommand(
    help="GoHighLevel API v2 (sub-account) with signed webhooks", add_arguments=add_arguments, run=run
)
