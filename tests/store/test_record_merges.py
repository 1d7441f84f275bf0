"""The merge outbox, golden id lineage and the links a merge moves, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from leadflow.store import golden_merges, merge_links, merge_sources, open_store, record_merges
from leadflow.store.golden import replace_golden
from leadflow.store.record_merges import MergeState
from leadflow.store.runs import start_run, utcnow
from leadflow.store.schema import crm_records, golden_people, record_tags, sync_records
from leadflow.store.schema import golden_merges as golden_merges_table
from tests.store.test_golden import add_source_rows, golden


def _member(srid: int, gid: str) -> dict[str, Any]:
    return {"source_record_id": srid, "golden_person_id": gid, "match_reason": "email"}


def test_lineage_follows_rows_into_the_survivor_and_chains(database_url: str) -> None:
    engine = open_store(database_url)
    with engine.begin() as connection:
        run = start_run(connection, kind="resolve")
        a, b, c = add_source_rows(connection, run, 3)
        replace_golden(
            connection, companies=[], people=[golden("gp_a", None), golden("gp_b", None), golden("gp_c", None)],
            members=[_member(a, "gp_a"), _member(b, "gp_b"), _member(c, "gp_c")],
        )  # fmt: skip
        for gid in ("gp_a", "gp_b", "gp_c"):
            connection.execute(
                sa.insert(sync_records).values(
                    target="zoho", golden_id=gid, kind="person", module="Leads", remote_id=f"r_{gid}",
                    payload={}, version=1, synced_at=utcnow(),
                )
            )  # fmt: skip
    with engine.begin() as connection:  # week 2: b's row joins a
        before = golden_merges.synced_members(connection)
        assert before == {"gp_a": {f"p:{a}"}, "gp_b": {f"p:{b}"}, "gp_c": {f"p:{c}"}}
        replace_golden(
            connection, companies=[], people=[golden("gp_a", None), golden("gp_c", None)],
            members=[_member(a, "gp_a"), _member(b, "gp_a"), _member(c, "gp_c")],
        )  # fmt: skip
        assert golden_merges.record(connection, before=before, run_id=None) == {"gp_b": "gp_a"}
    with engine.begin() as connection:  # week 3: a's rows join c
        before = golden_merges.synced_members(connection)
        replace_golden(
            connection, companies=[], people=[golden("gp_c", None)],
            members=[_member(a, "gp_c"), _member(b, "gp_c"), _member(c, "gp_c")],
        )  # fmt: skip
        assert golden_merges.record(connection, before=before, run_id=None) == {"gp_a": "gp_c"}
    with engine.connect() as connection:
        assert golden_merges.survivors(connection, ["gp_a", "gp_b", "gp_c", "gp_x"]) == {"gp_a": "gp_c", "gp_b": "gp_c"}
        assert merge_sources.orphaned_records(connection, target="zoho") == {
            "gp_a": ("Leads", "r_gp_a"),
            "gp_b": ("Leads", "r_gp_b"),
        }


def _merge(**values: Any) -> dict[str, Any]:
    base = {
        "key": "zoho:merge:Leads:B<-A", "target": "zoho", "action": "merge", "module": "Leads", "golden_id": "gp_a",
        "master_id": "B", "loser_ids": ["A"], "retired_ids": ["gp_b"], "keep": {"Email": "A"},
    }  # fmt: skip
    return {**base, **values}


def test_outbox_keys_make_a_merge_once_and_a_failed_one_is_planned_again(database_url: str) -> None:
    engine = open_store(database_url)
    with engine.begin() as connection:
        assert record_merges.enqueue(connection, merges=[_merge(), _merge()], run_id=None) == (1, 1)
        (row,) = record_merges.open_merges(connection, target="zoho")
        assert (row.state, row.loser_ids, row.keep, row.retired_ids) == (
            MergeState.PENDING,
            ["A"],
            {"Email": "A"},
            ["gp_b"],
        )
        record_merges.mark_in_flight(connection, merge_id=row.id, run_id=None)
        record_merges.fail(connection, merge_id=row.id, code="INVALID_DATA", message="the id given seems to be invalid")
        assert record_merges.open_merges(connection, target="zoho") == []
        assert record_merges.enqueue(connection, merges=[_merge()], run_id=None) == (0, 1)
        (again,) = record_merges.open_merges(connection, target="zoho")
        assert (again.id, again.state, again.attempts) == (row.id, MergeState.PENDING, 0)
        record_merges.confirm(connection, merge_id=row.id, result={"master_id": "B"})
        assert record_merges.enqueue(connection, merges=[_merge()], run_id=None) == (0, 1)
        assert record_merges.counts(connection) == {"confirmed": 1}


def test_links_point_at_the_master_after_a_merge(database_url: str) -> None:
    engine = open_store(database_url)
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(
            sa.insert(golden_people).values(
                id="gp_a", emails=[], provenance={}, updated_at=now, crm_module="Leads", crm_id="A"
            )
        )
        for module, crm_id in (("Leads", "A"), ("Leads", "B")):
            connection.execute(sa.insert(crm_records).values(module=module, crm_id=crm_id, fields={}, loaded_at=now))
        rows = [
            ("gp_a", "person", "A", {"Email": "a@x.io"}, 2),
            ("gp_b", "person", "B", {"Email": "b@x.io"}, 5),
            ("gp_a#tags", "tags", None, {"tags": ["lf-a"]}, 1),
            ("gp_b#tags", "tags", None, {"tags": ["lf-b"]}, 1),
        ]
        for gid, kind, remote, payload, version in rows:
            connection.execute(
                sa.insert(sync_records).values(
                    target="zoho", golden_id=gid, kind=kind, module="Leads", remote_id=remote, payload=payload,
                    payload_hash="h", version=version, synced_at=now,
                )
            )  # fmt: skip
        for gid, applied in (("gp_a", ["lf-a"]), ("gp_b", ["lf-b"])):
            connection.execute(
                sa.insert(record_tags).values(
                    golden_person_id=gid,
                    target="zoho",
                    desired=applied,
                    applied=applied,
                    custom_fields={},
                    updated_at=now,
                )
            )
        record_merges.enqueue(connection, merges=[_merge()], run_id=None)
        (row,) = record_merges.open_merges(connection, target="zoho")

        merge_links.point_links_at_master(connection, merge=row, master_module="Leads")

        synced = {
            r["golden_id"]: r
            for r in connection.execute(sa.select(sync_records).order_by(sync_records.c.golden_id)).mappings()
        }
        assert set(synced) == {"gp_a", "gp_a#tags"}
        person = synced["gp_a"]
        # the survivor now lives in the master (the retired person's record) with what was pushed there
        assert (person["remote_id"], person["payload"], person["payload_hash"]) == ("B", {"Email": "b@x.io"}, None)
        assert person["version"] == 6
        assert synced["gp_a#tags"]["payload"] == {"tags": ["lf-a", "lf-b"]}  # the master holds both records' tags
        applied = connection.execute(
            sa.select(record_tags.c.applied).where(record_tags.c.golden_person_id == "gp_a")
        ).scalar_one()
        assert applied == ["lf-a", "lf-b"]
        assert connection.execute(sa.select(golden_people.c.crm_id)).scalar_one() == "B"
        assert [r.crm_id for r in connection.execute(sa.select(crm_records.c.crm_id))] == ["B"]


class _Target:
    """A target whose records are a dict (what MergeRunner needs of one); counts merge calls."""

    name = "zoho"
    per_call = 2

    def __init__(self, records: dict[str, str]) -> None:
        self.field_sources: dict[str, dict[str, str]] = {}
        self.records = records  # id -> created
        self.merged: list[tuple[str, list[str]]] = []

    def read(self, module: str, record_id: str) -> Any:
        from leadflow.sync.merge_plan import RemoteRecord

        created = self.records.get(record_id)
        return None if created is None else RemoteRecord(module, record_id, created, {})

    def apply(self, merge: Any) -> dict[str, Any]:
        self.merged.append((merge.master_id, merge.loser_ids))
        for loser in merge.loser_ids:
            del self.records[loser]
        return {"master_module": merge.module}

    def settled(self, merge: Any) -> bool | None:
        return all(loser not in self.records for loser in merge.loser_ids)

    def usage(self) -> Any:
        from leadflow.sync.target import CallCost

        return CallCost(len(self.merged), len(self.merged))


def test_the_sync_merges_a_retired_persons_record_or_only_relinks_when_it_is_gone(database_url: str) -> None:
    from leadflow.sync.merge_apply import merge_golden_records

    engine = open_store(database_url)
    now = utcnow()
    with engine.begin() as connection:
        for gid in ("gp_a", "gp_c"):
            connection.execute(sa.insert(golden_people).values(id=gid, emails=[], provenance={}, updated_at=now))
        for gid, remote in (("gp_a", "A"), ("gp_b", "B"), ("gp_c", "C"), ("gp_d", "D")):
            connection.execute(
                sa.insert(sync_records).values(
                    target="zoho", golden_id=gid, kind="person", module="Leads", remote_id=remote, payload={},
                    payload_hash="h", version=1, synced_at=now,
                )
            )  # fmt: skip
        connection.execute(
            sa.insert(golden_merges_table).values(
                [{"retired_id": "gp_b", "survivor_id": "gp_a", "created_at": now},
                 {"retired_id": "gp_d", "survivor_id": "gp_c", "created_at": now}]
            )
        )  # fmt: skip
    # B is younger than A: merged into it; D was deleted in Zoho by hand: gp_d's row simply goes
    target = _Target({"A": "2026-01-01", "B": "2026-02-01", "C": "2026-01-01"})

    counts = merge_golden_records(engine, target, run_id=None)

    assert target.merged == [("A", ["B"])]
    assert counts["Leads merged"] == 1
    assert counts["records of merged golden people relinked (nothing to merge)"] == 1
    with engine.connect() as connection:
        rows = {r.golden_id: r.remote_id for r in connection.execute(sa.select(sync_records))}
        assert rows == {"gp_a": "A", "gp_c": "C"}
    assert merge_golden_records(engine, target, run_id=None) == {}  # nothing left to do, no call
    assert target.merged == [("A", ["B"])]


def test_a_record_leadflow_wrote_then_matched_to_an_existing_one_is_merged_into_it(database_url: str) -> None:
    """Week 1 the sync created Lead L for gp_a; week 2 resolve matched gp_a to Lead S the CRM already had. The
    sync merges L into S (the older record) once; a Lead matched to a Contact is left to the conversion step."""
    from leadflow.store.schema import crm_cluster_members
    from leadflow.sync.merge_apply import merge_own_records_matched

    engine = open_store(database_url)
    now = utcnow()
    with engine.begin() as connection:
        for gid in ("gp_a", "gp_b", "gp_c"):
            connection.execute(sa.insert(golden_people).values(id=gid, emails=[], provenance={}, updated_at=now))
        for gid, remote in (("gp_a", "L"), ("gp_b", "L2"), ("gp_c", "L3")):
            connection.execute(
                sa.insert(sync_records).values(
                    target="zoho", golden_id=gid, kind="person", module="Leads", remote_id=remote, payload={},
                    payload_hash="h", version=1, synced_at=now,
                )
            )  # fmt: skip
        members = [("Leads", "S", "gp_a", "splink"), ("Leads", "L", "gp_a", "leadflow_id"),
                   ("Contacts", "C", "gp_b", "email"), ("Leads", "L2", "gp_b", "leadflow_id"),
                   ("Leads", "L3", "gp_c", "leadflow_id")]  # fmt: skip
        connection.execute(
            sa.insert(crm_cluster_members),
            [{"crm_module": m, "crm_id": i, "golden_person_id": g, "match_reason": r} for m, i, g, r in members],
        )
    target = _Target({"S": "2025-06-01", "L": "2026-02-01", "C": "2025-01-01", "L2": "2026-02-01", "L3": "2026"})

    counts = merge_own_records_matched(engine, target, run_id=None)

    assert target.merged == [("S", ["L"])]  # gp_b's Lead and Contact: the conversion's; gp_c: one record only
    assert counts["Leads merged"] == 1
    with engine.connect() as connection:
        rows = {r.golden_id: r.remote_id for r in connection.execute(sa.select(sync_records))}
        assert rows == {"gp_a": "S", "gp_b": "L2", "gp_c": "L3"}
        held = connection.execute(sa.select(crm_cluster_members.c.crm_id).order_by(crm_cluster_members.c.crm_id))
        assert [r.crm_id for r in held] == ["C", "L2", "L3", "S"]
    assert merge_own_records_matched(engine, target, run_id=None) == {}  # done once: no second call
    assert target.merged == [("S", ["L"])]
