"""``python -m leadflow_emulators zoho --port 8010 --db zoho.db [--seed FILE] [--client-id ...]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from leadflow_emulators.common.cli import EmulatorCommand, add_server_arguments, serve
from leadflow_emulators.common.control import parse_seed_lines
from leadflow_emulators.zoho.app import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN, create_app
from leadflow_emulators.zoho.models import ZohoBackend
from leadflow_emulators.zoho.models.limits import ZohoLimits


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_server_arguments(parser, default_port=8010)
    parser.add_argument("--seed", default=None, help='JSON lines file: {"module": "Leads", "record": {...}}')
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID, help="OAuth client registered at start")
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET, help="its secret")
    parser.add_argument("--refresh-token", default=DEFAULT_REFRESH_TOKEN, help="its ready refresh token")
    parser.add_argument("--daily-credits", type=int, default=100_000, help="API credits per rolling 24 hours")
    parser.add_argument("--concurrency", type=int, default=10, help="requests in flight before 429")
    parser.add_argument("--sub-concurrency", type=int, default=10, help="search/COQL/bulk/big writes in flight")
    parser.add_argument("--seed-ids", type=int, default=0, help="seed of the id and token generator")


def run(args: argparse.Namespace) -> int:
    limits = ZohoLimits(
        daily_credits=args.daily_credits, concurrency=args.concurrency, sub_concurrency=args.sub_concurrency
    )
    backend = ZohoBackend(db_path=args.db, seed=args.seed_ids, limits=limits)
    backend.oauth.register_client(args.client_id, args.client_secret, refresh_token=args.refresh_token)
    if args.seed:
        outcome = backend.seed(parse_seed_lines(Path(args.seed).read_text(encoding="utf-8")))
        print(
            f"seeded {outcome['inserted']} records from {args.seed} "
            f"({outcome['skipped']} already there, {len(outcome['errors'])} rejected)"
        )
        for error in outcome["errors"][:10]:
            print(f"  line {error['line']}: {error['code']} {error.get('details', error['message'])}")
    app = create_app(backend, register_default_client=False)

    def banner(base: str) -> list[str]:
        return [
            f"Zoho CRM emulator on {base}  (API {base}/crm/v8, accounts {base}/oauth/v2/token)",
            f"  client id:     {args.client_id}",
            f"  client secret: {args.client_secret}",
            f"  refresh token: {args.refresh_token}",
            f"  database:      {args.db or 'in memory'}; control plane {base}/_emulator/state",
        ]

    try:
        serve(app, host=args.host, port=args.port, log_level=args.log_level, banner=banner)
    finally:
        backend.close()
    return 0


COMMAND = EmulatorCommand(help="Zoho CRM (v2/v8) and its accounts server", add_arguments=add_arguments, run=run)
