"""GHL emulator: contact upserts per second (``POST /contacts/upsert``, one contact per call as GHL's API
takes them), with rate limits off.

Three paths, each upserting ``--records`` new contacts and then the same contacts again by email (every
second-round call an update):
- backend: ``GhlBackend.contacts.upsert`` directly (no HTTP);
- in-process: HTTP requests handed straight to the ASGI app (middleware, routing, Version header, token,
  limits, validation, JSON both ways; no socket and no client library);
- socket: HTTP to the emulator started as ``python -m leadflow_emulators ghl --port 0`` (its own process),
  from ``--connections`` client processes, each one keep-alive connection; its CPU figure is per CPU-second
  of the emulator's process.
With ``--db`` the contacts go to SQLite (one transaction per call), as with ``python -m leadflow_emulators ghl --db``.

Run: ``PYTHONPATH=src python benchmarks/ghl_emulator.py [--records 10000] [--connections 8] [--db]``
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from leadflow_emulators.ghl.app import create_app
from leadflow_emulators.ghl.models import GhlBackend

LOCATION = "benchLocation0000001"
TOKEN = "pit-00000000-1111-4222-8333-444444444444"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Version": "2021-07-28"}


def body(n: int, round_: int) -> dict[str, Any]:
    return {
        "locationId": LOCATION,
        "email": f"person{n}@example{n % 97}.com",
        "firstName": f"First{n}",
        "lastName": f"Last{n}",
        "phone": f"+1415{n:07d}",
        "companyName": f"Company {n % 1000}",
        "tags": ["apollo", f"round{round_}"],
        "source": "leadflow",
    }


def new_backend(db: bool, workdir: Path, name: str) -> GhlBackend:
    backend = GhlBackend(db_path=str(workdir / f"{name}.db") if db else None, location_id=LOCATION, token=TOKEN)
    backend.set_limits({"enabled": False})
    return backend


Rate = tuple[float, float]  # upserts per wall-clock second, per CPU-second of this process


def timed(count: int, work: Callable[[], None]) -> Rate:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return count / (time.perf_counter() - wall), count / max(time.process_time() - cpu, 1e-9)


def run_backend(records: int, db: bool, workdir: Path) -> list[Rate]:
    backend = new_backend(db, workdir, "backend")
    rates = []
    for round_ in (1, 2):

        def work(round_: int = round_) -> None:
            for n in range(records):
                with backend.transaction():
                    backend.contacts.upsert(body(n, round_))

        rates.append(timed(records, work))
    backend.close()
    return rates


def _scope(payload: bytes) -> dict[str, Any]:
    raw_headers = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/contacts/upsert",
        "raw_path": b"/contacts/upsert",
        "query_string": b"",
        "root_path": "",
        "headers": [
            *raw_headers,
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
        ],
        "server": ("ghl", 80),
        "client": ("bench", 1),
    }


async def _asgi_upsert(app: Any, payload: bytes) -> None:
    """One request straight into the ASGI app: every layer of the emulator's HTTP stack, no client library."""
    messages = [{"type": "http.request", "body": payload, "more_body": False}]
    answer: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        answer.append(message)

    await app(_scope(payload), receive, send)
    if answer[0]["status"] != 200:
        raise AssertionError(answer)


def run_in_process(records: int, db: bool, workdir: Path) -> list[Rate]:
    backend = new_backend(db, workdir, "in_process")
    app = create_app(backend)
    rates = []
    for round_ in (1, 2):
        payloads = [json.dumps(body(n, round_)).encode() for n in range(records)]

        async def go(payloads: list[bytes] = payloads) -> None:
            for payload in payloads:
                await _asgi_upsert(app, payload)

        rates.append(timed(records, lambda go=go: asyncio.run(go())))
    app.state.webhooks.close()
    backend.close()
    return rates


def _socket_worker(args: tuple[str, int, int, int, int]) -> int:
    """One client process: a keep-alive connection (TCP_NODELAY), its share of the contacts, one at a time."""
    host_port, start, stop, step, round_ = args
    host, port = host_port.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.connect()
    assert connection.sock is not None
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    headers = {**HEADERS, "Content-Type": "application/json"}
    for n in range(start, stop, step):
        connection.request("POST", "/contacts/upsert", body=json.dumps(body(n, round_)), headers=headers)
        reply = connection.getresponse()
        payload = reply.read()
        if reply.status != 200:
            raise AssertionError(payload)
    connection.close()
    return len(range(start, stop, step))


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_socket(records: int, db: bool, workdir: Path, connections: int) -> list[Rate]:
    """The real CLI (``python -m leadflow_emulators ghl --port 0``) in its own process; ``connections``
    client processes (stdlib ``http.client``, so the client costs little) share the contacts."""
    command = [
        sys.executable,
        "-m",
        "leadflow_emulators",
        "ghl",
        "--port",
        "0",
        "--no-rate-limits",
        "--token",
        TOKEN,
        "--location-id",
        LOCATION,
    ]
    if db:
        command += ["--db", str(workdir / "socket.db")]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    base = server.stdout.readline().split(" on ", 1)[1].split()[0]
    for _ in range(200):
        try:
            assert httpx.get(f"{base}/_emulator/limits", timeout=1).json()["enabled"] is False
            break
        except httpx.TransportError:
            time.sleep(0.05)
    host_port = base.removeprefix("http://")
    rates = []
    with multiprocessing.get_context("spawn").Pool(connections) as pool:
        pool.map(_socket_worker, [(host_port, records, records + connections, 1, 0)] * 1)  # warm-up: one upsert
        for round_ in (1, 2):
            jobs = [(host_port, worker, records, connections, round_) for worker in range(connections)]
            wall, server_cpu = time.perf_counter(), _cpu_seconds(server.pid)
            done = sum(pool.map(_socket_worker, jobs))
            assert done == records
            rates.append((records / (time.perf_counter() - wall), records / (_cpu_seconds(server.pid) - server_cpu)))
    server.terminate()
    server.communicate(timeout=20)
    return rates


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--db", action="store_true", help="persist in SQLite (one transaction per call)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        results: dict[str, list[Rate]] = {
            "backend": run_backend(args.records, args.db, workdir),
            "in-process HTTP": run_in_process(args.records, args.db, workdir),
            f"socket HTTP ({args.connections} client processes)": run_socket(
                args.records, args.db, workdir, args.connections
            ),
        }
    print(
        f"{args.records} contacts, {'SQLite' if args.db else 'in memory'}, rate limits off: "
        "upserts/s wall (per CPU-second)"
    )
    for name, ((create_wall, create_cpu), (update_wall, update_cpu)) in results.items():
        print(
            f"  {name:34} create {create_wall:8,.0f} ({create_cpu:8,.0f})"
            f"   update {update_wall:8,.0f} ({update_cpu:8,.0f})"
        )
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
