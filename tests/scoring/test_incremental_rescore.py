"""An incremental re-score of some people leaves them exactly as a full run of the score stage would, and
touches nobody else (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from leadflow.config import Settings
from leadflow.pipeline.score import rescore_people, run_score_stage
from leadflow.store import open_store
from leadflow.store import scoring as repo
from leadflow.store.schema import record_tags, scores
from tests.scoring.golden import NOW, insert_golden, sample_records

LATER = NOW + timedelta(hours=1)
SETTINGS = Settings.model_validate(
    {
        "segments": {
            "segment": [
                {"name": "hot", "rule": "fit >= 70 and engagement >= 10", "zoho_tags": ["hot"], "ghl_tags": ["hot"]},
                {
                    "name": "engaged",
                    "rule": "engagement >= 1",
                    "ghl_tags": ["engaged"],
                    "custom_field": "Stage",
                    "custom_value": "engaged",
                },
            ]
        }
    }
)


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = open_store(database_url)
    companies, people = sample_records()
    insert_golden(engine, companies=companies, people=people)
    _events(engine, [("gp_ben", None, "email_opened", "old-1", NOW - timedelta(days=3))])
    run_score_stage(engine, SETTINGS, now=NOW)
    yield engine
    engine.dispose()


def _events(engine: sa.Engine, rows: list[tuple[str | None, str | None, str, str, Any]]) -> None:
    with engine.begin() as connection:
        repo.insert_events(
            connection,
            events=[
                {
                    "golden_person_id": pid,
                    "email": email,
                    "event_type": kind,
                    "vendor_event_id": vid,
                    "occurred_at": at,
                    "source": "test",
                }
                for pid, email, kind, vid, at in rows
            ],
        )


def _state(engine: sa.Engine) -> dict[str, dict[str, Any]]:
    """Per person: the stored score row (without when and by which run) and its tag rows."""
    with engine.connect() as connection:
        stored = {
            row["golden_person_id"]: {k: v for k, v in row.items() if k not in ("computed_at", "run_id")}
            for row in connection.execute(sa.select(scores)).mappings()
        }
        for row in connection.execute(sa.select(record_tags)).mappings():
            stored.setdefault(row["golden_person_id"], {})[f"tags:{row['target']}"] = (
                row["desired"],
                row["custom_fields"],
                row["applied"],
            )
    return stored


def _computed_at(engine: sa.Engine) -> dict[str, Any]:
    with engine.connect() as connection:
        return dict(connection.execute(sa.select(scores.c.golden_person_id, scores.c.computed_at)).all())


@pytest.mark.parametrize(
    "subset",
    [{"gp_anna"}, {"gp_anna", "gp_carl"}, {"gp_ben", "gp_dora", "gp_emil"}],
    ids=["one", "two", "three"],
)
def test_incremental_rescore_equals_a_full_run_for_the_subset(engine: sa.Engine, subset: set[str]) -> None:
    # new events for everyone: by golden id, and one by a secondary address only (anna's a.k@acme.io)
    _events(
        engine,
        [
            ("gp_anna", None, "email_replied", "n-1", LATER - timedelta(minutes=5)),
            (None, "A.K@acme.io", "meeting_booked", "n-2", LATER - timedelta(minutes=4)),
            ("gp_ben", None, "email_clicked", "n-3", LATER - timedelta(minutes=3)),
            ("gp_carl", None, "email_replied", "n-4", LATER - timedelta(minutes=2)),
            (None, "emil@gmail.com", "email_unsubscribed", "n-5", LATER - timedelta(minutes=1)),
            ("gp_dora", None, "email_opened", "n-6", LATER - timedelta(minutes=1)),
        ],
    )
    before, stamps = _state(engine), _computed_at(engine)

    outcome = rescore_people(engine, SETTINGS, subset, now=LATER)
    incremental = _state(engine)

    assert outcome.people == subset
    assert outcome.changed <= subset
    assert outcome.changed  # every subset has someone the new events change
    others = set(before) - subset
    assert {pid: incremental[pid] for pid in others} == {pid: before[pid] for pid in others}
    assert {pid: stamp for pid, stamp in _computed_at(engine).items() if pid in others} == {
        pid: stamps[pid] for pid in others
    }

    run_score_stage(engine, SETTINGS, now=LATER)
    full = _state(engine)
    assert {pid: incremental[pid] for pid in subset} == {pid: full[pid] for pid in subset}
    changed_by_full = {pid for pid in subset if full[pid] != before[pid]}
    assert outcome.changed == changed_by_full


def test_rescore_of_nobody_and_of_unknown_ids_writes_nothing(engine: sa.Engine) -> None:
    before = _state(engine)
    assert rescore_people(engine, SETTINGS, set(), now=LATER).changed == frozenset()
    outcome = rescore_people(engine, SETTINGS, {"gp_nobody"}, now=LATER)
    assert outcome.changed == frozenset()
    assert _state(engine) == before
