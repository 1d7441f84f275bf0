"""Pure helpers of the reports: record links from config, values formatted for people, CSV and JSON."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from leadflow.config import Settings
from leadflow.reporting import Column, Report, ReportFilters, Table, record_links
from leadflow.reporting.formats import format_value, report_csv, report_json


def test_record_links_from_settings() -> None:
    settings = Settings(zoho={"data_centre": "eu"}, ghl={"location_id": "loc 1"}, report={"zoho_org_id": "20071234"})
    links = record_links(settings)
    assert links.zoho("Contacts", "5725") == "https://crm.zoho.eu/crm/org20071234/tab/Contacts/5725"
    assert links.ghl("c/9") == "https://app.gohighlevel.com/v2/location/loc%201/contacts/detail/c%2F9"
    assert links.zoho(None, "1") is None
    assert record_links(settings, zoho_org_id="").zoho("Leads", "1") == "https://crm.zoho.eu/crm/tab/Leads/1"
    assert record_links().ghl("c1") is None  # no location configured: no link rather than a broken one


def test_values_for_people() -> None:
    assert format_value(1234567, "count") == "1,234,567"
    assert format_value(0.5, "rate") == "50.0%"
    assert format_value(-2500.0, "money", currency="USD") == "-$2,500"
    assert format_value(2500.0, "money", currency="GBP") == "£2,500"
    assert format_value(float("nan"), "number") == "–"
    assert format_value(datetime(2026, 11, 3, 9, 5, tzinfo=UTC), "datetime") == "2026-11-03 09:05+00:00"
    assert format_value("Apollo file", "text") == "Apollo file"


def test_csv_and_json_keep_raw_values() -> None:
    table = Table(
        "t",
        "T",
        (Column("day", "Day", "date"), Column("rate", "Rate", "rate"), Column("note", "Note")),
        [{"day": date(2026, 11, 3), "rate": 0.25, "note": 'a "quoted", text'}, {"day": None, "rate": None}],
    )
    report = Report("engagement", "E", ReportFilters(segment="dach"), (table,), ("a note",))
    assert report_csv(report) == {"t": 'day,rate,note\n2026-11-03,0.25,"a ""quoted"", text"\n,,\n'}
    document = json.loads(report_json(report))
    assert document["filters"] == {"segment": "dach"}
    assert document["notes"] == ["a note"]
    assert document["tables"][0]["rows"] == [
        {"day": "2026-11-03", "rate": 0.25, "note": 'a "quoted", text'},
        {"day": None, "rate": None, "note": None},
    ]
