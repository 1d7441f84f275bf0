"""Search: criteria (lark grammar), email, phone, word; limits and empty results."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from leadflow_emulators.zoho.models import ZohoBackend


@pytest.fixture
def people(backend: ZohoBackend) -> dict[str, str]:
    rows = [
        {
            "Last_Name": "Ng",
            "First_Name": "Ann",
            "Email": "ann@acme.io",
            "Phone": "+1 (555) 010-2000",
            "No_of_Employees": 50,
            "Company": "Acme (EU), Ltd",
            "Lead_Status": "New",
        },
        {
            "Last_Name": "Nguyen",
            "Email": "bo@initech.com",
            "No_of_Employees": 500,
            "Company": "Initech",
            "Lead_Status": "Qualified",
        },
        {
            "Last_Name": "Smith",
            "Email": "cy@globex.com",
            "No_of_Employees": 5,
            "Company": "Globex",
            "Lead_Status": "Qualified",
        },
    ]
    return {
        str(row["Last_Name"]): str(result.id) for row, result in zip(rows, backend.insert("Leads", rows), strict=False)
    }


def _names(api: TestClient, **params: Any) -> list[str]:
    response = api.get("/crm/v8/Leads/search", params=params)
    if response.status_code == 204:
        return []
    assert response.status_code == 200, response.text
    return sorted(item["Last_Name"] for item in response.json()["data"])


@pytest.mark.usefixtures("people")
@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ("(Last_Name:equals:ng)", ["Ng"]),
        ("(Last_Name:not_equal:Ng)", ["Nguyen", "Smith"]),
        ("(Last_Name:starts_with:Ng)", ["Ng", "Nguyen"]),
        ("(Last_Name:in:Ng,Smith)", ["Ng", "Smith"]),
        ("(No_of_Employees:greater_than:50)", ["Nguyen"]),
        ("(No_of_Employees:greater_equal:50)", ["Ng", "Nguyen"]),
        ("(No_of_Employees:less_than:50)", ["Smith"]),
        ("(No_of_Employees:less_equal:50)", ["Ng", "Smith"]),
        ("(No_of_Employees:between:5,50)", ["Ng", "Smith"]),
        ("((Lead_Status:equals:Qualified)and(No_of_Employees:greater_than:10))", ["Nguyen"]),
        ("((Last_Name:equals:Smith)or((Lead_Status:equals:New)and(Email:starts_with:ann)))", ["Ng", "Smith"]),
        ("(Company:equals:Acme \\(EU\\)\\, Ltd)", ["Ng"]),
        ("(Company:in:Acme \\(EU\\)\\, Ltd,Globex)", ["Ng", "Smith"]),
        ("(Last_Name:equals:Nobody)", []),
    ],
)
def test_criteria(api: TestClient, criteria: str, expected: list[str]) -> None:
    assert _names(api, criteria=criteria) == expected


@pytest.mark.usefixtures("people")
def test_email_phone_word(api: TestClient) -> None:
    assert _names(api, email="ANN@acme.io") == ["Ng"]
    assert _names(api, phone="5550102000") == ["Ng"]
    assert _names(api, word="initech") == ["Nguyen"]


@pytest.mark.usefixtures("people")
def test_search_errors(api: TestClient) -> None:
    missing = api.get("/crm/v8/Leads/search")
    assert missing.status_code == 400
    assert missing.json()["code"] == "EXPECTED_PARAM_MISSING"
    syntax = api.get("/crm/v8/Leads/search", params={"criteria": "(Last_Name:equals:x"})
    assert syntax.status_code == 400
    assert syntax.json()["code"] == "INVALID_QUERY"
    unknown = api.get("/crm/v8/Leads/search", params={"criteria": "(Nope:equals:x)"}).json()
    assert unknown["code"] == "INVALID_QUERY"
    assert unknown["details"]["api_name"] == "Nope"
    operator = api.get("/crm/v8/Leads/search", params={"criteria": "(Last_Name:greater_than:x)"}).json()
    assert operator["details"]["operator"] == "greater_than"
    typed = api.get("/crm/v8/Leads/search", params={"criteria": "(No_of_Employees:equals:many)"}).json()
    assert typed["details"]["expected_data_type"] == "integer"
    eleven = "(" + "and".join(f"(Last_Name:equals:n{n})" for n in range(11)) + ")"
    too_many = api.get("/crm/v8/Leads/search", params={"criteria": eleven})
    assert too_many.status_code == 400
    assert too_many.json()["code"] == "CRITERIA_LIMIT_EXCEEDED"
    ten = "(" + "or".join(f"(Last_Name:equals:n{n})" for n in range(10)) + ")"
    assert api.get("/crm/v8/Leads/search", params={"criteria": ten}).status_code == 204


def test_two_thousand_results_then_limit_reached(api: TestClient, backend: ZohoBackend) -> None:
    for start in range(0, 2100, 100):
        backend.insert("Contacts", [{"Last_Name": f"Doe{n}"} for n in range(start, start + 100)])
    page10 = api.get("/crm/v8/Contacts/search", params={"criteria": "(Last_Name:starts_with:Doe)", "page": 10})
    assert page10.status_code == 200
    assert page10.json()["info"]["count"] == 200
    assert page10.json()["info"]["more_records"] is False
    page11 = api.get("/crm/v8/Contacts/search", params={"criteria": "(Last_Name:starts_with:Doe)", "page": 11})
    assert page11.status_code == 400
    assert page11.json() == {
        "code": "LIMIT_REACHED",
        "details": {"limit": "2000"},
        "message": "maximum response iteration limit reached",
        "status": "error",
    }


def test_search_by_tag_and_lookup_name(api: TestClient, backend: ZohoBackend) -> None:
    [account] = backend.insert("Accounts", [{"Account_Name": "Umbrella"}])
    [contact, _] = backend.insert(
        "Contacts", [{"Last_Name": "Wesker", "Account_Name": {"id": account.id}}, {"Last_Name": "Other"}]
    )
    backend.tag_records("Contacts", [contact.id], ["vip"])
    found = api.get("/crm/v8/Contacts/search", params={"criteria": "(Tag:equals:VIP)"}).json()["data"]
    assert [item["id"] for item in found] == [contact.id]
    by_name = api.get("/crm/v8/Contacts/search", params={"criteria": "(Account_Name:equals:umbrella)"}).json()["data"]
    assert [item["id"] for item in by_name] == [contact.id]


@pytest.mark.usefixtures("people")
def test_record_count(api: TestClient) -> None:
    assert api.get("/crm/v8/Leads/actions/count").json() == {"count": 3}
    assert api.get("/crm/v8/Leads/actions/count", params={"criteria": "(Lead_Status:equals:Qualified)"}).json() == {
        "count": 2
    }
    assert api.get("/crm/v8/Contacts/actions/count").json() == {"count": 0}
