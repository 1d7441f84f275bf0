"""The CRM mirror's first load through bulk read or the records API (by module size), and the cursor after it,
against the in-process emulator: both ways must give the same ``crm_records`` rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from leadflow.config import Settings, SyncSettings
from leadflow.errors import ApiError
from leadflow.pipeline import sync as sync_stage
from leadflow.pipeline.sync import mirror_crm
from leadflow.sampledata import GeneratorConfig, generate
from leadflow.store import open_store
from leadflow.store.crm import latest_modified_time, unfinished_load
from leadflow.store.schema import crm_records
from leadflow.zoho import ClientOptions, ZohoClient
from leadflow.zoho.bulk_records import BulkRecordShape
from tests.zoho.conftest import Rig, zoho_settings


def _seed_org(rig: Rig) -> None:
    """Generated Leads, Contacts (with their Account lookups) and Accounts, with numbers and booleans set."""
    items = generate(GeneratorConfig(people=240, seed=11, p_crm=0.6)).crm_seed
    for n, item in enumerate(items):
        record = item["record"]
        if item["module"] == "Leads" and n % 3 == 0:
            record.update(Annual_Revenue=1_250_000.5, No_of_Employees=40 + n, Email_Opt_Out=n % 2 == 0)
        if item["module"] == "Accounts" and n % 2 == 0:
            record.update(Annual_Revenue=9_000_000, Industry="Software")
    rig.control("POST", "seed", content="\n".join(json.dumps(item) for item in items))


def _settings(rig: Rig, database_url: str, *, bulk_read_above: int) -> Settings:
    base = zoho_settings(database_url)
    # Email_Opt_Out (a boolean) mapped for Leads, so the mirror reads a boolean field too.
    zoho = base.sync.zoho.model_copy(
        update={
            "mirror_bulk_read_above": bulk_read_above,
            "leads": [*base.sync.zoho.leads, "Email_Opt_Out = do_not_call"],
        }
    )
    return base.model_copy(update={"sync": base.sync.model_copy(update={"zoho": zoho})})


def _client(rig: Rig, settings: Settings, engine: sa.Engine) -> ZohoClient:
    options = ClientOptions(sleep=rig.sleeps, seed=1, bulk_poll_initial=0.02, bulk_poll_max=0.1)
    return ZohoClient.from_settings(settings, engine, http_client=rig.http, options=options)


def _mirror(engine: sa.Engine) -> dict[tuple[str, str], dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(crm_records)).mappings().all()
    return {(r["module"], r["crm_id"]): {k: v for k, v in r.items() if k != "loaded_at"} for r in rows}


def test_first_load_by_bulk_read_mirrors_the_same_rows_as_the_records_api(
    rig: Rig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig.backend.set_limits({"bulk_read_page_size": 10})  # 200,000 in Zoho: several pages per module here
    monkeypatch.setattr(sync_stage, "MIRROR_CHUNK", 7)  # several chunks, calls between their transactions
    _seed_org(rig)
    bulk_url, paged_url = f"sqlite:///{tmp_path / 'bulk.db'}", f"sqlite:///{tmp_path / 'paged.db'}"
    bulk_engine, paged_engine = open_store(bulk_url), open_store(paged_url)
    bulk_settings = _settings(rig, bulk_url, bulk_read_above=10)
    with _client(rig, bulk_settings, bulk_engine) as zoho:
        by_bulk = mirror_crm(bulk_settings, bulk_engine, zoho)
        bulk_calls = dict(zoho.api.transport.stats.by_label)
    paged_settings = _settings(rig, paged_url, bulk_read_above=1_000_000)
    with _client(rig, paged_settings, paged_engine) as zoho:
        by_pages = mirror_crm(paged_settings, paged_engine, zoho)
        paged_calls = dict(zoho.api.transport.stats.by_label)

    seeded = rig.state()["records"]
    assert by_bulk == by_pages == {m: seeded[m] for m in ("Leads", "Contacts", "Accounts")}
    assert min(by_bulk.values()) > 10  # every module took more than one bulk read page
    assert bulk_calls["bulk read job"] >= 6
    assert "GET Leads" not in bulk_calls
    assert "bulk read job" not in paged_calls
    assert paged_calls["GET Leads"] >= 1

    bulk_rows, paged_rows = _mirror(bulk_engine), _mirror(paged_engine)
    assert bulk_rows == paged_rows  # match columns, modified_time and the raw fields alike
    contacts = [row for key, row in bulk_rows.items() if key[0] == "Contacts"]
    assert all(row["account_id"] and row["company_name"] for row in contacts)
    assert all(row["fields"]["Account_Name"]["name"] == row["company_name"] for row in contacts)
    leads = [row["fields"] for key, row in bulk_rows.items() if key[0] == "Leads"]
    assert {True, False} <= {lead["Email_Opt_Out"] for lead in leads}
    assert 1_250_000.5 in {lead["Annual_Revenue"] for lead in leads}
    bulk_engine.dispose()
    paged_engine.dispose()


def test_a_small_org_is_read_through_the_records_api_without_a_bulk_job(rig: Rig, tmp_path: Path) -> None:
    _seed_org(rig)
    url = f"sqlite:///{tmp_path / 'small.db'}"
    engine = open_store(url)
    # the default threshold (10,000, where bulk read's 50 credits match 50 pages of 200): this org is smaller
    settings = _settings(rig, url, bulk_read_above=SyncSettings().zoho.mirror_bulk_read_above)
    spent_before = rig.state()["credits"]["used"]
    with _client(rig, settings, engine) as zoho:
        counts = mirror_crm(settings, engine, zoho)
        calls = dict(zoho.api.transport.stats.by_label)
    assert sum(counts.values()) == len(_mirror(engine)) > 0
    assert "bulk read job" not in calls
    assert sum(v for k, v in calls.items() if k.startswith("count ")) == 3
    assert rig.state()["credits"]["used"] - spent_before < 50  # less than one bulk read job
    engine.dispose()


def test_after_a_bulk_first_load_changes_come_through_the_modified_time_cursor(rig: Rig, tmp_path: Path) -> None:
    _seed_org(rig)
    url = f"sqlite:///{tmp_path / 'cursor.db'}"
    engine = open_store(url)
    settings = _settings(rig, url, bulk_read_above=0)
    with _client(rig, settings, engine) as zoho:
        mirror_crm(settings, engine, zoho)
        lead = next(iter(zoho.leads.iter(["Email", "Last_Name"])))
        assert zoho.leads.update([{"id": lead["id"], "Last_Name": "Renamed"}])[0].ok
        jobs_after_first = zoho.api.transport.stats.by_label["bulk read job"]
        counts_before = zoho.api.transport.stats.by_label.get("count Leads", 0)
        mirror_crm(settings, engine, zoho)
        assert zoho.api.transport.stats.by_label["bulk read job"] == jobs_after_first
        assert zoho.api.transport.stats.by_label.get("count Leads", 0) == counts_before
    row = _mirror(engine)[("Leads", str(lead["id"]))]
    assert row["last_name"] == "Renamed"
    assert row["fields"]["Last_Name"] == "Renamed"
    engine.dispose()


def test_a_first_load_that_stops_half_way_is_done_again_in_full(
    rig: Rig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed_org(rig)
    rig.control(
        "POST", "limits", json={"bulk_read_page_size": 10, "bulk_read_max_page": 2}
    )  # page 3 of Leads: PAGE_RANGE_EXCEEDED
    monkeypatch.setattr(sync_stage, "MIRROR_CHUNK", 7)
    url = f"sqlite:///{tmp_path / 'stopped.db'}"
    engine = open_store(url)
    settings = _settings(rig, url, bulk_read_above=0)
    with _client(rig, settings, engine) as zoho, pytest.raises(ApiError, match="page is out of range"):
        mirror_crm(settings, engine, zoho)
    with engine.connect() as connection:
        assert latest_modified_time(connection, module="Leads") is not None  # 14 rows committed, 2 chunks
        unfinished = unfinished_load(connection, module="Leads")
    assert unfinished is not None
    assert unfinished.since is None  # so the next run reads everything again, not from those rows' cursor

    rig.control("POST", "limits", json={"bulk_read_max_page": 50})
    with _client(rig, settings, engine) as zoho:
        counts = mirror_crm(settings, engine, zoho)
    assert counts["Leads"] == rig.state()["records"]["Leads"]
    with engine.connect() as connection:
        assert unfinished_load(connection, module="Leads") is None
    engine.dispose()


def test_bulk_record_shape_types_every_value_like_the_records_api() -> None:
    shape = BulkRecordShape(
        [
            {"api_name": "Account_Name", "data_type": "lookup", "lookup": {"module": {"api_name": "Accounts"}}},
            {"api_name": "Owner", "data_type": "ownerlookup", "lookup": {}},
            {"api_name": "Vendor", "data_type": "lookup", "lookup": {"module": {"api_name": "Custom_Things"}}},
            {"api_name": "Email_Opt_Out", "data_type": "boolean"},
            {"api_name": "Tags_Picked", "data_type": "multiselectpicklist"},
            {"api_name": "Annual_Revenue", "data_type": "currency"},
            {"api_name": "Employees", "data_type": "integer"},
            {"api_name": "Modified_Time", "data_type": "datetime"},
        ]
    )
    wanted = ["Account_Name", "Owner", "Vendor", "Email_Opt_Out", "Tags_Picked", "Annual_Revenue", "Employees"]
    assert shape.request_fields(wanted) == [*wanted, "Account_Name.Account_Name"]
    row = {
        "Id": "11",
        "Account_Name": "57",
        "Account_Name.Account_Name": "Acme",
        "Owner": "99",
        "Vendor": "",
        "Email_Opt_Out": "false",
        "Tags_Picked": "A;B",
        "Annual_Revenue": "1250000.5",
        "Employees": "12",
        "Modified_Time": "2026-11-01T10:00:00+00:00",
    }
    assert shape.record(row) == {
        "Account_Name": {"name": "Acme", "id": "57"},
        "Owner": {"name": None, "id": "99"},
        "Vendor": None,
        "Email_Opt_Out": False,
        "Tags_Picked": ["A", "B"],
        "Annual_Revenue": 1_250_000.5,
        "Employees": 12,
        "Modified_Time": "2026-11-01T10:00:00+00:00",
        "id": "11",
    }
    assert shape.record({"Id": "12", "Account_Name": "", "Account_Name.Account_Name": ""})["Account_Name"] is None


def test_bulk_record_shape_reads_v2_lookup_metadata_where_the_module_is_a_string() -> None:
    shape = BulkRecordShape([{"api_name": "Account_Name", "data_type": "lookup", "lookup": {"module": "Accounts"}}])
    assert shape.request_fields(["Account_Name"]) == ["Account_Name", "Account_Name.Account_Name"]
