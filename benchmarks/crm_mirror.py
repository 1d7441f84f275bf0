"""CRM mirror: calls, credits and wall time of the first load of an org, by bulk read vs the records API.

The org (``--records`` in all: 60% Leads, 30% Contacts each looking up one of the 10% Accounts) is seeded into
the emulator process; each way mirrors it into a fresh SQLite store through ``mirror_crm`` with
``[sync] mirror_bulk_read_above`` set to force the method (``records API``: never bulk; ``bulk read``: always;
``default``: the shipped threshold). Calls are counted by the client's transport, credits by its ledger and
cross-checked with the emulator's count; the mirrored rows of every way are compared (they must be equal).

Run: ``PYTHONPATH=src python -m benchmarks.crm_mirror --records 10000``
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from typing import Any

import httpx
import sqlalchemy as sa

from benchmarks.zoho_client import emulator_settings, start_emulator
from leadflow.config import SyncSettings
from leadflow.log import configure_logging
from leadflow.pipeline.sync import mirror_crm
from leadflow.store import open_store
from leadflow.store.schema import crm_records
from leadflow.zoho import ClientOptions, ZohoClient

MODIFIED = "2025-06-01T09:00:00+00:00"


def seed_lines(total: int) -> str:
    accounts, contacts = max(1, total // 10), total * 3 // 10
    leads = total - accounts - contacts
    items: list[dict[str, Any]] = []
    for i in range(accounts):
        record = {"id": str(9_000_000 + i), "Account_Name": f"Company {i}", "Website": f"https://c{i}.example.com",
                  "Employees": 10 + i % 500, "Billing_Country": "Germany", "Modified_Time": MODIFIED}  # fmt: skip
        items.append({"module": "Accounts", "record": record})
    for i in range(contacts):
        account = i % accounts
        record = {"id": str(8_000_000 + i), "First_Name": "Ada", "Last_Name": f"Contact{i}",
                  "Email": f"c{i}@c{account}.example.com", "Title": "Head of Data", "Phone": "+49 30 1234567",
                  "Account_Name": {"id": str(9_000_000 + account), "name": f"Company {account}"},
                  "Mailing_Country": "Germany", "Modified_Time": MODIFIED}  # fmt: skip
        items.append({"module": "Contacts", "record": record})
    for i in range(leads):
        record = {"id": str(7_000_000 + i), "First_Name": "Bo", "Last_Name": f"Lead{i}", "Email": f"l{i}@x{i % 997}.io",
                  "Company": f"X{i % 997} GmbH", "Designation": "CTO", "No_of_Employees": 50,
                  "Annual_Revenue": 1_000_000.5, "Country": "Germany", "Modified_Time": MODIFIED}  # fmt: skip
        items.append({"module": "Leads", "record": record})
    return "\n".join(json.dumps(item) for item in items)


def measure(base: str, way: str, threshold: int, poll: float) -> tuple[dict[str, Any], set[tuple[Any, ...]]]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/mirror.db"
        settings = emulator_settings(url, base).model_copy(
            update={"sync": SyncSettings(mirror_bulk_read_above=threshold)}
        )
        engine = open_store(url)
        options = ClientOptions(bulk_poll_initial=poll, bulk_poll_max=max(poll, 30.0))
        with ZohoClient.from_settings(settings, engine, options=options) as zoho:
            zoho.org.get()  # token and org outside the timing
            calls_before = zoho.api.transport.stats.attempts
            credits_before = zoho.credits.spent
            server_before = httpx.get(f"{base}/_emulator/state").json()["credits"]["used"]
            started = time.perf_counter()
            counts = mirror_crm(settings, engine, zoho)
            seconds = time.perf_counter() - started
            calls = zoho.api.transport.stats.attempts - calls_before
            credits = zoho.credits.spent - credits_before
            labels = dict(zoho.api.transport.stats.by_label)
        with engine.connect() as connection:
            rows = {
                tuple(json.dumps(v, sort_keys=True, default=str) for k, v in row.items() if k != "loaded_at")
                for row in connection.execute(sa.select(crm_records)).mappings()
            }
        engine.dispose()
    server = httpx.get(f"{base}/_emulator/state").json()["credits"]["used"] - server_before
    return {
        "way": way,
        "mirrored": counts,
        "bulk_read_jobs": labels.get("bulk read job", 0),
        "calls": calls,
        "credits": credits,
        "emulator_credits": server,
        "seconds": round(seconds, 2),
    }, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--poll", type=float, default=1.0, help="first bulk job status poll (client default 1 s)")
    args = parser.parse_args()
    configure_logging(level="warning")
    process, base = start_emulator()
    try:
        assert httpx.post(f"{base}/_emulator/seed", content=seed_lines(args.records), timeout=300).status_code == 200
        reference: set[tuple[Any, ...]] | None = None
        for way, threshold in (
            ("records API", 10**9),
            ("bulk read", 0),
            ("default", SyncSettings().zoho.mirror_bulk_read_above),
        ):
            result, rows = measure(base, way, threshold, args.poll)
            result["rows_equal_to_records_api"] = reference is None or rows == reference
            reference = rows if reference is None else reference
            print(json.dumps(result), flush=True)
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
