"""The review queue in the order a reviewer should read it: the pairs most likely one person first, from the name's
rarity, city, company, time order, seniority and direct phones; weak pairs kept but out of the default listing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from leadflow.cli.app import app
from leadflow.resolve.engine import REVIEW_SCHEMA, Constraints, ResolveOptions, resolve
from leadflow.resolve.review_rank import LISTED_FROM_WEIGHT, probability, spells_name
from leadflow.store import open_store
from leadflow.store import review as review_store
from tests.resolve.test_core import person, table

CITIES = ("Austin", "Chicago", "Seattle", "Denver", "Miami", "Dallas", "Portland", "Atlanta")


def _row(rid: str, first: str, last: str, company: str, city: str, file_name: str, **values: Any) -> dict[str, Any]:
    observed = {"apollo_2024.csv": 1.0, "apollo_2025.csv": 2.0, "salesnav.csv": 3.0}[file_name]
    return person(rid, first_name=first.title(), last_name=last.title(), first_name_key=first, last_name_key=last,
                  company_name=company.title(), company_key=company, company_domain=f"{company}.com", city=city,
                  country="US", file_name=file_name, observed_at=observed, **values)  # fmt: skip


def _queue() -> list[dict[str, Any]]:
    rows = [
        # a job changer: the 2024 row at River, Sales Navigator now at Delta, one city
        _row("p:1", "priya", "lewis", "river", "Boston", "apollo_2024.csv", seniority="c_suite",
             email="priya.lewis@river.com", email_status="verified"),
        _row("p:2", "priya", "lewis", "delta", "Boston", "salesnav.csv", seniority="c_suite"),
        # three people named Sam Lopez: one export lists two of them at two companies at once, in two cities,
        # each with a direct phone of their own
        _row("p:3", "sam", "lopez", "solar", "Seattle", "apollo_2024.csv", seniority="manager",
             phone_e164="+12065550101"),
        _row("p:4", "sam", "lopez", "harbor", "Chicago", "apollo_2024.csv", seniority="senior",
             phone_e164="+13125550102"),
        _row("p:5", "sam", "lopez", "maple", "Miami", "apollo_2025.csv", seniority="vp"),
    ]  # fmt: skip
    # other people, so that a city is as common as cities are
    rows += [
        _row(f"p:{10 + n}", f"x{n}", f"y{n}", f"co{n}", CITIES[n % len(CITIES)], "apollo_2025.csv") for n in range(24)
    ]
    return resolve(table(rows)).review.to_pylist()


def test_a_job_changer_ranks_above_namesakes_and_weak_pairs_are_marked() -> None:
    queue = _queue()
    assert [p["kind"] for p in queue] == ["same_name"] * len(queue)
    assert [p["rank_weight"] for p in queue] == sorted((p["rank_weight"] for p in queue), reverse=True)
    first = queue[0]
    assert (first["rid_l"], first["rid_r"]) == ("p:1", "p:2")
    assert probability(first["rank_weight"]) > 0.9
    assert "both in Boston" in first["rank_reason"]
    at_once = next(p for p in queue if {p["rid_l"], p["rid_r"]} == {"p:3", "p:4"})
    assert at_once["rank_weight"] < LISTED_FROM_WEIGHT
    assert "at two companies at once" in at_once["rank_evidence"]
    assert "direct phones differ" in at_once["rank_evidence"]
    assert "3 people named so" in at_once["rank_evidence"]


def test_an_address_spelling_the_name() -> None:
    row = {"first_name_key": "rebecca", "last_name_key": "martin", "first_name_forms": ["becky"]}
    assert spells_name("rebecca.martin", row)
    assert spells_name("rmartin", row)
    assert spells_name("becky_martin", row)
    assert not spells_name("martin", row)
    assert not spells_name("andrewm2", row)


EVIDENCE = '[{"evidence": "city", "bits": 1.5, "note": "both in Austin"}]'


def _pairs(weights: list[float | None]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {"rid_l": f"p:{n}", "rid_r": f"p:{n + 100}", "kind": "same_name", "match_weight": None,
             "match_probability": None, "detail": None, "rank_weight": weight,
             "rank_reason": None if weight is None else f"+{weight} evidence",
             "rank_evidence": None if weight is None else EVIDENCE}
            for n, weight in enumerate(weights, 1)
        ],
        schema=REVIEW_SCHEMA,
    )  # fmt: skip


def test_the_store_lists_the_likeliest_first_and_weak_pairs_only_on_request(database_url: str) -> None:
    engine = open_store(database_url)
    with engine.begin() as connection:
        assert review_store.replace_pairs(connection, _pairs([-1.0, 4.0, -9.0, None, 2.0]), run_id=None) == 5
        listed = review_store.list_pairs(connection)
        every = review_store.list_pairs(connection, weak=True, limit=None)
        counted = review_store.count_pairs(connection)
        stored = review_store.get_pair(connection, listed[0]["id"])
    engine.dispose()
    assert [p["rank_weight"] for p in listed] == [4.0, 2.0, -1.0, None]  # unranked (an older resolve) last
    assert [p["rank_weight"] for p in every] == [4.0, 2.0, -1.0, -9.0, None]
    assert counted == (5, 1)
    assert stored["rank_evidence"] == [{"evidence": "city", "bits": 1.5, "note": "both in Austin"}]


def _cli(url: str, folder: Path, *args: str) -> str:
    config = folder / "leadflow.toml"
    config.write_text("", encoding="utf-8")
    environment = {"LEADFLOW_DATABASE_URL": url, "LEADFLOW_CONFIG": str(config), "COLUMNS": "250"}
    result = CliRunner().invoke(app, list(args), env=environment)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("weak_only", [False, True])
def test_cli_list_shows_reasons_hides_weak_pairs_and_show_prints_the_evidence(
    sqlite_url: str, tmp_path: Path, weak_only: bool
) -> None:
    engine = open_store(sqlite_url)
    with engine.begin() as connection:
        review_store.replace_pairs(connection, _pairs([-9.0] if weak_only else [3.0, -9.0]), run_id=None)
        pair_ids = [p["id"] for p in review_store.list_pairs(connection, weak=True)]
    engine.dispose()
    listed = _cli(sqlite_url, tmp_path, "review", "list")
    assert "1 weak pairs" in listed
    assert "review list --all" in listed
    if weak_only:
        assert "no pairs to review" in listed
    else:
        assert "+3.0 evidence" in listed
        assert "89%" in listed  # 3 bits: 8 to 1
    shown_all = _cli(sqlite_url, tmp_path, "review", "list", "--all", "--json")
    assert [line.count('"rank_weight"') for line in shown_all.splitlines()] == [1] * len(pair_ids)
    shown = _cli(sqlite_url, tmp_path, "review", "show", str(pair_ids[0]))
    assert "one person or two?" in shown
    assert "both in Austin" in shown


def test_an_accepted_pair_with_a_crm_record_links_the_record_to_the_person() -> None:
    rows = [
        _row("p:1", "priya", "lewis", "delta", "Boston", "salesnav.csv"),
        _row("p:2", "sam", "lopez", "solar", "Seattle", "apollo_2024.csv"),
        person("crm:Leads:900", source_kind="crm", crm_module="Leads", crm_id="900", first_name="Priya",
               last_name="Lewis", first_name_key="priya", last_name_key="lewis", company_key="river",
               company_domain="river.com", city="Boston", email="priya.lewis@river.com"),
    ]  # fmt: skip
    apart = resolve(table(rows))
    assert apart.crm_links.num_rows == 0
    assert any({p["rid_l"], p["rid_r"]} == {"p:1", "crm:Leads:900"} for p in apart.review.to_pylist())
    accepted = resolve(
        table(rows), options=ResolveOptions(constraints=Constraints(must_link=(("crm:Leads:900", "p:1"),)))
    )
    (link,) = accepted.crm_links.to_pylist()
    golden_of = {m["rid"]: m["golden_person_id"] for m in accepted.members.to_pylist()}
    assert (link["crm_module"], link["crm_id"], link["golden_person_id"]) == ("Leads", "900", golden_of["p:1"])
    assert all("crm:Leads:900" not in (p["rid_l"], p["rid_r"]) for p in accepted.review.to_pylist())
