"""``leadflow review reject|accept --rows A B``: a decision on any two rows or golden people the user names, not
only a queued pair, honoured by every later resolve, through re-ingest and files that arrive later (issue 18)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from leadflow.config import ResolveSettings
from leadflow.errors import InputError
from leadflow.pipeline.ingest import ingest_files
from leadflow.pipeline.resolve import run_resolve
from leadflow.sampledata.formats import APOLLO_2025_HEADER
from leadflow.store import open_store
from leadflow.store import review as review_store
from leadflow.store.schema import review_decisions
from tests.pipeline.test_resolve_stage import apollo, write_csv
from tests.resolve.test_review import _cli, _clusters, _row_ids

SLUG = {"Person Linkedin Url": "http://www.linkedin.com/in/jo-smith"}


def week_one(folder: Path) -> Path:
    return write_csv(
        folder / "week1.csv",
        APOLLO_2025_HEADER,
        [
            apollo("Jo", "Smith", "jo.smith@acme.com", "VP Sales", **SLUG),
            apollo("Jo", "Smith", "jo.smith@acme.com", "VP Sales"),  # the same address: one person by key
            apollo("Ann", "Lee", "ann@acme.com", "CFO"),
        ],
    )


def namesakes(folder: Path) -> Path:
    """Two people with one name at one company (two verified addresses): resolve keeps them apart."""
    return write_csv(
        folder / "week1.csv",
        APOLLO_2025_HEADER,
        [
            apollo("Jo", "Smith", "jo.smith@acme.com", "VP Sales", **SLUG),
            apollo("Jo", "Smith", "jsmith@acme.com", "Engineer"),
        ],
    )


def bridge(folder: Path) -> Path:
    """A later row carrying the first Jo's LinkedIn and the second Jo's address: it chains them, unless told."""
    return write_csv(folder / "week2.csv", APOLLO_2025_HEADER, [apollo("Jo", "Smith", "jsmith@acme.com", "VP", **SLUG)])


def _golden_of(engine: sa.Engine, rid: str) -> str:
    return _clusters(engine)[rid]


def test_two_rows_one_resolve_joined_are_rejected_by_name_and_stay_apart_through_reingest(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    engine = open_store(url)
    files = [week_one(tmp_path)]
    ingest_files(engine, files)
    run_resolve(engine, ResolveSettings())
    ids = _row_ids(engine)
    first, second = ids[("week1.csv", 1)], ids[("week1.csv", 2)]
    assert _golden_of(engine, first) == _golden_of(engine, second)  # one e-mail address: joined by key

    rejected = _cli(["review", "reject", "--rows", first, second.removeprefix("p:"), "--note", "twins"], tmp_path, url)
    assert rejected.returncode == 0, rejected.stderr
    assert "two people" in rejected.stdout

    for _ in range(2):  # re-ingest the same file (rows keep their ids) and resolve again, twice
        ingest_files(engine, files)
        run_resolve(engine, ResolveSettings())
        assert _golden_of(engine, first) != _golden_of(engine, second)
    with engine.connect() as connection:
        (decision,) = review_store.decisions(connection)
    assert (decision["rid_l"], decision["rid_r"], decision["decision"]) == (
        *review_store.ordered(first, second),
        "reject",
    )
    assert (decision["kind"], decision["note"]) == ("manual", "twins")
    engine.dispose()


def test_rejected_golden_people_are_never_chained_by_a_later_file(tmp_path: Path) -> None:
    def resolved_weeks(reject: bool) -> tuple[str, str, str]:
        folder = tmp_path / ("reject" if reject else "plain")
        folder.mkdir()
        engine = open_store(f"sqlite:///{folder / 'lf.db'}")
        ingest_files(engine, [namesakes(folder)])
        run_resolve(engine, ResolveSettings())
        ids = _row_ids(engine)
        first, second = ids[("week1.csv", 1)], ids[("week1.csv", 2)]
        assert _golden_of(engine, first) != _golden_of(engine, second)
        if reject:
            with engine.begin() as connection:
                review_store.decide_rows(connection, _golden_of(engine, first), _golden_of(engine, second), "reject")
        ingest_files(engine, [bridge(folder)])
        run_resolve(engine, ResolveSettings())
        clusters = _clusters(engine)
        later = _row_ids(engine)[("week2.csv", 1)]
        engine.dispose()
        return clusters[first], clusters[second], clusters[later]

    first, second, _ = resolved_weeks(reject=False)
    assert first == second  # the bridging row chains them when nobody said otherwise
    first, second, later = resolved_weeks(reject=True)
    assert first != second
    assert later in (first, second)


def test_a_golden_person_named_stands_for_all_its_rows(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'lf.db'}")
    ingest_files(engine, [week_one(tmp_path)])
    run_resolve(engine, ResolveSettings())
    ids = _row_ids(engine)
    jo, ann = ids[("week1.csv", 1)], ids[("week1.csv", 3)]
    with engine.begin() as connection:
        lefts, rights = review_store.decide_rows(connection, _golden_of(engine, jo), ann, "reject")
        count = connection.execute(sa.select(sa.func.count()).select_from(review_decisions)).scalar_one()
    assert sorted(lefts) == sorted([jo, ids[("week1.csv", 2)]])
    assert rights == [ann]
    assert count == 2  # every row of one against every row of the other
    engine.dispose()


def test_accepted_rows_are_always_one_person_and_bad_names_are_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    engine = open_store(url)
    files = [week_one(tmp_path)]
    ingest_files(engine, files)
    run_resolve(engine, ResolveSettings())
    ids = _row_ids(engine)
    jo, ann = ids[("week1.csv", 1)], ids[("week1.csv", 3)]
    assert _golden_of(engine, jo) != _golden_of(engine, ann)

    accepted = _cli(["review", "accept", "--rows", _golden_of(engine, ann), jo], tmp_path, url)
    assert accepted.returncode == 0, accepted.stderr
    assert "one person" in accepted.stdout
    for _ in range(2):
        ingest_files(engine, files)
        run_resolve(engine, ResolveSettings())
        assert _golden_of(engine, jo) == _golden_of(engine, ann) == _golden_of(engine, ids[("week1.csv", 2)])

    for args, message in (
        (["--rows", "p:999999", jo], "no ingested row 999999"),
        (["1", "--rows", jo, ann], "not both"),
    ):
        refused = _cli(["review", "reject", *args], tmp_path, url)
        assert refused.returncode != 0, args
        assert message in refused.stderr, (args, refused.stderr)
    with engine.connect() as connection:
        for left, message in (
            ("gp_00000000deadbeef", "no golden person gp_00000000deadbeef"),
            ("crm:Leads:1", "no mirrored CRM record crm:Leads:1"),
            ("someone", "names no row"),
            (jo.removeprefix("p:"), "name the same row"),
            (_golden_of(engine, jo), "name the same row"),
        ):
            with pytest.raises(InputError, match=message):
                review_store.decide_rows(connection, left, jo, "reject")
        assert [d["decision"] for d in review_store.decisions(connection)] == ["accept"]
    engine.dispose()
