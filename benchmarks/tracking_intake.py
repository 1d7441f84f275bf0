"""Webhook intake: signed GHL deliveries per second into ``leadflow serve``, and their latency.

``leadflow serve --no-worker`` runs as its own process (uvicorn on 127.0.0.1, the app of ``create_app``); one or
more SEPARATE load processes send pre-signed GHL webhook bodies (``LCEmailStats`` events with unique
``webhookId``s, signed with an Ed25519 key generated here and configured as the app's webhook key) over
keep-alive connections, each connection sending its next delivery when the previous one is answered. A delivery
answered 2xx has been committed (the app answers after the commit); afterwards the benchmark counts the stored
deliveries and checks every 2xx is there, and that nothing was stored twice.

Reported: deliveries/s over the measured window (after a warm-up), latency percentiles (request written to
response read, on the load side), answers by status, CPU-seconds of the server (and its workers) and of the load
processes, and the load average before and after (the machine is shared).

Run:
    PYTHONPATH=src python benchmarks/tracking_intake.py --store sqlite --events 20000
    PYTHONPATH=src python benchmarks/tracking_intake.py --store postgres --events 20000
(``--store postgres`` uses a scratch schema in ``--postgres-url``, dropped at the end.)
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

REPO = Path(__file__).resolve().parents[1]
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
LOCATION = "benchLocation0000001"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def signed_requests(count: int, key: Ed25519PrivateKey, port: int, contacts: int = 2_000) -> list[bytes]:
    """Whole HTTP/1.1 requests (headers and body), each a distinct signed ``LCEmailStats`` delivery."""
    stamp = datetime.now(UTC).isoformat()
    requests = []
    for n in range(count):
        contact = f"benchContact{n % contacts:07d}"
        event = {
            "type": "LCEmailStats",
            "locationId": LOCATION,
            "companyId": "benchCompany",
            "webhookPayload": {
                "event": "opened",
                "id": f"ev{n:09d}",
                "timestamp": int(time.time()),
                "recipient": f"person{n % contacts}@example.com",
                "tags": [f"loc_{LOCATION}", "et_other"],
                "log-level": "info",
                "lc_operations": {"email_message_id": f"em{n:09d}", "message_id": f"m{n:09d}", "contact_id": contact},
            },
            "timestamp": stamp,
            "webhookId": str(uuid.uuid4()),
            "appId": "benchApp",
        }
        raw = json.dumps(event, separators=(",", ":")).encode()
        signature = base64.b64encode(key.sign(raw)).decode()
        head = (
            f"POST /webhooks/ghl HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"X-GHL-Signature: {signature}\r\nContent-Length: {len(raw)}\r\n\r\n"
        ).encode()
        requests.append(head + raw)
    return requests


async def _connection(
    host: str, port: int, requests: list[bytes], latencies: list[float], statuses: Counter[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for request in requests:
            started = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            statuses[int(status_line.split()[1]) if status_line else 0] += 1
    finally:
        writer.close()


def load_process(host: str, port: int, batches: list[list[bytes]], out: Any, start_at: float) -> None:
    """One load process: one keep-alive connection per batch, all at once; its results through ``out``."""

    async def main() -> tuple[list[float], Counter[int], float, float]:
        latencies: list[float] = []
        statuses: Counter[int] = Counter()
        while time.time() < start_at:
            await asyncio.sleep(0.001)
        began = time.time()
        await asyncio.gather(*(_connection(host, port, batch, latencies, statuses) for batch in batches))
        return latencies, statuses, began, time.time()

    cpu_before = os.times()
    latencies, statuses, began, ended = asyncio.run(main())
    cpu_after = os.times()
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    out.send((latencies, dict(statuses), began, ended, cpu))
    out.close()


def run_load(host: str, port: int, requests: list[bytes], processes: int, connections: int) -> dict[str, Any]:
    """Send ``requests`` from ``processes`` load processes with ``connections`` connections in all."""
    per_connection: list[list[bytes]] = [requests[i::connections] for i in range(connections)]
    context = multiprocessing.get_context("spawn")
    pipes, procs = [], []
    start_at = time.time() + 1.5  # every load process starts at the same moment (spawning takes a while)
    for p in range(processes):
        receive, send = context.Pipe(duplex=False)
        batches = per_connection[p::processes]
        proc = context.Process(target=load_process, args=(host, port, batches, send, start_at))
        proc.start()
        pipes.append(receive)
        procs.append(proc)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    began, ended, cpu = float("inf"), 0.0, 0.0
    for receive in pipes:
        lat, stat, b, e, c = receive.recv()
        latencies += lat
        statuses.update(stat)
        began, ended, cpu = min(began, b), max(ended, e), cpu + c
    for proc in procs:
        proc.join()
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else float("nan")

    wall = ended - began
    return {
        "requests": len(latencies),
        "wall_s": wall,
        "per_s": len(latencies) / wall if wall else 0.0,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": latencies[-1] * 1000 if latencies else float("nan"),
        "statuses": dict(sorted(statuses.items())),
        "load_cpu_s": cpu,
    }


def process_cpu(pid: int) -> float:
    """CPU-seconds of ``pid`` and its (uvicorn worker) children, from /proc."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def start_server(database_url: str, public_pem: str, port: int, workers: int, workdir: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    env.update(
        {
            "PYTHONPATH": str(REPO / "src"),
            "LEADFLOW_DATABASE_URL": database_url,
            "LEADFLOW_GHL_WEBHOOK_PUBLIC_KEY": public_pem,
            "LEADFLOW_TRACKING_MAX_CONCURRENT_INTAKE": "1024",
        }
    )
    command = [sys.executable, "-m", "leadflow", "serve", "--no-worker", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    log = (workdir / "serve.log").open("w")
    server = subprocess.Popen(command, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"leadflow serve did not start: {(workdir / 'serve.log').read_text()[-2000:]}")
        time.sleep(0.2)


def stored(database_url: str) -> tuple[int, int]:
    """Deliveries stored, and distinct webhook ids among them."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            total, distinct = connection.execute(
                sa.text("select count(*), count(distinct vendor_event_id) from webhook_deliveries")
            ).one()
    finally:
        engine.dispose()
    return int(total), int(distinct)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--events", type=int, default=20_000, help="measured deliveries")
    parser.add_argument("--warmup", type=int, default=2_000, help="deliveries sent first, not measured")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--load-processes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes of leadflow serve")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="leadflow-intake-bench-"))
    schema = None
    if args.store == "sqlite":
        database_url = f"sqlite:///{workdir / 'leadflow.db'}"
    else:
        schema = f"bench_intake_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(args.postgres_url)
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in args.postgres_url else "?"
        database_url = f"{args.postgres_url}{separator}options=-csearch_path%3D{schema}"
    key = Ed25519PrivateKey.generate()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    port = free_port()
    warmup = signed_requests(args.warmup, key, port)
    measured = signed_requests(args.events, key, port)
    server = start_server(database_url, public_pem, port, args.workers, workdir)
    try:
        run_load("127.0.0.1", port, warmup, 1, min(args.connections, 8))
        load_before = os.getloadavg()
        cpu_before = process_cpu(server.pid)
        result = run_load("127.0.0.1", port, measured, args.load_processes, args.connections)
        server_cpu = process_cpu(server.pid) - cpu_before
        load_after = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=30)
    total, distinct = stored(database_url)
    answered_ok = sum(n for status, n in result["statuses"].items() if 200 <= status < 300)
    expected = args.warmup + answered_ok
    print(
        f"store {args.store}, leadflow serve --workers {args.workers}, {args.load_processes} load processes, "
        f"{args.connections} connections"
    )
    print(
        f"  {result['requests']:,} deliveries in {result['wall_s']:.2f} s = {result['per_s']:,.0f} deliveries/s; "
        f"latency p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
        f"max {result['max_ms']:.1f} ms"
    )
    print(f"  answers by status {result['statuses']}")
    print(
        f"  stored {total:,} ({distinct:,} distinct ids); expected {expected:,} (warm-up + every 2xx): "
        f"{'OK' if total == distinct == expected else 'MISMATCH'}"
    )
    print(
        f"  CPU-seconds: server {server_cpu:.1f} ({server_cpu / result['wall_s']:.2f} cores), load processes "
        f"{result['load_cpu_s']:.1f}; load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
        f"(1 min) on {os.cpu_count()} cores"
    )
    if schema is not None:
        admin = sa.create_engine(args.postgres_url)
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
