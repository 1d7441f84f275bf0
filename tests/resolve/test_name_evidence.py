"""Issue 18: what a name is worth. A key that spells the name both rows carry joins them despite a typo or a
short form; a direct phone joins rows whose names agree; two people left apart who share nothing but a name are
listed for review (kind ``same_name``), never joined, and never listed when a key tells them apart."""

from __future__ import annotations

from typing import Any

from leadflow.resolve.engine import Constraints, ResolveOptions, resolve
from tests.resolve.test_core import clusters_of, person, table


def named(rid: str, first: str, last: str, company: str, **values: Any) -> dict[str, Any]:
    names = {"first_name": first.title(), "last_name": last.title(), "first_name_key": first, "last_name_key": last}
    company_values = {"company_name": company.title(), "company_key": company, "company_domain": f"{company}.com"}
    return person(rid, **names, **company_values, **values)


def test_an_address_spelling_both_names_joins_a_short_form_and_a_typo() -> None:
    rows = [
        named("p:1", "rik", "ryan", "zendata", email="richard.ryan@zendata.com"),
        named("p:2", "richard", "ryan", "zendata", email="richard.ryan@zendata.com"),
        named("p:3", "margaret", "kan", "acme", linkedin_slug="margaret-khan-39687d"),
        named("p:4", "margaret", "khaan", "wave", linkedin_slug="margaret-khan-39687d"),
        named("p:5", "ann", "lee", "zendata", email="richard.ryan@zendata.com"),  # the assistant: not spelt
    ]
    members = clusters_of(resolve(table(rows)))
    assert members["p:1"] == members["p:2"]
    assert members["p:3"] == members["p:4"]
    assert members["p:5"] != members["p:1"]


def test_a_direct_phone_joins_agreeing_names_only() -> None:
    rows = [
        named("p:1", "dave", "schulz", "pine", email="david.schulz@pine.com", phone_e164="+12067422075"),
        named("p:2", "david", "schulz", "oak", email="dschulz@oak.com", phone_e164="+12067422075"),
        named("p:3", "emma", "berg", "pine", phone_e164="+15129415615"),
        named("p:4", "oscar", "berg", "oak", phone_e164="+15129415615"),  # a family number: two people
    ]
    members = clusters_of(resolve(table(rows)))
    assert members["p:1"] == members["p:2"]
    assert members["p:3"] != members["p:4"]


def test_people_sharing_only_a_name_wait_in_review() -> None:
    rows = [
        named("p:1", "amara", "hill", "zendevices", email="amara.hill@zendevices.com", linkedin_slug="amara-hill"),
        named("p:2", "amara", "hill", "peakdata", source_kind="salesnav", salesnav_id="ACwAA1"),  # changed job?
        named("p:3", "nina", "torres", "oak", linkedin_slug="nina-torres-1"),
        named("p:4", "nina", "torres", "beacon", linkedin_slug="nina-torres-2"),  # two slugs: two people
        named("p:5", "chloe", "kim", "granite", email="chloe.kim@granite.com"),
        named("p:6", "chloe", "kim", "granite", email="ckim@granite.com"),  # two addresses at one domain
    ]
    result = resolve(table(rows))
    members = clusters_of(result)
    assert members["p:1"] != members["p:2"]  # a name is no evidence: not joined ...
    same_name = {(p["rid_l"], p["rid_r"]) for p in result.review.to_pylist() if p["kind"] == "same_name"}
    assert ("p:1", "p:2") in same_name  # ... but listed for a reviewer
    assert not {pair for pair in same_name if set(pair) & {"p:3", "p:4", "p:5", "p:6"}}
    decided = ResolveOptions(constraints=Constraints(cannot_link=(("p:1", "p:2"),)))
    again = resolve(table(rows), options=decided).review.to_pylist()
    assert ("p:1", "p:2") not in {(p["rid_l"], p["rid_r"]) for p in again}
