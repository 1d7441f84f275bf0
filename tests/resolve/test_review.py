"""The review queue: uncertain and guard-split pairs are listed; reviewers' decisions are must-link / cannot-link
constraints that every later resolve honours (also after re-ingest), and accepted pairs can train m."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from leadflow.config import ResolveSettings
from leadflow.pipeline.ingest import ingest_files
from leadflow.pipeline.resolve import run_resolve
from leadflow.pipeline.review import LABELLED_M_KEY, labelled_m_option, train_from_decisions
from leadflow.resolve.engine import Constraints, ResolveOptions, resolve
from leadflow.resolve.matching import MatchOptions
from leadflow.store import kv, open_store
from leadflow.store import review as review_store
from leadflow.store.golden import iter_cluster_export
from leadflow.store.schema import prospects, review_decisions
from tests.pipeline.test_resolve_stage import exports
from tests.resolve.test_core import clusters_of, jo, table


def test_a_rejected_pair_is_never_merged_even_by_a_shared_key() -> None:
    rows = [
        jo("p:1", email="jo@acme.com", email_status="verified"),
        jo("p:2", email="jo@acme.com", email_status="verified"),
        jo("p:3", email="jo@acme.com"),
    ]
    apart = resolve(table(rows), options=ResolveOptions(constraints=Constraints(cannot_link=(("p:1", "p:2"),))))
    members = clusters_of(apart)
    assert members["p:1"] != members["p:2"]
    assert clusters_of(resolve(table(rows)))["p:1"] == clusters_of(resolve(table(rows)))["p:2"]


def test_an_accepted_pair_is_always_merged() -> None:
    rows = [
        jo("p:1", email="jo@acme.com", email_status="verified"),
        jo("p:2", first_name="Ann", first_name_key="ann", last_name="Lee", last_name_key="lee", company_key="beta",
           company_domain="beta.io", email="ann@beta.io"),
    ]  # fmt: skip
    assert len(set(clusters_of(resolve(table(rows))).values())) == 2
    joined = resolve(table(rows), options=ResolveOptions(constraints=Constraints(must_link=(("p:2", "p:1"),))))
    members = clusters_of(joined)
    assert members["p:1"] == members["p:2"]
    reasons = {m["rid"]: m["match_reason"] for m in joined.members.to_pylist()}
    assert "review" in reasons.values()


def test_uncertain_and_guard_split_pairs_are_listed_for_review() -> None:
    rows = [
        jo("p:1", email="jo.smith@acme.com", email_status="verified", title="CFO", city="Austin", salesnav_id=None),
        jo("p:2", email="jsmith@acme.com", email_status="verified", title="CFO", city="Austin",
           phone_e164="+15125550100"),
        jo("p:3", title="CFO", city="Austin", phone_e164="+15125550100", salesnav_id="ACwAA9"),
        jo("p:4", first_name="Joe", first_name_key="joe", title="Engineer", city="Boston", company_key="acme"),
    ]  # fmt: skip
    options = ResolveOptions(match=MatchOptions(review_threshold=0.001), strong_evidence_weight=40.0)
    result = resolve(table(rows), options=options)
    review = result.review.to_pylist()
    assert result.stats["review_pairs"] == len(review) > 0
    members = clusters_of(result)
    for pair in review:
        assert members[pair["rid_l"]] != members[pair["rid_r"]]  # only pairs left apart
        assert pair["kind"] in {"uncertain", "namesake_guard"}
        assert set(json.loads(pair["detail"])) >= {"first_name", "last_name", "email", "phone"}
    assert {p["kind"] for p in review} == {"uncertain", "namesake_guard"}
    # a decided pair is not listed again
    first = review[0]
    decided = ResolveOptions(
        match=MatchOptions(review_threshold=0.001),
        strong_evidence_weight=40.0,
        constraints=Constraints(cannot_link=((first["rid_l"], first["rid_r"]),)),
    )
    again = resolve(table(rows), options=decided).review.to_pylist()
    assert (first["rid_l"], first["rid_r"]) not in {(p["rid_l"], p["rid_r"]) for p in again}


def _row_ids(engine: Any) -> dict[tuple[str, int], str]:
    with engine.connect() as connection:
        query = sa.select(prospects.c.file_name, prospects.c.row_number, prospects.c.source_record_id)
        srids = connection.execute(query)
        return {(f, n): f"p:{s}" for f, n, s in srids}


def _clusters(engine: Any) -> dict[str, str]:
    with engine.connect() as connection:
        ids = _row_ids(engine)
        return {ids[(f, r)]: g for f, r, g in iter_cluster_export(connection)}


def test_decisions_survive_reingest_and_reresolve(database_url: str, tmp_path: Path) -> None:
    engine = open_store(database_url)
    files = exports(tmp_path)
    ingest_files(engine, files)
    settings = ResolveSettings(review_threshold=0.001)
    run_resolve(engine, settings)
    with engine.connect() as connection:
        queue = review_store.list_pairs(connection)
    ids = _row_ids(engine)
    namesake = ids[("apollo.csv", 2)]
    pair = next(p for p in queue if namesake in (p["rid_l"], p["rid_r"]))
    other = pair["rid_r"] if pair["rid_l"] == namesake else pair["rid_l"]
    assert _clusters(engine)[namesake] != _clusters(engine)[other]

    with engine.begin() as connection:
        review_store.decide(connection, pair["id"], "accept", note="same person, two addresses")
    ingest_files(engine, files)  # the same files again: rows keep their ids
    run_resolve(engine, settings)
    clusters = _clusters(engine)
    assert clusters[namesake] == clusters[other]
    run_resolve(engine, settings)
    assert _clusters(engine)[namesake] == _clusters(engine)[other]

    with engine.begin() as connection:  # change of mind: two people after all
        review_store.record_decision(connection, namesake, other, "reject")
        assert connection.execute(sa.select(sa.func.count()).select_from(review_decisions)).scalar_one() == 1
    ingest_files(engine, files)
    run_resolve(engine, settings)
    clusters = _clusters(engine)
    assert clusters[namesake] != clusters[other]
    with engine.connect() as connection:
        listed = {(p["rid_l"], p["rid_r"]) for p in review_store.list_pairs(connection, limit=1000)}
    assert review_store.ordered(namesake, other) not in listed
    engine.dispose()


def test_review_train_learns_m_from_accepted_pairs(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'lf.db'}")
    detail = {"phone": {"level": "exact", "weight": 9.0}, "email": {"level": "different", "weight": -3.0}}
    with engine.begin() as connection:
        for n in range(30):
            review_store.record_decision(connection, f"p:{n}", f"p:{n + 100}", "accept", detail=detail)
    report = train_from_decisions(engine)
    assert report.labelled == 30
    changes = {(c, level): (before, after) for c, level, before, after in report.changes}
    before, after = changes[("phone", "exact")]
    assert after > before
    with engine.connect() as connection:
        assert kv.get_value(connection, key=LABELLED_M_KEY)["phone"]["exact"] == after
        assert ("phone", "exact", after) in labelled_m_option(connection)
    engine.dispose()


def _cli(args: list[str], cwd: Path, url: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    environment.update(
        PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"),
        COLUMNS="250",
        LEADFLOW_DATABASE_URL=url,
        LEADFLOW_RESOLVE_REVIEW_THRESHOLD="0.001",
    )
    return subprocess.run(
        [sys.executable, "-m", "leadflow", *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120
    )


def test_cli_review_list_show_accept_reject(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    engine = open_store(url)
    ingest_files(engine, exports(tmp_path))
    engine.dispose()
    assert _cli(["resolve"], tmp_path, url).returncode == 0
    listed = _cli(["review", "list"], tmp_path, url)
    assert listed.returncode == 0, listed.stderr
    engine = open_store(url)
    with engine.connect() as connection:
        queue = review_store.list_pairs(connection)
    engine.dispose()
    assert queue
    first = queue[0]
    assert str(first["id"]) in listed.stdout
    assert "Smith" in listed.stdout
    shown = _cli(["review", "show", str(first["id"])], tmp_path, url)
    assert shown.returncode == 0, shown.stderr
    for text in (first["rid_l"], first["rid_r"], "first_name", "Jo", "evidence", "last_name", "exact"):
        assert text in shown.stdout
    rejected = _cli(["review", "reject", str(first["id"]), "--note", "two people"], tmp_path, url)
    assert rejected.returncode == 0, rejected.stderr
    assert "two people" in rejected.stdout
    missing = _cli(["review", "accept", str(first["id"])], tmp_path, url)
    assert missing.returncode != 0
    assert "no review pair" in missing.stderr
    engine = open_store(url)
    with engine.connect() as connection:
        (decision,) = review_store.decisions(connection)
    engine.dispose()
    assert (decision["decision"], decision["note"]) == ("reject", "two people")
    untrained = _cli(["review", "train"], tmp_path, url)
    assert untrained.returncode != 0
    assert "no accepted pairs" in untrained.stderr
