"""Zoho emulator: bulk write throughput and COQL latency on 100,000 records, through the HTTP app in-process.

Bulk write: 25,000-row zips uploaded and written as insert jobs until ``--records`` Leads exist, then one
upsert job (by Email) over 25,000 of them; records/s is measured from job creation to COMPLETED (the worker
goes through the backend's per-record validation and SQLite persistence when ``--db`` is given).
COQL: a set of typical queries over those records; median and p95 latency per query.

Run: ``PYTHONPATH=src python benchmarks/zoho_emulator_bulk.py [--records 100000] [--repeat 5] [--db FILE]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from starlette.testclient import TestClient

from leadflow_emulators.zoho.app import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN, create_app
from leadflow_emulators.zoho.bulk import MAX_ROWS, make_zip
from leadflow_emulators.zoho.models import ZohoBackend
from leadflow_emulators.zoho.models.users import ZGID

SOURCES = ("Apollo", "Sales Navigator", "Web Form", "Chat", "Trade Show")
STATUSES = ("Not Contacted", "Contacted", "Attempted to Contact", "Contact in Future")
HEADER = [
    "Last_Name",
    "First_Name",
    "Email",
    "Company",
    "Phone",
    "No_of_Employees",
    "Annual_Revenue",
    "Lead_Source",
    "Lead_Status",
    "Designation",
]
QUERIES = {
    "equality on Email": "select Last_Name, Email from Leads where Email = 'p77777@co277.example'",
    "and + range, order by, limit 200": (
        "select Last_Name, Annual_Revenue from Leads where (Lead_Source = 'Apollo' and No_of_Employees > 500) "
        "order by Annual_Revenue desc limit 200"
    ),
    "like '%..%', limit 2000": "select Last_Name, Company from Leads where Company like '%co12%' limit 2000",
    "in + is not null, offset 20000": (
        "select id from Leads where (Lead_Status in ('Contacted', 'Contact in Future') and Email is not null) "
        "limit 2000 offset 20000"
    ),
    "group by with COUNT/AVG": (
        "select Lead_Source, COUNT(id), AVG(Annual_Revenue) from Leads where Lead_Source is not null "
        "group by Lead_Source"
    ),
}


def lead_row(i: int) -> list[Any]:
    return [
        f"Name{i}",
        f"First{i % 997}",
        f"p{i}@co{i % 500}.example",
        f"Co{i % 500} Inc",
        f"+1 555 {i % 10000:04d}",
        (i * 7) % 2000,
        float((i * 7919) % 5_000_000),
        SOURCES[i % len(SOURCES)],
        STATUSES[i % len(STATUSES)],
        "VP Sales" if i % 3 else "Engineer",
    ]


def client_for(backend: ZohoBackend) -> TestClient:
    client = TestClient(create_app(backend), base_url="http://bench.local")
    form = {
        "grant_type": "refresh_token",
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "refresh_token": DEFAULT_REFRESH_TOKEN,
    }
    token = client.post("/oauth/v2/token", data=form).json()["access_token"]
    client.headers["Authorization"] = f"Zoho-oauthtoken {token}"
    return client


def bulk_job(client: TestClient, rows: list[list[Any]], operation: str) -> tuple[float, float, dict[str, Any]]:
    """Upload ``rows``, run one job; (wall seconds and process CPU seconds from creation to COMPLETED, counts).

    CPU seconds (all threads of this process) make the figure comparable on a machine shared with other work.
    """
    uploaded = client.post(
        "/crm/v8/upload",
        files={"file": ("leads.zip", make_zip("leads.csv", [HEADER, *rows]), "application/zip")},
        headers={"feature": "bulk-write", "X-CRM-ORG": ZGID},
    )
    file_id = uploaded.json()["details"]["file_id"]
    resource: dict[str, Any] = {"type": "data", "module": {"api_name": "Leads"}, "file_id": file_id}
    if operation != "insert":
        resource["find_by"] = "Email"
    start, cpu_start = time.perf_counter(), time.process_time()
    job_id = client.post("/crm/bulk/v8/write", json={"operation": operation, "resource": [resource]}).json()["details"][
        "id"
    ]
    while True:
        status = client.get(f"/crm/bulk/v8/write/{job_id}").json()
        if status["status"] in ("COMPLETED", "FAILED"):
            return time.perf_counter() - start, time.process_time() - cpu_start, status["resource"][0]["file"]
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", default=None, help="SQLite file (default: in memory)")
    args = parser.parse_args()

    backend = ZohoBackend(db_path=args.db, seed=1, daily_credits=10_000_000)
    with client_for(backend) as client:
        total_seconds = total_cpu = 0.0
        written = 0
        for start in range(0, args.records, MAX_ROWS):
            rows = [lead_row(i) for i in range(start, min(start + MAX_ROWS, args.records))]
            seconds, cpu, counts = bulk_job(client, rows, "insert")
            assert counts["added_count"] == len(rows), counts
            total_seconds += seconds
            total_cpu += cpu
            written += len(rows)
        rate, cpu_rate = written / total_seconds, written / total_cpu
        print(
            f"bulk write insert: {written} records in {total_seconds:.2f} s = {rate:,.0f} records/s "
            f"({cpu_rate:,.0f} per CPU-second)"
        )
        rows = [lead_row(i) for i in range(min(MAX_ROWS, args.records))]
        seconds, cpu, counts = bulk_job(client, rows, "upsert")
        assert counts["updated_count"] == len(rows), counts
        print(
            f"bulk write upsert (all updates, find_by Email): {len(rows) / seconds:,.0f} records/s "
            f"({len(rows) / cpu:,.0f} per CPU-second)"
        )

        client.post("/crm/v8/coql", json={"select_query": "select id from Leads limit 1"})  # warm-up (grammar load)
        print(f"COQL over {len(list(backend.stored_records('Leads'))):,} Leads (median / p95 of {args.repeat} runs):")
        for name, query in QUERIES.items():
            timings = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                reply = client.post("/crm/v8/coql", json={"select_query": query})
                timings.append((time.perf_counter() - t0) * 1000)
                assert reply.status_code in (200, 204), reply.text
            timings.sort()
            p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
            count = reply.json()["info"]["count"] if reply.status_code == 200 else 0
            print(f"  {name:<36} {statistics.median(timings):8.1f} ms / {p95:8.1f} ms  ({count} rows)")


if __name__ == "__main__":
    main()
