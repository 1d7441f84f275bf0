"""Zoho emulator: insert and upsert throughput through 100-record batches (Zoho's per-call maximum).

Three paths, each writing ``--records`` new Leads with ``POST /crm/v8/Leads`` and then upserting the same
rows by Email with ``POST /crm/v8/Leads/upsert`` (every row an update):
- backend: ``ZohoBackend.insert/upsert`` directly (the path bulk write uses, no HTTP);
- in-process: HTTP through Starlette's TestClient (an ``httpx.Client``, as leadflow's client injects it);
- socket: HTTP to uvicorn on a local port (one keep-alive connection).
With ``--db`` the records go to SQLite (one transaction per call), as with ``python -m leadflow_emulators``.

Run: ``PYTHONPATH=src python benchmarks/zoho_emulator.py [--records 20000] [--db]``
"""

from __future__ import annotations

import argparse
import json
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.testclient import TestClient

from leadflow_emulators.zoho.app import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN, create_app
from leadflow_emulators.zoho.models import ZohoBackend

BATCH = 100


def rows(count: int, tag: str) -> list[dict[str, Any]]:
    return [
        {
            "Last_Name": f"Last{n}",
            "First_Name": f"First{n}",
            "Email": f"{tag}.{n}@example{n % 97}.com",
            "Company": f"Company {n % 1000}",
            "Phone": f"+1 555 {n:07d}",
            "Lead_Source": "Apollo",
            "No_of_Employees": n % 5000,
            "Annual_Revenue": float(n * 10),
            "Designation": "VP Sales",
            "City": "Austin",
        }
        for n in range(count)
    ]


def backend_for(db: bool, workdir: Path, name: str) -> ZohoBackend:
    return ZohoBackend(
        db_path=str(workdir / f"{name}.db") if db else None, seed=1, daily_credits=10_000_000, concurrency=10
    )


Rate = tuple[float, float]  # records per wall-clock second, records per CPU-second of this process


def timed(records: list[dict[str, Any]], call: Callable[[list[dict[str, Any]]], None]) -> Rate:
    """Rates for ``records`` written in 100-record calls; the CPU figure holds when other work shares the cores."""
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(records), BATCH):
        call(records[start : start + BATCH])
    return len(records) / (time.perf_counter() - started), len(records) / (time.process_time() - cpu)


def bench_backend(records: list[dict[str, Any]], backend: ZohoBackend) -> tuple[Rate, Rate]:
    def insert(batch: list[dict[str, Any]]) -> None:
        assert all(result.ok for result in backend.insert("Leads", batch))

    def upsert(batch: list[dict[str, Any]]) -> None:
        assert all(result.action == "update" for result in backend.upsert("Leads", batch, ["Email"]))

    return timed(records, insert), timed(records, upsert)


def bench_http(records: list[dict[str, Any]], client: httpx.Client) -> tuple[Rate, Rate]:
    reply = client.post(
        "/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            "refresh_token": DEFAULT_REFRESH_TOKEN,
        },
    ).json()
    client.headers["Authorization"] = f"Zoho-oauthtoken {reply['access_token']}"

    def insert(batch: list[dict[str, Any]]) -> None:
        response = client.post("/crm/v8/Leads", content=json.dumps({"data": batch}))
        assert response.status_code == 201, response.text[:300]

    def upsert(batch: list[dict[str, Any]]) -> None:
        body = {"data": batch, "duplicate_check_fields": ["Email"]}
        response = client.post("/crm/v8/Leads/upsert", content=json.dumps(body))
        assert response.status_code == 200, response.text[:300]

    return timed(records, insert), timed(records, upsert)


def serve(backend: ZohoBackend) -> tuple[uvicorn.Server, threading.Thread, str]:
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and without it
    # each response (headers and body written apart) waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(backend), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--db", action="store_true", help="persist to SQLite files in a temporary directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        storage = "SQLite" if args.db else "memory"
        results = {}
        backend = backend_for(args.db, workdir, "backend")
        results["backend"] = bench_backend(rows(args.records, "b"), backend)
        backend.close()
        backend = backend_for(args.db, workdir, "inprocess")
        with TestClient(create_app(backend), base_url="http://zoho.local") as client:
            results["in-process HTTP"] = bench_http(rows(args.records, "i"), client)
        backend.close()
        backend = backend_for(args.db, workdir, "socket")
        server, thread, url = serve(backend)
        with httpx.Client(base_url=url, timeout=30) as client:
            results["socket HTTP"] = bench_http(rows(args.records, "s"), client)
        server.should_exit = True
        thread.join(timeout=10)
        backend.close()
    print(f"Zoho emulator, {args.records} Leads in 100-record calls, storage: {storage}")
    print("  records/s (wall clock; per CPU-second of the process, client included)")
    for path, (insert_rate, upsert_rate) in results.items():
        print(
            f"  {path:16s} insert {insert_rate[0]:7.0f} ({insert_rate[1]:7.0f} per CPU-s)"
            f"   upsert by Email {upsert_rate[0]:7.0f} ({upsert_rate[1]:7.0f} per CPU-s)"
        )


if __name__ == "__main__":
    main()
