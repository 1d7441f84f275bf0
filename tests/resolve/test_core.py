"""The resolver's pure core: identity keys, the namesake guard, stable ids, merge and provenance, CRM matching."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pytest

from leadflow.resolve.clustering import cluster
from leadflow.resolve.engine import ResolveOptions, resolve
from leadflow.resolve.ids import assign_ids
from leadflow.resolve.merge import PERSON_MERGE_FIELDS, MergePolicy, field_source


def person(rid: str, **values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "rid": rid,
        "source_record_id": int(rid[2:]) if rid.startswith("p:") else None,
        "source_kind": "apollo",
        "file_name": "apollo.csv",
        "row_number": int(rid[2:]) if rid.startswith("p:") else None,
    }
    base.update(values)
    return base


def table(rows: list[dict[str, Any]]) -> pa.Table:
    names = sorted({name for row in rows for name in row})
    return pa.Table.from_pylist([{name: row.get(name) for name in names} for row in rows])


def jo(rid: str, **values: Any) -> dict[str, Any]:
    defaults = {
        "first_name": "Jo",
        "last_name": "Smith",
        "first_name_key": "joseph",
        "last_name_key": "smith",
        "company_name": "Acme Inc",
        "company_key": "acme",
        "company_domain": "acme.com",
    }
    return person(rid, **{**defaults, **values})


def clusters_of(result: Any) -> dict[str, str]:
    return {row["rid"]: row["golden_person_id"] for row in result.members.to_pylist()}


def test_rows_sharing_an_identity_key_are_one_person() -> None:
    rows = [
        jo("p:1", email="jo@acme.com", email_status="verified"),
        jo("p:2", email="jo@acme.com", first_name_key="j", last_name_key="smiht"),  # cut short, a typo
        person("p:3", linkedin_slug="jo-smith", first_name_key="jo"),
        person("p:4", linkedin_slug="jo-smith", salesnav_id="ACwAA1"),
        person("p:5", salesnav_id="ACwAA1"),
        person("p:6", apollo_contact_id="a" * 24),
        person("p:7", apollo_contact_id="a" * 24),
    ]
    members = clusters_of(resolve(table(rows)))
    assert members["p:1"] == members["p:2"]
    assert members["p:3"] == members["p:4"] == members["p:5"]
    assert members["p:6"] == members["p:7"]
    assert len({members["p:1"], members["p:3"], members["p:6"]}) == 3


def test_a_shared_address_does_not_join_clearly_different_names() -> None:
    """An assistant's rows carrying the executive's address, a shared inbox, spouses: two people."""
    rows = [
        jo("p:1", email="jo@acme.com", email_status="verified"),
        jo("p:2", email="jo@acme.com", first_name="Ann", last_name="Lee", first_name_key="ann", last_name_key="lee"),
    ]
    members = clusters_of(resolve(table(rows)))
    assert members["p:1"] != members["p:2"]


def test_nicknames_add_evidence_but_felix_and_felicia_are_two_people() -> None:
    rows = [
        jo("p:1", first_name="Felix", first_name_key="felix", email="felix@acme.com", email_status="verified"),
        jo("p:2", first_name="Felicia", first_name_key="felicia", email="felicia@acme.com", email_status="verified"),
        jo("p:3", first_name="Bob", first_name_key="bob", city="Austin", title="CFO", phone_e164="+15125550111"),
        jo("p:4", first_name="Robert", first_name_key="robert", city="Austin", title="CFO", phone_e164="+15125550111"),
    ]
    members = clusters_of(resolve(table(rows)))
    assert members["p:1"] != members["p:2"]
    assert members["p:3"] == members["p:4"]


def test_role_addresses_are_no_identity() -> None:
    rows = [
        person("p:1", email="info@acme.com", email_is_role=True, first_name_key="ann", last_name_key="lee"),
        person("p:2", email="info@acme.com", email_is_role=True, first_name_key="bo", last_name_key="kim"),
    ]
    members = clusters_of(resolve(table(rows)))
    assert members["p:1"] != members["p:2"]


def test_namesakes_with_different_verified_emails_at_one_domain_stay_apart() -> None:
    rows = [
        jo("p:1", email="jo.smith@acme.com", email_status="verified", title="CFO", city="Austin"),
        jo("p:2", email="jsmith@acme.com", email_status="verified", title="Engineer", city="Austin"),
        # a Sales Navigator row (no email) that looks like both: it joins one of them, never bridges the two
        jo("p:3", source_kind="salesnav", title="CFO", city="Austin"),
    ]
    result = resolve(table(rows))
    members = clusters_of(result)
    assert members["p:1"] != members["p:2"]
    assert members["p:3"] == members["p:1"]
    assert result.stats["rejected_by_namesake_guard"] >= 1


def test_strong_evidence_overrides_the_namesake_guard() -> None:
    rows = [
        jo("p:1", email="jo.smith@acme.com", email_status="verified", phone_e164="+14155550101", city="Austin"),
        jo("p:2", email="jsmith@acme.com", email_status="verified", phone_e164="+14155550101", city="Austin"),
    ]
    apart = clusters_of(resolve(table(rows)))
    assert apart["p:1"] != apart["p:2"]
    together = clusters_of(resolve(table(rows), options=ResolveOptions(strong_evidence_weight=5.0)))
    assert together["p:1"] == together["p:2"]


def test_guard_unit_rejects_a_bridge_between_two_verified_emails() -> None:
    result = cluster(
        3,
        slots=[{"email@x": "a@x"}, {}, {"email@x": "b@x"}],
        key_edges=[],
        scored_edges=[(0, 1, 10.0), (1, 2, 12.0)],
        strong_weight=20.0,
    )
    assert result.labels == [0, 1, 1]
    assert result.rejected == 1


def test_decorated_and_nickname_rows_join_by_probabilistic_match() -> None:
    rows = [
        jo("p:1", email="jo.smith@acme.com", email_status="verified", title="VP Sales", city="Austin"),
        jo("p:2", source_kind="salesnav", first_name="Joe", title="VP Sales", city="Austin", salesnav_id="ACw1"),
    ]
    result = resolve(table(rows))
    members = clusters_of(result)
    assert members["p:1"] == members["p:2"]
    joined = next(m for m in result.members.to_pylist() if m["match_reason"] == "splink")
    detail = json.loads(joined["match_detail"])
    assert detail["first_name"]["level"] == "exact"
    assert joined["match_weight"] > 0


def test_ids_are_stable_across_runs_and_new_rows() -> None:
    rows = [jo("p:1", email="jo@acme.com"), person("p:2", email="ann@beta.com", first_name_key="ann")]
    first = clusters_of(resolve(table(rows)))
    again = clusters_of(resolve(table(rows)))
    assert first == again
    # a new row with a smaller rid joins Jo's cluster: the cluster keeps its id because of the previous run
    rows.append(jo("p:0", email="jo@acme.com"))
    third = clusters_of(resolve(table(rows), previous=first))
    assert third["p:0"] == third["p:1"] == first["p:1"]
    assert third["p:2"] == first["p:2"]


def test_split_cluster_keeps_the_id_for_the_larger_part() -> None:
    ids = assign_ids([["p:1"], ["p:2", "p:3"]], {"p:1": "gp_a", "p:2": "gp_a", "p:3": "gp_a"})
    assert ids[1] == "gp_a"
    assert ids[0] != "gp_a"
    assert ids[0].startswith("gp_")


def test_merge_by_source_priority_with_provenance() -> None:
    rows = [
        jo("p:1", email="jo@acme.com", source_kind="salesnav", title="Head of Sales", file_name="sn.csv", row_number=4),
        jo("p:2", email="jo@acme.com", title="VP Sales", file_name="apollo.csv", row_number=9, city="Austin"),
    ]
    result = resolve(table(rows))
    (golden,) = result.people.to_pylist()
    assert golden["title"] == "VP Sales"
    assert field_source(golden["provenance"], "title") == {
        "source_kind": "apollo",
        "file_name": "apollo.csv",
        "row_number": 9,
    }
    assert field_source(golden["provenance"], "city") == field_source(golden["provenance"], "title")
    # each source is named once, with the fields it gave
    sources = json.loads(golden["provenance"])
    assert len(sources) == len({(s.get("file_name"), s.get("row_number")) for s in sources})
    given = [field for source in sources for field in source["fields"]]
    assert sorted(given) == sorted(k for k in PERSON_MERGE_FIELDS if golden[k] is not None)
    assert json.loads(golden["emails"]) == ["jo@acme.com"]


def test_most_recent_and_most_complete_policies() -> None:
    rows = [
        jo("p:1", email="jo@acme.com", title="Old title", observed_at=100.0),
        jo("p:2", email="jo@acme.com", source_kind="salesnav", title="New title", observed_at=200.0),
    ]
    recent = resolve(table(rows), options=ResolveOptions(merge=MergePolicy(policy="most_recent")))
    assert recent.people.column("title").to_pylist() == ["New title"]
    rows[1].update(city="Austin", state="Texas", phone_e164="+15125550100")
    complete = resolve(table(rows), options=ResolveOptions(merge=MergePolicy(policy="most_complete")))
    assert complete.people.column("title").to_pylist() == ["New title"]
    with pytest.raises(ValueError, match="unknown merge policy"):
        MergePolicy(policy="random").order_key("title")


def test_crm_record_is_matched_not_duplicated_and_its_edited_fields_win() -> None:
    rows = [
        jo("p:1", email="jo.smith@acme.com", email_status="verified", title="VP Sales", phone_e164="+15125550100"),
        person(
            "crm:Leads:900",
            source_kind="crm",
            crm_module="Leads",
            crm_id="900",
            email="jo.smith@acme.com",
            first_name="Joseph",
            first_name_key="joseph",
            last_name_key="smith",
            title="Vice President of Sales",
        ),
        person(
            "crm:Leads:901",
            source_kind="crm",
            crm_module="Leads",
            crm_id="901",
            email="zoe@other.com",
            first_name_key="zoe",
            last_name_key="park",
        ),
    ]
    policy = MergePolicy(policy="most_recent", fill_only_if_empty=("title", "first_name"))
    result = resolve(table(rows), options=ResolveOptions(merge=policy))
    (golden,) = result.people.to_pylist()  # the CRM-only record makes no golden person
    assert (golden["crm_module"], golden["crm_id"]) == ("Leads", "900")
    assert golden["title"] == "Vice President of Sales"
    assert golden["phone_e164"] == "+15125550100"
    assert field_source(golden["provenance"], "title") == {"crm_module": "Leads", "crm_id": "900"}
    (link,) = result.crm_links.to_pylist()
    assert {k: link[k] for k in ("crm_module", "crm_id", "golden_person_id")} == {
        "crm_module": "Leads",
        "crm_id": "900",
        "golden_person_id": golden["id"],
    }
    # why the CRM record joined, as for a prospect row: the shared email, with the prospect row
    assert (link["match_reason"], link["partner_rid"]) == ("email", "p:1")


def test_only_fill_if_empty_keeps_the_crm_email_over_a_verified_export_email() -> None:
    rows = [
        jo("p:1", email="jo.smith@acme.com", email_status="verified", linkedin_slug="jo-smith"),
        jo(
            "crm:Leads:900",
            source_kind="crm",
            crm_module="Leads",
            crm_id="900",
            email="joseph@acme.com",
            linkedin_slug="jo-smith",
        ),
    ]
    # By default the CRM's address is kept: rewriting it would lose the rep's address and break the key later
    # rows carrying it match on (the weekly flow); without that protection a verified address wins.
    unprotected = ResolveOptions(merge=MergePolicy(fill_only_if_empty=("first_name",)))
    (verified,) = resolve(table(rows), options=unprotected).people.to_pylist()
    assert verified["email"] == "jo.smith@acme.com"
    (kept,) = resolve(table(rows)).people.to_pylist()
    assert kept["email"] == "joseph@acme.com"
    assert field_source(kept["provenance"], "email") == {"crm_module": "Leads", "crm_id": "900"}
    assert json.loads(kept["emails"]) == ["jo.smith@acme.com", "joseph@acme.com"]


def test_companies_by_domain_then_name_and_linked_to_accounts() -> None:
    rows = [
        jo("p:1", email="jo@acme.com", company_name="Acme Inc."),
        person("p:2", first_name_key="ann", last_name_key="lee", company_name="ACME", company_key="acme"),
        person("p:3", first_name_key="bo", last_name_key="kim", company_name="Beta LLC", company_key="beta"),
    ]
    accounts = table(
        [{"rid": "crm:Accounts:77", "crm_id": "77", "company_name": "Acme", "company_domain": "acme.com",
          "company_key": "acme", "industry": "software"}]
    )  # fmt: skip
    result = resolve(table(rows), accounts=accounts)
    companies = {c["company_key"]: c for c in result.companies.to_pylist()}
    assert set(companies) == {"acme", "beta"}
    assert companies["acme"]["crm_account_id"] == "77"
    assert companies["acme"]["industry"] == "software"
    people = {p["first_name_key"]: p for p in result.people.to_pylist()}
    assert people["joseph"]["company_id"] == people["ann"]["company_id"] == companies["acme"]["id"]
    assert companies["acme"]["id"].startswith("gc_")


@pytest.mark.parametrize("policy", ["source_priority", "most_recent", "most_complete"])
def test_a_crm_persons_company_follows_the_crm_under_every_policy(policy: str) -> None:
    # An older export row says the person works at River Foods; Zoho (a Contact under the Iron Foods Account)
    # says Iron Foods. The CRM wins, exports only fill a company the CRM lacks; the person carries the name of
    # the golden company it is linked to (what sync writes back, so the next run reads the same).
    rows = [
        jo("p:1", email="jo@riverfoods.com", company_name="River Foods", company_key="river foods",
           company_domain="riverfoods.com", observed_at=300.0, employees=40, industry="food"),
        person("crm:Contacts:5", source_kind="crm", crm_module="Contacts", crm_id="5", email="jo@riverfoods.com",
               first_name_key="joseph", last_name_key="smith", company_name="IRON FOODS LLC",
               company_key="iron foods", company_domain="ironfoods.co", observed_at=100.0),
        person("p:2", email="ann@riverfoods.com", first_name_key="ann", last_name_key="lee",
               company_name="River Foods", company_key="river foods", company_domain="riverfoods.com"),
    ]  # fmt: skip
    accounts = table(
        [{"rid": "crm:Accounts:9", "crm_id": "9", "company_name": "Iron Foods", "company_key": "iron foods",
          "company_domain": "ironfoods.co"}]
    )  # fmt: skip
    result = resolve(table(rows), accounts=accounts, options=ResolveOptions(merge=MergePolicy(policy=policy)))
    companies = {c["id"]: c for c in result.companies.to_pylist()}
    people = {p["first_name_key"]: p for p in result.people.to_pylist()}
    jo_company = companies[people["joseph"]["company_id"]]
    assert (jo_company["crm_account_id"], jo_company["name"]) == ("9", "Iron Foods")
    assert people["joseph"]["company_name"] == "Iron Foods"
    assert field_source(people["joseph"]["provenance"], "company_name")["crm_id"] == "9"
    assert companies[people["ann"]["company_id"]]["domain"] == "riverfoods.com"
    assert people["ann"]["company_name"] == "River Foods"


def test_duplicate_rids_are_an_error() -> None:
    with pytest.raises(ValueError, match="more than once"):
        resolve(table([person("p:1"), person("p:1")]))


def test_switchboard_guard_ignores_a_cut_short_first_name_and_drops_only_the_shared_number() -> None:
    BOARD = "+35312000000"
    cian = {"first_name": "Cian", "first_name_key": "cian", "last_name": "Byrne", "last_name_key": "byrne",
            "title": "CFO", "city": "Dublin"}  # fmt: skip
    rows = [
        jo("p:1", **cian, phone_e164="+353871234567", email="cian@acme.com", email_status="verified"),
        jo("p:2", **{**cian, "first_name": "Ci", "first_name_key": "ci"}, phone_e164="+353871234567"),
        # a switchboard: three colleagues, one number
        jo("p:3", first_name="Ann", first_name_key="ann", last_name="Lee", last_name_key="lee", phone_e164=BOARD),
        jo("p:4", first_name="Bo", first_name_key="bo", last_name="Kim", last_name_key="kim", phone_e164=BOARD),
        jo("p:5", phone_e164=BOARD, title="Engineer", city="Cork"),
    ]  # fmt: skip
    result = resolve(table(rows))
    members = clusters_of(result)
    assert members["p:1"] == members["p:2"]
    assert len({members["p:3"], members["p:4"], members["p:5"]}) == 3
    reasons = {m["rid"]: m["match_reason"] for m in result.members.to_pylist()}
    assert "phone_key" in {reasons["p:1"], reasons["p:2"]}  # Cian's own number still joins his rows
