"""Issue 18, seeds nobody tuned for: a person split over two CRM records must be joined or wait in review, and
no record may hold two people. Each test is one cause found sweeping the weekly flow on seeds 21-30."""

from __future__ import annotations

from typing import Any

from leadflow.resolve.engine import ResolveResult, resolve
from tests.resolve.test_core import clusters_of, table
from tests.resolve.test_name_evidence import named


def review_pairs(result: ResolveResult) -> set[frozenset[str]]:
    return {frozenset((p["rid_l"], p["rid_r"])) for p in result.review.to_pylist()}


def joined_or_queued(result: ResolveResult, left: str, right: str) -> bool:
    members = clusters_of(result)
    return members[left] == members[right] or frozenset((left, right)) in review_pairs(result)


def test_names_with_two_letters_swapped_share_a_key() -> None:
    """``Ima`` / ``Mia`` and ``Ele`` / ``Lee`` score low on Jaro-Winkler (short names), so a shared key was
    refused as if the names differed."""
    rows = [  # two companies each (a job change): only the key can join them
        named("p:1", "ima", "cho", "firstlabs", linkedin_slug="mia-cho-d34415"),
        named("p:2", "mia", "cho", "orbitlabs", linkedin_slug="mia-cho-d34415"),
        named("p:3", "felix", "ele", "oak", email="felix.lee@gmail.com"),
        named("p:4", "felix", "lee", "pine", email="felix.lee@gmail.com"),
        named("p:5", "ann", "kim", "oak", email="felix.lee@gmail.com"),  # a different name: not joined
    ]
    result = resolve(table(rows))
    members = clusters_of(result)
    reasons = {row["rid"]: row["match_reason"] for row in result.members.to_pylist()}
    assert members["p:1"] == members["p:2"]
    assert reasons["p:1"] == "linkedin_slug"
    assert members["p:3"] == members["p:4"]
    assert reasons["p:3"] == "email"
    assert members["p:5"] != members["p:3"]


def test_a_mistyped_nickname_meets_its_name_on_a_shared_phone() -> None:
    """``Mihcael`` is one edit from Michael, which Mike stands for: the direct phone they share joins them."""
    rows = [
        named("p:1", "mike", "karlsson", "oak", phone_e164="+447663668861"),
        named("p:2", "mihcael", "karlsson", "atlas", phone_e164="+447663668861"),
    ]
    members = clusters_of(resolve(table(rows)))
    assert members["p:1"] == members["p:2"]


def test_a_nickname_and_a_mistyped_last_name_are_compared_within_a_company() -> None:
    """Bob Peetrov / Robert Petrov: no first name, last name or pair of prefixes agreed, so no blocking rule
    compared them; within one company the last name's first two letters do."""
    shared = {"title": "Director of Engineering", "city": "Manchester"}
    rows = [
        named("p:1", "robert", "petrov", "quantum", email="robert@quantum.com", **shared),
        named("p:2", "bob", "peetrov", "quantum", linkedin_slug="robert-petrov-6875a7", **shared),
    ]
    result = resolve(table(rows))
    assert clusters_of(result)["p:1"] == clusters_of(result)["p:2"]  # scored: nickname, company, title, city
    assert {row["match_reason"] for row in result.members.to_pylist()} == {"splink"}


def test_names_with_letters_swapped_in_both_are_compared_and_queued() -> None:
    """eWi Zahng / Wei Zhang: both names mistyped; their letters in order agree (a blocking key and a same-name
    review key)."""
    rows = [
        named("p:1", "wei", "zhang", "vista", source_kind="salesnav", salesnav_id="ACwAA1", city="Boston"),
        named("p:2", "ewi", "zahng", "vistasys", email="wei@vistasys.com", city="Boston"),
    ]
    assert joined_or_queued(resolve(table(rows)), "p:1", "p:2")


def test_job_changers_with_a_typo_or_a_cut_short_nickname_wait_in_review() -> None:
    """Rows at two companies that share only a name, written with a typo in each (Ssnchez / Sanhcez), two
    letters swapped (Ele / Lee), a nickname with a typo (Rbeecca / Becky) or cut short (Ja for Jimmy, a form of
    James): listed for a reviewer, never joined."""
    rows = [
        named("p:1", "jim", "ssnchez", "oak"),
        named("p:2", "james", "sanhcez", "pine"),
        named("p:3", "yuki", "ele", "acme", email="yuki.lee@acme.com"),
        named("p:4", "yuki", "lee", "eagle", email="yuki.lee@eagle.com"),
        named("p:5", "rbeecca", "taylor", "maple", email="rebecca@maple.com"),
        named("p:6", "becky", "taylor", "birch"),
        named("p:7", "jimmy", "meyer", "eagle", email="jamesm@eagle.com"),
        named("p:8", "ja", "meyer", "vertex", email="james.meyer@vertex.io"),
    ]
    result = resolve(table(rows))
    members = clusters_of(result)
    same_name = {frozenset((p["rid_l"], p["rid_r"])) for p in result.review.to_pylist() if p["kind"] == "same_name"}
    for left, right in (("p:1", "p:2"), ("p:3", "p:4"), ("p:5", "p:6"), ("p:7", "p:8")):
        assert members[left] != members[right]
        assert frozenset((left, right)) in same_name


def test_a_local_part_shared_at_unrelated_domains_joins_nobody() -> None:
    """priya@summit.io and priya@prime.co: one name format at two companies, not a typo in a domain; two Priya
    Wolfs with one title were merged on it. Still listed for review (a job change would look the same)."""
    common = {"title": "Head of Marketing", "email_status": "verified"}
    rows = [
        named("p:1", "priya", "wolf", "summitsystems", email="priya@summitsystems.io", city="Austin", **common),
        named("p:2", "priya", "wolf", "primeanalytics", email="priya@primeanalytics.co", city="Chicago", **common),
    ]
    result = resolve(table(rows))
    assert clusters_of(result)["p:1"] != clusters_of(result)["p:2"]
    assert frozenset(("p:1", "p:2")) in review_pairs(result)


def test_a_domain_typo_still_joins_one_local_part() -> None:
    rows = [
        named("p:1", "henrik", "ivanov", "clearlogistics", email="henrik_ivanov@clearlogistics.co", city="Chicago"),
        named("p:2", "henrik", "ivanov", "clearlogistics", email="henrik_ivanov@clearloggistics.co", city="Chicago"),
    ]
    members = clusters_of(resolve(table(rows)))
    assert members["p:1"] == members["p:2"]


def test_namesakes_at_one_company_in_two_departments_are_not_merged() -> None:
    """Two Susan Kleins at one company and city, one with no address: name, company and city agree, which
    merged them. Their titles name two departments (a namesake's, by how such pairs arise): review instead."""
    at_clear: dict[str, Any] = {"city": "Seattle"}
    rows = [
        named("p:1", "susan", "klein", "clearnetworks", title="Marketing Manager", phone_e164="+13124223443",
              department="marketing", seniority="manager", **at_clear),
        named("p:2", "susan", "klein", "clearnetworks", title="Chief Financial Officer", department="finance",
              seniority="c_suite", email="susan_klein2@clearnetworks.com", phone_e164="+15128196813", **at_clear),
        # one role written two ways is one person
        named("p:3", "diego", "hall", "summit", title="CTO", department="engineering", seniority="c_suite",
              **at_clear),
        named("p:4", "diego", "hall", "summit", title="Chief Technology Officer", department="engineering",
              seniority="c_suite", email="dhall@summit.com", **at_clear),
    ]  # fmt: skip
    result = resolve(table(rows))
    members = clusters_of(result)
    assert members["p:1"] != members["p:2"]
    assert frozenset(("p:1", "p:2")) in review_pairs(result)
    assert members["p:3"] == members["p:4"]


def test_an_address_made_of_two_initials_spells_no_name() -> None:
    """charlesc@ starts with Ciara Carter's first initial and ends with her last initial; only a token made of
    the first name (or a form of it) and the last initial spells one (``jonathanb`` for Jon Bianchi)."""
    rows = [
        named("p:1", "ciara", "carter", "quantum", email="charlesc@quantum.io"),
        named("p:2", "charles", "choi", "quantum", email="charlesc@quantum.io"),
        named("p:3", "jon", "bianchi", "acme", email="jonathanb@acme.com"),
        named("p:4", "jonathan", "bianchini", "acme", email="jonathanb@acme.com"),
    ]
    members = clusters_of(resolve(table(rows)))
    assert members["p:1"] != members["p:2"]
    assert members["p:3"] == members["p:4"]


def test_a_short_name_whose_address_spells_the_formal_name_waits_in_review() -> None:
    """ "Lia Green" <elizabeth.green@...> and a Sales Navigator "Elizabeth Green" at another company: no name form
    joins Lia and Elizabeth, but Lia's own address spells Elizabeth Green (found on hard seed 15). Listed for a
    reviewer, never joined; an address spelling another last name adds nothing."""
    rows = [
        named("p:1", "lia", "green", "oak", email="elizabeth.green@oak.com"),
        named("p:2", "elizabeth", "green", "pine", salesnav_id="ACwAAA123"),
        named("p:3", "mia", "brown", "oak", email="elizabeth.green@oak.com"),  # another person's address
        named("p:4", "elizabeth", "brown", "birch", salesnav_id="ACwAAA456"),
    ]
    result = resolve(table(rows))
    members = clusters_of(result)
    assert members["p:1"] != members["p:2"]
    assert frozenset(("p:1", "p:2")) in review_pairs(result)
    assert frozenset(("p:3", "p:4")) not in review_pairs(result)
