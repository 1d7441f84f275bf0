from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow.normalize.email import normalize_email
from leadflow.normalize.prospect import _FAST_EMAIL, PROSPECT_FIELDS, normalize_batch
from leadflow.normalize.vector import clean_cells, json_objects, map_distinct

ROWS = {
    "first_name": ["Bob", "  JANE ", None, "Dr. Amir", None],
    "last_name": ["Smith, MBA", "doe", None, "Khan 🚀", None],
    "full_name": [None, None, None, None, "Liz Taylor"],
    "title": ["VP Sales", "Software Engineer", None, "Co-Founder & CEO", "Head of People"],
    "email": ["Bob.Smith@Acme.com", "jane@gmail.com", "", "not-an-email", None],
    "email_status": ["Verified", "User Managed", None, "Verified", None],
    "email_catch_all": [None, None, None, "Catch-all", None],
    "email_2": ["bob@acme.com", "JANE.DOE@Widgets.io", None, None, None],
    "phone_mobile": ["'+91 98113 42484", None, None, None, None],
    "phone_corporate": ["+1 650-253-0000", "020 7946 0958", None, None, None],
    "person_linkedin_url": [
        "http://www.linkedin.com/in/Bob-Smith",
        None,
        None,
        "https://www.linkedin.com/in/ACwAAAB1c2VyMQxxxxxxxxxxxxxxxxxxxxx",
        "linkedin.com/in/liz-t%C3%A9",
    ],
    "salesnav_url": [None, None, None, "https://www.linkedin.com/sales/lead/ACwAAAB1c2VyMQ,NAME_SEARCH,ab", None],
    "company_name": ["Acme, Inc.", "Widgets Ltd", None, "Nimbus AI GmbH", None],
    "website": ["http://www.acme.com", None, None, None, None],
    "company_linkedin_url": ["http://www.linkedin.com/company/acme", None, None, None, None],
    "company_linkedin_id": [None, None, None, "1441", None],
    "employees": ["120", "51-200", None, None, None],
    "annual_revenue": ["1200000", None, None, "$2.5M", None],
    "country": ["India", "United Kingdom", None, "Germany", None],
    "technologies": ["Salesforce, HubSpot", None, None, None, None],
    "do_not_call": ["FALSE", "true", None, None, None],
}


def test_normalize_batch_columns_and_values() -> None:
    table, identity = normalize_batch(ROWS, length=5, default_country=None)
    assert tuple(table.column_names) == PROSPECT_FIELDS
    rows = table.to_pylist()
    bob, jane, empty, amir, liz = rows
    assert bob["email"] == "bob.smith@acme.com"
    assert bob["email_status"] == "verified"
    assert json.loads(bob["other_emails"]) == ["bob@acme.com"]
    assert (bob["first_name"], bob["last_name"], bob["first_name_key"], bob["last_name_key"]) == (
        "Bob",
        "Smith",
        "bob",
        "smith",
    )
    assert (bob["seniority"], bob["department"], bob["persona"]) == ("vp", "sales", "decision_maker")
    assert (bob["phone_e164"], bob["phone_type"]) == ("+919811342484", "mobile")
    assert bob["linkedin_url"] == "https://www.linkedin.com/in/bob-smith"
    assert (bob["company_key"], bob["company_domain"], bob["company_linkedin_slug"]) == ("acme", "acme.com", "acme")
    assert (bob["employees"], bob["annual_revenue"], bob["country"]) == (120, 1_200_000.0, "IN")
    assert json.loads(bob["technologies"]) == ["Salesforce", "HubSpot"]
    assert bob["do_not_call"] is False

    assert jane["email_is_free"] is True
    assert jane["company_domain"] is None
    assert jane["email_status"] == "unverified"
    assert jane["first_name"] == "Jane"
    assert jane["last_name"] == "Doe"
    assert (jane["phone_e164"], jane["phone_type"]) == ("+442079460958", "fixed")
    assert jane["do_not_call"] is True
    assert jane["employees"] == 51

    assert empty["email"] is None
    assert empty["email_status"] == "unknown"
    assert empty["persona"] == "unknown"
    assert amir["email"] is None
    assert amir["email_status"] == "invalid"
    assert amir["salesnav_id"] == "ACwAAAB1c2VyMQ"
    assert amir["linkedin_slug"] is None
    assert (amir["company_key"], amir["company_linkedin_id"], amir["annual_revenue"]) == ("nimbus ai", "1441", 2.5e6)
    assert (liz["first_name"], liz["last_name"], liz["first_name_key"]) == ("Liz", "Taylor", "liz")
    assert liz["linkedin_slug"] == "liz-té"
    assert identity.to_pylist() == [True, True, False, True, True]


def test_batch_agrees_with_scalar_functions_on_a_row() -> None:
    table, _ = normalize_batch({"email": ["  Info@Mailinator.com "]}, length=1)
    info = normalize_email("  Info@Mailinator.com ")
    row = table.to_pylist()[0]
    assert (row["email"], row["email_is_role"], row["email_is_free"], row["email_is_disposable"]) == (
        info.email,
        info.is_role,
        info.is_free,
        info.is_disposable,
    )


def test_unknown_raw_field_is_an_error() -> None:
    with pytest.raises(ValueError, match="emial"):
        normalize_batch({"emial": ["x"]}, length=1)


def test_map_distinct_calls_once_per_value() -> None:
    calls: list[str] = []

    def upper(value: str) -> str:
        calls.append(value)
        return value.upper()

    result = map_distinct(pa.array(["a", "b", "a", None, "a"]), upper, pa.string())
    assert result.to_pylist() == ["A", "B", "A", None, "A"]
    assert sorted(calls) == ["a", "b"]


_local = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._%+-", min_size=1, max_size=70)
_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=66)
_emails = st.builds(
    lambda local, labels, tld: f"{local}@{'.'.join(labels)}.{tld}",
    _local,
    st.lists(_label, min_size=1, max_size=3),
    st.sampled_from(["com", "io", "co", "de", "test", "local", "x1", "c-m", "museum", "1a"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_emails, min_size=1, max_size=20))
def test_fast_email_path_accepts_only_what_email_validator_accepts(values: list[str]) -> None:
    table, _ = normalize_batch({"email": values}, length=len(values))
    fast = pc.match_substring_regex(pc.utf8_lower(clean_cells(pa.array(values))), _FAST_EMAIL).to_pylist()
    for value, got, was_fast in zip(values, table.column("email").to_pylist(), fast, strict=True):
        assert got == normalize_email(value).email, (value, was_fast)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(max_size=12), st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)),
        min_size=1,
        max_size=6,
    )
)
def test_json_objects_match_json_dumps(pairs: list[tuple[str, str]]) -> None:
    names = [f"{i}:{name}" for i, (name, _) in enumerate(pairs)]
    arrays = [pa.array([value]) for _, value in pairs]
    (text,) = json_objects(names, arrays)
    assert json.loads(text) == {n: v for n, (_, v) in zip(names, pairs, strict=True) if v}


def test_a_name_with_a_phone_or_a_company_is_an_identity_a_placeholder_address_is_not() -> None:
    table, ok = normalize_batch(
        {
            "first_name": ["Cian", "Cian", "Cian", None],
            "last_name": ["Byrne", "Byrne", "Byrne", None],
            "email": ["test@test.com", None, None, "noreply@acme.com"],
            "phone_mobile": ["+353 87 123 4567", None, None, None],
            "company_name": [None, "Acme", None, None],
        },
        length=4,
    )
    assert ok.to_pylist() == [True, True, False, False]
    assert table.column("email").to_pylist() == [None, None, None, None]
