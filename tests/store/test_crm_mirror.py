"""The Zoho mirror: records in, normalized match columns stored, read back as resolver candidates."""

from __future__ import annotations

import pytest

from leadflow.errors import LeadflowError
from leadflow.pipeline.crm_mirror import load_crm_records, match_columns
from leadflow.store import open_store
from leadflow.store.crm import crm_candidates, latest_modified_time, leadflow_ids

CONTACT = {
    "id": "5001",
    "First_Name": "Liz",
    "Last_Name": "Taylor, MBA",
    "Email": " Liz.Taylor@Acme.COM ",
    "Mobile": "+1 (415) 555-2671",
    "Account_Name": {"name": "Acme, Inc.", "id": "77"},
    "Mailing_Country": "United States",
    "Leadflow_ID": "gp_0123456789abcdef",
    "Modified_Time": "2025-06-01T09:00:00+00:00",
}


def test_match_columns_normalize_like_ingest() -> None:
    columns = match_columns("Contacts", CONTACT)
    assert columns["email"] == "liz.taylor@acme.com"
    assert columns["first_name_key"] == "liz"  # the name as written; nicknames are evidence in resolve
    assert columns["last_name"] == "Taylor"
    assert columns["company_key"] == "acme"
    assert columns["company_domain"] == "acme.com"
    assert columns["account_id"] == "77"
    assert columns["country"] == "US"
    with pytest.raises(LeadflowError, match="mirrors"):
        match_columns("Deals", {})


def test_load_update_and_read_back(database_url: str) -> None:
    engine = open_store(database_url)
    with engine.begin() as connection:
        load_crm_records(
            connection,
            [
                ("Contacts", CONTACT),
                ("Accounts", {"id": "77", "Account_Name": "Acme, Inc.", "Website": "www.acme.com", "Employees": 120,
                              "Modified_Time": "2025-05-01T09:00:00+00:00"}),
            ],
        )  # fmt: skip
    with engine.begin() as connection:  # the same record again, edited in Zoho: updated in place
        load_crm_records(
            connection, [("Contacts", {**CONTACT, "Title": "CFO", "Modified_Time": "2025-07-01T00:00:00Z"})]
        )
    with engine.connect() as connection:
        people, accounts = crm_candidates(connection)
        assert people.num_rows == 1
        person = people.to_pylist()[0]
        assert person["rid"] == "crm:Contacts:5001"
        assert person["title"] == "CFO"
        assert person["source_kind"] == "crm"
        assert accounts.to_pylist()[0]["employees"] == 120
        assert latest_modified_time(connection, module="Contacts").month == 7  # type: ignore[union-attr]
        assert leadflow_ids(connection) == {"crm:Contacts:5001": "gp_0123456789abcdef"}
    with engine.begin() as connection, pytest.raises(LeadflowError, match="without an id"):
        load_crm_records(connection, [("Leads", {"Last_Name": "X"})])
    engine.dispose()


def test_a_contacts_company_is_its_account_not_its_email_domain(database_url: str) -> None:
    # Leadflow may write a Contact's Email (an address from an export, at another company); the Contact still
    # works where its Account lookup says, so resolve must read the Account, not the email's domain.
    engine = open_store(database_url)
    moved = {**CONTACT, "Email": "liz.taylor@riverfoods.com", "Account_Name": {"name": "Acme", "id": "77"}}
    with engine.begin() as connection:
        load_crm_records(
            connection,
            [
                ("Contacts", moved),
                ("Contacts", {**CONTACT, "id": "5002", "Account_Name": None, "Email": "bo@beta.io"}),
                ("Accounts", {"id": "77", "Account_Name": "Acme, Inc.", "Website": "https://acme.com"}),
            ],
        )
    with engine.connect() as connection:
        people, _ = crm_candidates(connection)
    by_id = {row["crm_id"]: row for row in people.to_pylist()}
    assert (by_id["5001"]["company_domain"], by_id["5001"]["company_key"]) == ("acme.com", "acme")
    assert by_id["5001"]["company_name"] == "Acme, Inc."  # the Account's own name, not the lookup's text
    assert by_id["5002"]["company_domain"] == "beta.io"  # no Account: the email's domain is all there is
    engine.dispose()
