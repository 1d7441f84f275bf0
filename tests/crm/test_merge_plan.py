"""Merge planning without a target: the master rule, Zoho's two-per-call limit, Leads converted into a
Contact (never the reverse), values kept from the golden record, and the plan file."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadflow.errors import InputError
from leadflow.sync.merge_plan import (
    MergePlan,
    RemoteRecord,
    choose_master,
    plan_person,
    read_merge_plan,
    write_merge_plan,
)

SOURCES = {"Contacts": {"Email": "email", "Title": "title"}, "Leads": {"Email": "email"}}


def _record(module: str, record_id: str, created: str, **values: str) -> RemoteRecord:
    return RemoteRecord(module, record_id, created, dict(values))


def test_master_is_a_contact_then_the_oldest_then_the_most_complete() -> None:
    lead = _record("Leads", "1", "2020-01-01T00:00:00+00:00", Email="a@x.io", Phone="1", Title="t")
    young = _record("Contacts", "2", "2026-01-01T09:00:00+00:00", Email="a@x.io")
    old = _record("Contacts", "3", "2026-01-01T10:00:00+05:00", Last_Name="A")  # 05:00 UTC: older
    assert choose_master([lead, young, old]).id == "3"
    fuller = _record("Contacts", "4", "2026-01-01T05:00:00Z", Last_Name="A", Email="a@x.io")
    assert choose_master([old, fuller]).id == "4"  # same instant: the most complete
    assert choose_master([lead, _record("Leads", "5", "")]).id == "1"  # an unknown time sorts last


def test_four_contacts_and_a_lead_of_one_person() -> None:
    records = [
        _record("Contacts", "c1", "2021-01-01T00:00:00+00:00", Email="old@x.io"),
        _record("Contacts", "c2", "2022-01-01T00:00:00+00:00", Email="ada@x.io", Title="CTO"),
        _record("Contacts", "c3", "2023-01-01T00:00:00+00:00"),
        _record("Contacts", "c4", "2024-01-01T00:00:00+00:00"),
        _record("Leads", "l1", "2019-01-01T00:00:00+00:00", Email="ada@x.io"),
    ]
    golden = {"email": "ada@x.io", "title": "CTO"}

    merges = plan_person("zoho", "gp_ada", records, golden, SOURCES)

    assert [(m.action, m.module, m.master_id, m.loser_ids) for m in merges] == [
        ("merge", "Contacts", "c1", ["c2", "c3"]),  # at most two a call
        ("merge", "Contacts", "c1", ["c4"]),
        ("convert_into_contact", "Leads", "c1", ["l1"]),  # the older Lead goes into the Contact, not the reverse
    ]
    assert merges[0].keep == {"Email": "c2", "Title": "c2"}  # the golden values the master lacks
    assert merges[1].keep == {}
    assert len({m.key for m in merges}) == 3


def test_plan_file_round_trip_and_tampering(tmp_path: Path) -> None:
    records = [_record("Leads", "1", "2021-01-01T00:00:00Z"), _record("Leads", "2", "2022-01-01T00:00:00Z")]
    plan = MergePlan(
        "zoho", plan_person("zoho", "gp_1", records, {}, SOURCES), left=["gp_2: Leads 9 no longer at zoho"]
    )
    path = tmp_path / "merges.jsonl"
    write_merge_plan(plan, path)

    again = read_merge_plan(path)

    assert (again.plan_id, again.merges, again.left) == (plan.plan_id, plan.merges, plan.left)
    path.write_text(path.read_text().replace('"loser_ids": ["2"]', '"loser_ids": ["3"]'))
    with pytest.raises(InputError, match="edited by hand"):
        read_merge_plan(path)
    with pytest.raises(InputError, match="does not exist"):
        write_merge_plan(plan, tmp_path / "nowhere" / "merges.jsonl")
    with pytest.raises(InputError, match="no such plan file"):
        read_merge_plan(tmp_path / "missing.jsonl")
