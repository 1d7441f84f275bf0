"""The client's own logic that needs no server: credits ledger, criteria and COQL escaping, data centres,
token error messages, secrets, proxy base URLs, grant parsing, bulk CSV values and result parsing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography.fernet import Fernet

from leadflow.errors import ConfigError, CreditBudgetExceeded, InputError
from leadflow.store import open_store
from leadflow.zoho.auth import ProxyAuth
from leadflow.zoho.bulk import csv_value, parse_errors
from leadflow.zoho.consent import consent_url, parse_grant
from leadflow.zoho.coql import bind, literal
from leadflow.zoho.credits import CreditMeter, coql_cost, write_cost
from leadflow.zoho.criteria import Criteria, escape_value
from leadflow.zoho.datacentres import DATA_CENTRES, data_centre_of, upload_root
from leadflow.zoho.errors import TokenError
from leadflow.zoho.results import RecordResult
from leadflow.zoho.secrets import SecretBox


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_costs_follow_zohos_table() -> None:
    assert [write_cost(n) for n in (1, 9, 10, 11, 100)] == [1, 1, 1, 2, 10]
    assert [coql_cost(n) for n in (1, 200, 201, 1000, 1001, 2000)] == [1, 1, 2, 2, 3, 3]


def test_meter_stops_before_the_budget_and_says_so(database_url: str) -> None:
    clock = Clock()
    meter = CreditMeter(open_store(database_url), budget=25, clock=clock)
    meter.reserve(10, "upsert")
    meter.reserve(10, "upsert")
    with pytest.raises(CreditBudgetExceeded, match=r"needs 10 credits but 20 of the daily_credit_budget 25"):
        meter.reserve(10, "upsert")
    meter.reserve(5, "get")
    figures = meter.figures()
    assert (figures.spent, figures.calls, figures.remaining) == (25, 3, 0)
    assert figures.frees_up_at == clock.now + timedelta(hours=24)


def test_meter_window_rolls_over_24_hours(database_url: str) -> None:
    clock = Clock()
    meter = CreditMeter(open_store(database_url), budget=10, clock=clock, refresh_seconds=0)
    meter.reserve(8, "a")
    clock.now += timedelta(hours=23, minutes=59)
    with pytest.raises(CreditBudgetExceeded):
        meter.reserve(3, "b")
    clock.now += timedelta(minutes=2)
    meter.reserve(10, "c")
    assert meter.figures().spent == 10


def test_meter_releases_and_is_shared_through_the_store(sqlite_url: str) -> None:
    clock = Clock()
    engine = open_store(sqlite_url)
    first = CreditMeter(engine, budget=100, clock=clock, refresh_seconds=0)
    second = CreditMeter(open_store(sqlite_url), budget=100, clock=clock, refresh_seconds=0)
    held = first.reserve(30, "x")
    second.reserve(50, "y")
    assert first.figures().spent == 80
    first.release(held)
    assert second.figures().spent == 50


def test_meter_reads_the_servers_remaining_header() -> None:
    import httpx

    meter = CreditMeter(open_store("sqlite://"), budget=10)
    meter.observe(httpx.Response(200, headers={"X-RATELIMIT-REMAINING": "4321"}))
    assert meter.figures().server_remaining == 4321


def test_criteria_escape_specials_and_combine() -> None:
    assert escape_value("Acme (UK), Ltd\\x") == "Acme \\(UK\\)\\, Ltd\\\\x"
    assert escape_value(True) == "true"
    assert escape_value(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05+00:00"
    c = (Criteria.field("Email").equals("a@b.co") | Criteria.field("Phone").starts_with("+44")) & Criteria.field(
        "Lead_Source"
    ).in_(["Web", "Ads, paid"])
    assert str(c) == "(((Email:equals:a@b.co)or(Phone:starts_with:+44))and(Lead_Source:in:Web,Ads\\, paid))"
    assert str(Criteria.field("Amount").between(1, 5)) == "(Amount:between:1,5)"


def test_criteria_limits() -> None:
    c = Criteria.field("A").equals(1)
    for _ in range(9):
        c = c & Criteria.field("A").equals(1)
    with pytest.raises(InputError, match="at most 10"):
        c & Criteria.field("B").equals(2)
    with pytest.raises(InputError):
        Criteria.field("bad name")
    with pytest.raises(InputError):
        Criteria.field("A").in_([])


def test_coql_literals_and_binding() -> None:
    assert literal("O'Brien \\ co") == "'O\\'Brien \\\\ co'"
    assert literal(None) == "null"
    assert literal(date(2026, 1, 2)) == "'2026-01-02'"
    assert literal((1, 2.5)) == "(1, 2.5)"
    query = "select Email from Leads where Email = ? and Last_Name != 'what?' and Lead_Source in ?"
    assert bind(query, ["x'); delete", ["A", "B"]]) == (
        "select Email from Leads where Email = 'x\\'); delete' and Last_Name != 'what?' and Lead_Source in ('A', 'B')"
    )
    with pytest.raises(InputError, match="placeholders"):
        bind("select a from b where c = ?", [])
    with pytest.raises(InputError, match="placeholders"):
        bind("select a from b", [1])
    with pytest.raises(InputError):
        literal([])


def test_every_data_centre_is_known() -> None:
    assert set(DATA_CENTRES) == {"us", "eu", "in", "au", "jp", "ca", "cn", "sa"}
    assert DATA_CENTRES["ca"].accounts_url == "https://accounts.zohocloud.ca"
    assert DATA_CENTRES["ca"].api_url == "https://www.zohoapis.ca"
    assert DATA_CENTRES["cn"].accounts_url == "https://accounts.zoho.com.cn"
    assert DATA_CENTRES["au"].api_url == "https://www.zohoapis.com.au"
    assert data_centre_of("https://www.zohoapis.sa/crm/v8") == "sa"
    assert data_centre_of("http://127.0.0.1:8010") is None
    assert upload_root("https://www.zohoapis.jp") == "https://content.zohoapis.jp"


def test_token_errors_say_what_to_do() -> None:
    error = TokenError.from_reply({"error": "invalid_code"})
    assert error.vendor_code == "invalid_code"
    assert "expired" in str(error)
    assert "leadflow auth zoho" in str(error)
    assert "data_centre" in str(TokenError.from_reply({"error": "invalid_client"}))
    assert "unheard_of" in str(TokenError.from_reply({"error": "unheard_of"}))


def test_secret_box_needs_a_real_key() -> None:
    with pytest.raises(ConfigError, match="LEADFLOW_SECRET_KEY is not set"):
        SecretBox.required(None, purpose="save the token")
    with pytest.raises(ConfigError, match="not a Fernet key"):
        SecretBox("too-short")
    box = SecretBox(Fernet.generate_key().decode())
    token = box.encrypt("1000.refresh")
    assert "1000.refresh" not in token
    with pytest.raises(ConfigError, match="key changed"):
        SecretBox(Fernet.generate_key().decode()).decrypt(token)


def test_proxy_base_urls() -> None:
    assert ProxyAuth("https://pc.example/api/crm/v8/").api_root() == "https://pc.example/api"
    assert ProxyAuth("https://pc.example/crm/v2").api_version == "v2"
    with pytest.raises(ConfigError, match="crm/v2/ or crm/v8/"):
        ProxyAuth("https://pc.example/zoho/")


def test_grant_codes_from_urls_and_pastes() -> None:
    grant = parse_grant(
        "http://127.0.0.1:8765/callback?state=s1&code=1000.c&location=in&accounts-server=https%3A%2F%2Faccounts.zoho.in"
    )
    assert (grant.code, grant.location, grant.accounts_server, grant.state) == (
        "1000.c",
        "in",
        "https://accounts.zoho.in",
        "s1",
    )
    assert parse_grant("1000.selfclient").code == "1000.selfclient"
    with pytest.raises(InputError):
        parse_grant("  ")
    url = consent_url("https://accounts.zoho.com", client_id="1000.X", redirect_uri="http://127.0.0.1:1/cb", state="z")
    assert "scope=ZohoCRM.modules.ALL%2C" in url
    assert "access_type=offline" in url


def test_bulk_csv_values_and_error_column() -> None:
    assert csv_value(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00+00:00"
    assert csv_value(False) == "false"
    assert csv_value(3.5) == "3.5"
    assert parse_errors("") == []
    assert parse_errors("INVALID_DATA-Email") == [{"code": "INVALID_DATA", "column": "Email"}]


def test_record_results_from_zoho_items() -> None:
    failed = RecordResult.from_item(
        3,
        {
            "code": "MANDATORY_NOT_FOUND",
            "status": "error",
            "message": "required field not found",
            "details": {"api_name": "Last_Name", "json_path": "$.data[0].Last_Name"},
        },
        default_action="insert",
    )
    assert (failed.ok, failed.action, failed.id, failed.details["api_name"]) == (False, None, None, "Last_Name")
    upserted = RecordResult.from_item(
        0,
        {
            "code": "SUCCESS",
            "status": "success",
            "action": "update",
            "duplicate_field": "Email",
            "details": {"id": "1"},
        },
    )
    assert (upserted.action, upserted.duplicate_field) == ("update", "Email")
