"""Zoho client: calls, credits and wall time to create N new Leads three ways, against the Zoho emulator.

1. naive: one insert call per record (what a client without batching does);
2. batch upsert: ``zoho.leads.upsert(rows)`` (100 records per call);
3. bulk write: ``zoho.bulk.write("Leads", rows)`` (zipped CSV, one job per 25,000 rows).

The emulator runs as its own process (``python -m leadflow_emulators zoho``) and the client talks to it over
HTTP, like against Zoho. Calls are counted by the client's transport, credits by the client's ledger and
cross-checked against the emulator's own count.

Run: ``PYTHONPATH=src python benchmarks/zoho_client.py --records 10000``
"""

from __future__ import annotations

import argparse
import json
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

from leadflow.config import Settings
from leadflow.log import configure_logging
from leadflow.store import open_store
from leadflow.zoho import ClientOptions, ZohoClient

ROOT = Path(__file__).resolve().parents[1]
CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN = "1000.LEADFLOWDEMO", "leadflow-demo-secret", "1000.leadflow.demo.refresh"


def rows(n: int, tag: str) -> list[dict[str, Any]]:
    return [
        {
            "Last_Name": f"Bench{i}",
            "First_Name": "Ada",
            "Email": f"{tag}{i}@bench.example.com",
            "Company": f"Company {i % 997}",
            "Designation": "Head of Data",
            "Lead_Source": "Advertisement",
        }
        for i in range(n)
    ]


def start_emulator() -> tuple[subprocess.Popen[str], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    process = subprocess.Popen(
        [sys.executable, "-m", "leadflow_emulators", "zoho", "--port", str(port), "--daily-credits", "10000000"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/_emulator/state", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the emulator did not start")


def emulator_settings(database_url: str, base: str) -> Settings:
    """Settings for a store at ``database_url`` talking to the emulator at ``base`` (budget out of the way)."""
    return Settings(
        database_url=database_url,
        zoho={
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN,
            "accounts_url": base,
            "daily_credit_budget": 1_000_000,
        },
    )


def measure(base: str, name: str, n: int, work: Callable[[ZohoClient, list[dict[str, Any]]], int]) -> dict[str, Any]:
    httpx.post(f"{base}/_emulator/reset")
    httpx.post(f"{base}/_emulator/limits", json={"reset_credits": True})
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        settings = emulator_settings(url, base)
        options = ClientOptions(bulk_poll_initial=0.2, bulk_poll_max=1.0)
        with ZohoClient.from_settings(settings, open_store(url), options=options) as zoho:
            zoho.org.get()  # token and org outside the timing
            calls_before = zoho.api.transport.stats.attempts
            credits_before = zoho.credits.spent
            server_before = httpx.get(f"{base}/_emulator/state").json()["credits"]["used"]
            data = rows(n, name)
            started = time.perf_counter()
            created = work(zoho, data)
            seconds = time.perf_counter() - started
            calls = zoho.api.transport.stats.attempts - calls_before
            credits = zoho.credits.spent - credits_before
    state = httpx.get(f"{base}/_emulator/state").json()
    return {
        "way": name,
        "records": n,
        "created": created,
        "in_emulator": state["records"].get("Leads", 0),
        "calls": calls,
        "credits": credits,
        "emulator_credits": state["credits"]["used"] - server_before,
        "seconds": round(seconds, 2),
        "records_per_second": round(n / seconds, 1),
    }


def naive(zoho: ZohoClient, data: list[dict[str, Any]]) -> int:
    return sum(zoho.leads.insert([row])[0].ok for row in data)


def batch(zoho: ZohoClient, data: list[dict[str, Any]]) -> int:
    return sum(r.ok for r in zoho.leads.upsert(data, duplicate_check_fields=["Email"]))


def bulk(zoho: ZohoClient, data: list[dict[str, Any]]) -> int:
    return sum(r.ok for r in zoho.bulk.write("Leads", iter(data), operation="upsert", find_by="Email").results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--skip-naive", action="store_true", help="skip the slow one-call-per-record run")
    args = parser.parse_args()
    configure_logging(level="warning")
    process, base = start_emulator()
    try:
        results = []
        ways: list[tuple[str, Callable[[ZohoClient, list[dict[str, Any]]], int]]] = [("batch", batch), ("bulk", bulk)]
        if not args.skip_naive:
            ways.insert(0, ("naive", naive))
        for name, work in ways:
            results.append(measure(base, name, args.records, work))
            print(json.dumps(results[-1]), flush=True)
    finally:
        process.terminate()
        process.wait(timeout=10)
    reference = next((r for r in results if r["way"] == "naive"), None)
    print(f"\n{'way':<7}{'calls':>8}{'credits':>9}{'seconds':>9}{'rec/s':>9}{'calls x':>9}{'credits x':>11}")
    for r in results:
        call_ratio = f"{reference['calls'] / r['calls']:.0f}" if reference else "-"
        credit_ratio = f"{reference['credits'] / r['credits']:.1f}" if reference else "-"
        print(
            f"{r['way']:<7}{r['calls']:>8}{r['credits']:>9}{r['seconds']:>9}{r['records_per_second']:>9}"
            f"{call_ratio:>9}{credit_ratio:>11}"
        )


if __name__ == "__main__":
    main()
