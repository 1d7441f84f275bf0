"""COQL, bulk write, bulk read, tags and metadata against the emulator."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from leadflow.zoho import CallbackWaiter, ClientOptions, FieldSpec, ZohoClient
from tests.zoho.conftest import Rig


def leads(n: int, start: int = 0) -> list[dict[str, object]]:
    return [
        {
            "Last_Name": f"Lead{i}",
            "Email": f"l{i}@example.com",
            "Company": "O'Reilly (Media), Inc",
            "No_of_Employees": i,
        }
        for i in range(start, start + n)
    ]


def seed(rig: Rig, rows: list[dict[str, object]]) -> None:
    for start in range(0, len(rows), 100):
        results = rig.backend.insert("Leads", rows[start : start + 100])
        assert all(r.ok for r in results)


def test_coql_pages_past_2000_rows_with_limit_and_offset(zoho: ZohoClient, rig: Rig) -> None:
    seed(rig, leads(2_450))
    rows = list(zoho.coql("select Email, Last_Name from Leads where Last_Name like 'Lead%'"))
    assert len(rows) == 2_450
    assert len({r["Email"] for r in rows}) == 2_450
    assert zoho.api.transport.stats.by_label["coql"] == 2
    assert zoho.credits.spent >= 3 + 3  # two calls at limit 2,000: 3 credits each


def test_coql_binds_values_safely(zoho: ZohoClient, rig: Rig) -> None:
    seed(rig, leads(30))
    rows = list(
        zoho.coql(
            "select Email from Leads where ((Company = ? and No_of_Employees in ?) and Email != ?)",
            "O'Reilly (Media), Inc",
            [3, 4, 5],
            "l4@example.com",
        )
    )
    assert sorted(r["Email"] for r in rows) == ["l3@example.com", "l5@example.com"]
    limited = list(zoho.coql("select Email from Leads where No_of_Employees >= ? limit 5", 0))
    assert len(limited) == 5
    assert list(zoho.coql("select Email from Leads where Email = ?", "x' or '1'='1")) == []


def test_coql_aggregates_and_lookups(zoho: ZohoClient, rig: Rig) -> None:
    seed(rig, leads(12))
    counted = list(zoho.coql("select COUNT(id) from Leads where No_of_Employees >= ?", 5))
    assert list(counted[0].values()) == [7]
    account = zoho.accounts.insert([{"Account_Name": "Initech", "Industry": "Technology"}])[0]
    zoho.contacts.insert([{"Last_Name": "Lumbergh", "Account_Name": {"id": account.id}}])
    joined = list(
        zoho.coql("select Last_Name, Account_Name.Industry from Contacts where Account_Name.Industry = ?", "Technology")
    )
    assert [(r["Last_Name"], r["Account_Name.Industry"]) for r in joined] == [("Lumbergh", "Technology")]


def test_bulk_write_maps_every_input_row_to_its_outcome(zoho: ZohoClient, rig: Rig) -> None:
    existing = zoho.leads.insert(leads(5))
    rows = leads(300)  # rows 0-4 exist already: updated by Email
    rows[42] = {"Email": "no-last-name@example.com", "Last_Name": "", "Company": "x", "No_of_Employees": 1}
    rows[77] = {**rows[77], "No_of_Employees": "many"}
    rows[150] = {**rows[150], "Unknown_Key": 1}
    result = zoho.bulk.write("Leads", iter(rows), operation="upsert", find_by="Email", file_rows=120)
    assert len(result.jobs) == 3
    assert [job.rows for job in result.jobs] == [120, 120, 59]
    assert len(result.results) == 300
    assert [r.index for r in result.results] == list(range(300))
    assert [r.action for r in result.results[:5]] == ["update"] * 5
    assert [r.id for r in result.results[:5]] == [r.id for r in existing]
    assert result.results[5].action == "insert"
    assert result.results[42].code == "MANDATORY_NOT_FOUND"
    assert result.results[42].details["api_name"] == "Last_Name"
    assert not result.results[77].ok
    assert result.results[150].code == "UNKNOWN_COLUMN"
    assert result.counts() == {"insert": 292, "update": 5, "error": 3}
    assert rig.state()["records"]["Leads"] == 297
    inserted = [r for r in result.results if r.action == "insert"]
    sample = zoho.leads.get(inserted[0].id or "")
    assert sample is not None
    assert sample["Email"] == rows[inserted[0].index]["Email"]


def test_bulk_insert_and_costs(zoho: ZohoClient, rig: Rig) -> None:
    before = rig.state()["credits"]["used"]
    result = zoho.bulk.write(
        "Contacts", [{"Last_Name": f"C{i}", "Email": f"c{i}@x.io"} for i in range(50)], operation="insert"
    )
    assert all(r.ok for r in result.results)
    assert rig.state()["records"]["Contacts"] == 50
    spent = rig.state()["credits"]["used"] - before
    assert spent >= 500
    assert zoho.credits.spent == rig.state()["credits"]["used"]


@pytest.fixture
def callback_server() -> Iterator[tuple[str, CallbackWaiter, list[dict[str, object]]]]:
    """What leadflow's web route does with Zoho's bulk callback: wake the waiter for that job."""
    waiter = CallbackWaiter()
    received: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append(payload)
            waiter.notify(str(payload["job_id"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/zoho/bulk", waiter, received
    server.shutdown()
    server.server_close()


def test_bulk_write_waits_on_the_callback_when_configured(
    rig: Rig, callback_server: tuple[str, CallbackWaiter, list[dict[str, object]]]
) -> None:
    url, waiter, received = callback_server
    options = ClientOptions(sleep=rig.sleeps, bulk_callback_url=url, bulk_waiter=waiter, bulk_poll_max=30.0)
    started = time.monotonic()
    with rig.client(options=options) as zoho:
        result = zoho.bulk.write("Leads", leads(3_000))
    assert all(r.ok for r in result.results)
    # Woken by the callback: at most one status check before it and one after, not a 30 s poll.
    assert zoho.api.transport.stats.by_label["bulk write status"] <= 2
    assert time.monotonic() - started < 25
    deadline = time.monotonic() + 5
    while not received and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [p["job_id"] for p in received] == [result.jobs[0].id]


def test_bulk_read_streams_every_page(zoho: ZohoClient, rig: Rig) -> None:
    rig.backend.set_limits({"bulk_read_page_size": 200})  # 200,000 in Zoho; small pages keep the test fast
    seed(rig, leads(450))
    rows = list(zoho.bulk.read("Leads", ["Email", "Last_Name", "No_of_Employees"]))
    assert len(rows) == 450
    assert {r["Email"] for r in rows} == {f"l{i}@example.com" for i in range(450)}
    assert zoho.api.transport.stats.by_label["bulk read job"] == 3
    few = list(
        zoho.bulk.read(
            "Leads",
            ["Email"],
            criteria={"field": {"api_name": "No_of_Employees"}, "comparator": "less_than", "value": 10},
        )
    )
    assert len(few) == 10


def test_tags_create_list_add_remove_on_many_records(zoho: ZohoClient, rig: Rig) -> None:
    ids = [r.id or "" for r in zoho.leads.insert(leads(150))]
    created = zoho.tags.create("Leads", ["lf:seg-a", "lf:seg-b"])
    assert all(r.ok for r in created)
    assert {"lf:seg-a", "lf:seg-b"} <= {t["name"] for t in zoho.tags.list("Leads")}
    added = zoho.tags.add("Leads", ids, ["lf:seg-a", "lf:seg-b"])
    assert len(added) == 150
    assert all(r.ok for r in added), [r for r in added if not r.ok][:2]
    assert zoho.api.transport.stats.by_label["add_tags"] == 2
    tagged = zoho.leads.get(ids[120])
    assert tagged is not None
    assert {t["name"] for t in tagged["Tag"]} == {"lf:seg-a", "lf:seg-b"}
    removed = zoho.tags.remove("Leads", ids[:10], ["lf:seg-a"])
    assert all(r.ok for r in removed)
    first = zoho.leads.get(ids[0])
    assert first is not None
    assert [t["name"] for t in first["Tag"]] == ["lf:seg-b"]
    renamed_id = next(t["id"] for t in zoho.tags.list("Leads") if t["name"] == "lf:seg-b")
    assert zoho.tags.rename("Leads", renamed_id, "lf:seg-c").ok
    zoho.tags.delete(renamed_id)
    assert "lf:seg-c" not in {t["name"] for t in zoho.tags.list("Leads")}


def test_fields_are_cached_and_ensure_fields_creates_what_is_missing(zoho: ZohoClient) -> None:
    fields = zoho.metadata.fields("Leads")
    assert {"Last_Name", "Email", "Designation"} <= {f["api_name"] for f in fields}
    zoho.metadata.fields("Leads")
    assert zoho.api.transport.stats.by_label["GET settings/fields"] == 1
    specs = [
        FieldSpec("Leadflow ID", length=64, unique=True),
        FieldSpec("Leadflow Fit", data_type="double"),
        FieldSpec("Leadflow Grade", data_type="picklist", picklist=["A1", "B2"]),
        FieldSpec("Last Name"),  # already there (system field)
        FieldSpec("Leadflow Weird", data_type="no_such_type"),
    ]
    report = zoho.metadata.ensure_fields("Leads", specs)
    assert report.created == ["Leadflow_ID", "Leadflow_Fit", "Leadflow_Grade"]
    assert report.existing == ["Last_Name"]
    assert [m.spec.label for m in report.manual] == ["Leadflow Weird"]
    assert "Leadflow Weird" in report.instructions()
    unique = zoho.metadata.field("Leads", "Leadflow_ID")
    assert unique is not None
    assert unique.get("unique")
    again = zoho.metadata.ensure_fields("Leads", specs[:3])
    assert again.complete
    assert again.existing == ["Leadflow_ID", "Leadflow_Fit", "Leadflow_Grade"]
    first = zoho.leads.upsert([{"Last_Name": "U", "Leadflow_ID": "gp_1"}], duplicate_check_fields=["Leadflow_ID"])
    second = zoho.leads.upsert([{"Last_Name": "U2", "Leadflow_ID": "gp_1"}], duplicate_check_fields=["Leadflow_ID"])
    assert (first[0].action, second[0].action) == ("insert", "update")
    assert first[0].id == second[0].id


def test_users_org_modules_layouts(zoho: ZohoClient) -> None:
    me = zoho.users.current()
    assert me["email"]
    assert any(u["id"] == me["id"] for u in zoho.users.iter())
    org = zoho.org.get()
    assert org["zgid"]
    assert "Leads" in {m["api_name"] for m in zoho.metadata.modules()}
    assert zoho.metadata.layouts("Leads")
