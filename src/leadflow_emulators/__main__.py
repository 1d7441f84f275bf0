"""``python -m leadflow_emulators zoho --port 8010 --db zoho.db [--seed FILE] [--client-id ...]`` and
``python -m leadflow_emulators ghl --port N --db FILE --token TOKEN --location-id LOC [--seed FILE]
[--webhook-url URL]... [--signing-key-dir DIR]``."""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path


def _zoho(args: argparse.Namespace) -> int:
    import uvicorn

    from leadflow_emulators.zoho.app import create_app
    from leadflow_emulators.zoho.control import parse_seed_lines
    from leadflow_emulators.zoho.models import ZohoBackend

    backend = ZohoBackend(
        db_path=args.db,
        seed=args.seed_ids,
        daily_credits=args.daily_credits,
        concurrency=args.concurrency,
        sub_concurrency=args.sub_concurrency,
    )
    backend.oauth.register_client(args.client_id, args.client_secret, refresh_token=args.refresh_token)
    if args.seed:
        outcome = backend.seed_records(parse_seed_lines(Path(args.seed).read_text(encoding="utf-8")))
        print(
            f"seeded {outcome['inserted']} records from {args.seed} "
            f"({outcome['skipped']} already there, {len(outcome['errors'])} rejected)"
        )
        for error in outcome["errors"][:10]:
            print(f"  line {error['line']}: {error['code']} {error.get('details', error['message'])}")
    app = create_app(backend, register_default_client=False)
    # Bind here so that --port 0 picks a free port and the real one is printed. IPPROTO_TCP explicitly:
    # asyncio sets TCP_NODELAY only on sockets whose proto says TCP (else ~40 ms per response).
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    port = sock.getsockname()[1]
    base = f"http://{args.host}:{port}"
    print(f"Zoho CRM emulator on {base}  (API {base}/crm/v8, accounts {base}/oauth/v2/token)")
    print(f"  client id:     {args.client_id}")
    print(f"  client secret: {args.client_secret}")
    print(f"  refresh token: {args.refresh_token}")
    print(f"  database:      {args.db or 'in memory'}; control plane {base}/_emulator/state")
    sys.stdout.flush()
    server = uvicorn.Server(uvicorn.Config(app, log_level=args.log_level, lifespan="off"))
    server.run(sockets=[sock])
    backend.close()
    return 0


def _bind(host: str, port: int) -> socket.socket:
    # Bind here so that --port 0 picks a free port and the real one is printed. IPPROTO_TCP explicitly:
    # asyncio sets TCP_NODELAY only on sockets whose proto says TCP (else ~40 ms per response).
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def _ghl(args: argparse.Namespace) -> int:
    import uvicorn

    from leadflow_emulators.ghl.app import create_app
    from leadflow_emulators.ghl.control import parse_seed_lines
    from leadflow_emulators.ghl.models import GhlBackend
    from leadflow_emulators.ghl.signing import SigningKeys

    backend = GhlBackend(db_path=args.db, location_id=args.location_id, token=args.token, seed=args.seed_ids)
    if args.seed:
        outcome = backend.seed(parse_seed_lines(Path(args.seed).read_text(encoding="utf-8")))
        print(f"seeded {outcome['inserted']} from {args.seed} ({len(outcome['errors'])} rejected)")
        for error in outcome["errors"][:10]:
            print(f"  line {error['line']}: {error['message']}")
    keys = SigningKeys.in_directory(args.signing_key_dir) if args.signing_key_dir else SigningKeys.generate()
    app = create_app(
        backend, keys=keys, webhook_urls=args.webhook_url, webhook_retry_interval=args.webhook_retry_interval
    )
    sock = _bind(args.host, args.port)
    base = f"http://{args.host}:{sock.getsockname()[1]}"
    print(f"GoHighLevel emulator on {base}  (API at the root, as services.leadconnectorhq.com)")
    print(f"  location id:   {args.location_id}")
    print(f"  token (PIT):   {args.token}")
    print(f"  database:      {args.db or 'in memory'}; control plane {base}/_emulator/state")
    print(f"  webhooks:      {', '.join(args.webhook_url) or 'none'}; public keys {base}/_emulator/webhooks/keys")
    if args.signing_key_dir:
        print(f"  signing keys:  {args.signing_key_dir}")
    sys.stdout.flush()
    server = uvicorn.Server(uvicorn.Config(app, log_level=args.log_level, lifespan="off"))
    server.run(sockets=[sock])
    app.state.webhooks.close()
    backend.close()
    return 0


def _ghl_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from leadflow_emulators.ghl.models.backend import DEFAULT_LOCATION_ID, DEFAULT_TOKEN

    ghl = sub.add_parser(
        "ghl", help="GoHighLevel API v2 (sub-account)", formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    ghl.add_argument("--host", default="127.0.0.1", help="address to bind")
    ghl.add_argument("--port", type=int, default=8020, help="port to bind (0: any free port, printed)")
    ghl.add_argument("--db", default=None, help="SQLite file (in memory when omitted)")
    ghl.add_argument("--token", default=DEFAULT_TOKEN, help="Private Integration Token of the location")
    ghl.add_argument("--location-id", default=DEFAULT_LOCATION_ID, help="the sub-account's location id")
    ghl.add_argument(
        "--seed", default=None, help='JSON lines file: {"kind": "contact|custom_field|pipeline|...", "record": {...}}'
    )
    ghl.add_argument("--webhook-url", action="append", default=[], help="receiver of webhook events (repeatable)")
    ghl.add_argument("--signing-key-dir", default=None, help="webhook key pairs: loaded, or generated and written")
    ghl.add_argument("--webhook-retry-interval", type=float, default=600.0, help="seconds between retries after 429")
    ghl.add_argument("--seed-ids", type=int, default=0, help="seed of the id and token generator")
    ghl.add_argument("--log-level", default="warning", help="uvicorn log level")


def main(argv: list[str] | None = None) -> int:
    from leadflow_emulators.zoho.app import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN

    parser = argparse.ArgumentParser(prog="python -m leadflow_emulators", description="Local API emulators.")
    sub = parser.add_subparsers(dest="service", required=True)
    zoho = sub.add_parser(
        "zoho", help="Zoho CRM (v2/v8) and its accounts server", formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    zoho.add_argument("--host", default="127.0.0.1", help="address to bind")
    zoho.add_argument("--port", type=int, default=8010, help="port to bind (0: any free port, printed)")
    zoho.add_argument("--db", default=None, help="SQLite file (in memory when omitted)")
    zoho.add_argument("--seed", default=None, help='JSON lines file: {"module": "Leads", "record": {...}}')
    zoho.add_argument("--client-id", default=DEFAULT_CLIENT_ID, help="OAuth client registered at start")
    zoho.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET, help="its secret")
    zoho.add_argument("--refresh-token", default=DEFAULT_REFRESH_TOKEN, help="its ready refresh token")
    zoho.add_argument("--daily-credits", type=int, default=100_000, help="API credits per rolling 24 hours")
    zoho.add_argument("--concurrency", type=int, default=10, help="requests in flight before 429")
    zoho.add_argument("--sub-concurrency", type=int, default=10, help="search/COQL/bulk/big writes in flight")
    zoho.add_argument("--seed-ids", type=int, default=0, help="seed of the id and token generator")
    zoho.add_argument("--log-level", default="warning", help="uvicorn log level")
    _ghl_parser(sub)
    args = parser.parse_args(argv)
    if args.service == "zoho":
        return _zoho(args)
    if args.service == "ghl":
        return _ghl(args)
    parser.error(f"unknown service {args.service}")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
