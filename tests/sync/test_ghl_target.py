"""The sync engine writing golden people to GoHighLevel (the GHL emulator, in process): contacts keyed by the
``contact.leadflow_id`` custom field, owned tags through the tag endpoints, GHL's duplicate rule and its
failures — exactly one contact per person, nothing in flight."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from leadflow.config import SegmentSpec, SegmentsSettings, SyncSettings
from leadflow.ghl import GhlClient
from leadflow.store import open_store, sync_outbox
from leadflow.sync.ghl_target import GhlTarget
from leadflow.sync.runner import SyncReport, SyncRunner
from tests.ghl.conftest import Emulator, make_client
from tests.sync import golden

PEOPLE = 60


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    engine = open_store(f"sqlite:///{tmp_path / 'leadflow.db'}")
    golden.populate(engine, PEOPLE, companies=6)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "insert into record_tags (golden_person_id, target, desired, applied, custom_fields, updated_at)"
                " select golden_person_id, 'ghl', desired, '[]', custom_fields, updated_at from record_tags"
                " where target = 'zoho'"
            )
        )
    return engine


@pytest.fixture
def ghl(emulator: Emulator, tmp_path: Path) -> GhlClient:
    return make_client(emulator, tmp_path / "ghl-client")


def _sync(engine: sa.Engine, ghl: GhlClient) -> SyncReport:
    return SyncRunner(engine, GhlTarget(ghl), SyncSettings(), tag_prefix="lf-").run()


def _leadflow_ids(emulator: Emulator, ghl: GhlClient) -> list[str]:
    field_id = {f["fieldKey"]: f["id"] for f in ghl.fields.definitions(model="contact")}["contact.leadflow_id"]
    ids = []
    for contact in ghl.contacts.search():
        for item in contact.get("customFields") or []:
            if item["id"] == field_id:
                ids.append(str(item["value"]))
    return ids


def _states(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return sync_outbox.counts(connection, target="ghl")


def test_people_become_contacts_once_and_a_second_run_costs_nothing(
    emulator: Emulator, ghl: GhlClient, engine: sa.Engine
) -> None:
    report = _sync(engine, ghl)
    assert report.counts["contacts created"] == PEOPLE
    owners = _leadflow_ids(emulator, ghl)
    assert sorted(owners) == sorted(golden_ids(engine))
    assert set(_states(engine)) <= {"confirmed"}
    tagged = [c for c in ghl.contacts.search() if any(t.startswith("lf-") for t in c.get("tags") or [])]
    assert len(tagged) == PEOPLE
    again = _sync(engine, make_client(emulator, engine_path(engine)))
    assert again.calls == 0
    assert again.wrote_nothing


def test_hand_added_tags_stay_and_only_owned_tags_change(emulator: Emulator, ghl: GhlClient, engine: sa.Engine) -> None:
    _sync(engine, ghl)
    person = golden_ids(engine)[0]
    contact_id = remote_id(engine, person)
    ghl.contacts.add_tags(contact_id, ["vip", "met-at-fair"])
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "update record_tags set desired = '[\"lf-nurture\"]' where golden_person_id = :p and target = 'ghl'"
            ),
            {"p": person},
        )
    _sync(engine, ghl)
    tags = set(ghl.contacts.get(contact_id)["tags"])
    assert {"vip", "met-at-fair", "lf-nurture"} <= tags
    assert not {t for t in tags if t.startswith("lf-")} - {"lf-nurture"}


def test_an_existing_contact_is_adopted_and_one_owned_by_another_person_is_reported(
    emulator: Emulator, ghl: GhlClient, engine: sa.Engine
) -> None:
    with engine.connect() as connection:
        emails = [r.email for r in connection.execute(sa.text("select email from golden_people order by id"))]
    hand_made = ghl.contacts.create({"email": emails[0], "firstName": "Typed by hand", "tags": ["vip"]})
    ghl.fields.ensure([])  # nothing: the sync creates its own fields
    report = _sync(engine, ghl)
    assert report.counts["contacts created"] == PEOPLE - 1
    assert report.counts["contacts updated"] == 1  # adopted, not duplicated
    assert len(list(ghl.contacts.search())) == PEOPLE
    assert "vip" in ghl.contacts.get(hand_made["id"])["tags"]
    # a new golden person with that same email: GHL's duplicate rule names a contact that belongs to someone
    with engine.begin() as connection:
        golden.add_person(connection, id="gp_ffffffffffff0001", email=emails[0], first_name="Ada", last_name="Twin")
    clash = _sync(engine, ghl)
    assert clash.counts["contacts failed"] == 1
    assert len(list(ghl.contacts.search())) == PEOPLE
    with engine.connect() as connection:
        failed = (
            connection.execute(sa.text("select error_code from sync_outbox where state = 'failed'")).scalars().all()
        )
    assert failed == ["OWNED_BY_ANOTHER"]


def test_create_that_answers_422_yet_stored_the_contact_makes_no_duplicate(
    emulator: Emulator, ghl: GhlClient, engine: sa.Engine
) -> None:
    emulator.control("POST", "faults", {"create_422_after_commit": 5})
    report = _sync(engine, ghl)
    assert emulator.control("GET", "faults")["create_422_after_commit"] == 0  # all five 422s were answered
    assert report.counts["contacts created"] + report.counts["contacts updated"] == PEOPLE
    assert sorted(_leadflow_ids(emulator, ghl)) == sorted(golden_ids(engine))
    assert set(_states(engine)) <= {"confirmed"}


@pytest.mark.parametrize("fault", ["error_after_commit", "error_before_commit"])
def test_a_create_answered_500_is_looked_up_not_resent_blind(
    emulator: Emulator, ghl: GhlClient, engine: sa.Engine, fault: str
) -> None:
    # The first contact create answers 500, having stored the contact or not: its chunk is looked up by
    # contact.leadflow_id, found ones are confirmed, the others sent again.
    emulator.control("POST", "faults", {fault: 1, "path_contains": "/contacts/", "drop_methods": ["POST"]})
    report = _sync(engine, ghl)
    assert emulator.control("GET", "faults")["errors_injected"] == 1
    assert report.counts["reconciled after an unanswered write"] == 1  # that contact only: the others went on
    assert report.counts.get("confirmed by look-up", 0) == (1 if fault == "error_after_commit" else 0)
    assert report.counts["contacts created"] == PEOPLE
    assert sorted(_leadflow_ids(emulator, ghl)) == sorted(golden_ids(engine))  # one contact per person
    assert set(_states(engine)) <= {"confirmed"}


def test_creates_failing_one_after_another_stop_the_call_and_are_looked_up(
    emulator: Emulator, ghl: GhlClient, engine: sa.Engine
) -> None:
    emulator.control(
        "POST", "faults", {"error_before_commit": 3, "path_contains": "/contacts/", "drop_methods": ["POST"]}
    )
    report = _sync(engine, ghl)
    assert emulator.control("GET", "faults")["errors_injected"] == 3
    assert report.counts["reconciled after an unanswered write"] > 3  # the whole chunk, not only the three
    assert report.counts["contacts created"] == PEOPLE
    assert sorted(_leadflow_ids(emulator, ghl)) == sorted(golden_ids(engine))
    assert set(_states(engine)) <= {"confirmed"}


def test_lost_answers_and_server_errors_are_reconciled_not_resent_blind(
    emulator: Emulator, tmp_path: Path, engine: sa.Engine
) -> None:
    from leadflow.ghl import GhlOptions
    from leadflow.http import RetryPolicy

    ghl = make_client(
        emulator, tmp_path / "faulty", options=GhlOptions(retry=RetryPolicy(max_attempts=4, base_delay=0, max_delay=0))
    )
    emulator.control("POST", "faults", {"drop_after_commit": 6, "error_rate": 0.1})
    first = _sync(engine, ghl)
    assert emulator.control("GET", "faults")["dropped"] == 6  # the faults did fire
    emulator.control("DELETE", "faults")
    second = _sync(engine, ghl)
    assert sorted(_leadflow_ids(emulator, ghl)) == sorted(golden_ids(engine))  # one contact per person
    assert set(_states(engine)) <= {"confirmed"}
    assert (
        first.counts["contacts created"]
        + second.counts["contacts created"]
        + second.counts.get("confirmed by look-up", 0)
        + first.counts.get("confirmed by look-up", 0)
        >= PEOPLE
    )


def golden_ids(engine: sa.Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(sa.text("select id from golden_people")).scalars())


def remote_id(engine: sa.Engine, person: str) -> str:
    with engine.connect() as connection:
        return str(
            connection.execute(
                sa.text("select remote_id from sync_records where target = 'ghl' and golden_id = :p"), {"p": person}
            ).scalar_one()
        )


def engine_path(engine: sa.Engine) -> Path:
    return Path(str(engine.url.database)).parent / "second-client"


WORKFLOW = {"id": "wf-hot-0000-0000-0000-000000000001", "name": "Hot sequence", "status": "published", "version": 1}
NURTURE = {"id": "wf-nurture-0000-0000-0000-00000002", "name": "Nurture drip", "status": "published", "version": 1}


def _segments() -> SegmentsSettings:
    return SegmentsSettings(
        segment=[
            SegmentSpec(name="hot", rule="fit >= 0", ghl_workflow="Hot sequence", ghl_unenroll_on_exit=True),
            SegmentSpec(name="nurture", rule="fit >= 0", ghl_workflow=NURTURE["id"]),
        ]
    )


def _set_ghl_desired(engine: sa.Engine, person: str, desired: list[str]) -> None:
    import json

    with engine.begin() as connection:
        connection.execute(
            sa.text("update record_tags set desired = :d where golden_person_id = :p and target = 'ghl'"),
            {"d": json.dumps(desired), "p": person},
        )


def _enrolments(emulator: Emulator) -> dict[tuple[str, str], str]:
    return {(e["contactId"], e["workflowId"]): e["status"] for e in emulator.state()["enrolments"]}


def test_segment_workflows_enrol_once_and_unenrol_on_exit_only_when_asked(
    emulator: Emulator, ghl: GhlClient, engine: sa.Engine
) -> None:
    emulator.seed([{"kind": "workflow", "record": WORKFLOW}, {"kind": "workflow", "record": NURTURE}])
    hot, nurture = "lf-workflow:Hot sequence", f"lf-workflow:{NURTURE['id']}"
    a, b = golden_ids(engine)[:2]
    _set_ghl_desired(engine, a, ["lf-hot", hot, nurture])
    _set_ghl_desired(engine, b, ["lf-hot"])
    runner = lambda: SyncRunner(  # noqa: E731
        engine, GhlTarget(ghl, segments=_segments()), SyncSettings(), tag_prefix="lf-"
    ).run()
    runner()
    contact_a = remote_id(engine, a)
    assert _enrolments(emulator) == {(contact_a, WORKFLOW["id"]): "active", (contact_a, NURTURE["id"]): "active"}
    assert not {t for t in ghl.contacts.get(contact_a)["tags"] if "workflow" in t}  # memberships are no tags
    runner()  # nothing changed: no second enrolment
    assert len(emulator.state()["enrolments"]) == 2
    _set_ghl_desired(engine, a, ["lf-hot"])  # a leaves both segments
    runner()
    assert _enrolments(emulator) == {(contact_a, WORKFLOW["id"]): "removed", (contact_a, NURTURE["id"]): "active"}


def test_an_enrolment_answered_500_costs_only_its_own_contact_another_try(
    emulator: Emulator, ghl: GhlClient, engine: sa.Engine
) -> None:
    emulator.seed([{"kind": "workflow", "record": WORKFLOW}])
    people = golden_ids(engine)[:5]
    for person in people:
        _set_ghl_desired(engine, person, ["lf-hot", "lf-workflow:Hot sequence"])
    emulator.control("POST", "faults", {"error_after_commit": 1, "path_contains": "/workflow/"})
    first = SyncRunner(engine, GhlTarget(ghl, segments=_segments()), SyncSettings(), tag_prefix="lf-").run()
    assert emulator.control("GET", "faults")["errors_injected"] == 1
    enrolled = {contact for contact, _ in _enrolments(emulator)}
    assert enrolled == {remote_id(engine, person) for person in people}
    with engine.connect() as connection:
        attempts = connection.execute(
            sa.text("select state, attempts from sync_outbox where target = 'ghl' and kind = 'tags'")
        ).all()
    assert {state for state, _ in attempts} == {"confirmed"}
    assert sorted(n for _, n in attempts if n) == [1]  # one more try for the lost one only, in the same run
    assert first.counts["contacts tags added"] == PEOPLE + 5
    assert len(emulator.state()["enrolments"]) == 5  # enrolled once each
    assert set(_states(engine)) <= {"confirmed"}


def test_suppressed_people_are_never_enrolled(emulator: Emulator, ghl: GhlClient, engine: sa.Engine) -> None:
    from datetime import UTC, datetime

    from leadflow.config import Settings
    from leadflow.pipeline.score import run_score_stage
    from leadflow.store.scoring import insert_events

    emulator.seed([{"kind": "workflow", "record": WORKFLOW}])
    segments = SegmentsSettings(
        segment=[SegmentSpec(name="everyone", rule="fit >= 0 or fit is null", ghl_workflow="Hot sequence")]
    )
    people = golden_ids(engine)
    unsubscribed = people[0]
    with engine.begin() as connection:
        insert_events(
            connection,
            events=[
                {
                    "golden_person_id": unsubscribed,
                    "event_type": "unsubscribed",
                    "occurred_at": datetime.now(UTC),
                    "source": "ghl",
                    "vendor_event_id": "test-unsub-1",
                }
            ],
        )
    run_score_stage(engine, Settings(segments=segments))
    SyncRunner(engine, GhlTarget(ghl, segments=segments), SyncSettings(), tag_prefix="lf-").run()
    enrolled = {contact for contact, _ in _enrolments(emulator)}
    assert remote_id(engine, unsubscribed) not in enrolled
    assert len(enrolled) == len(people) - 1
    # and GHL's DND closes the channel the suppression is about; nobody else's DND is touched
    closed = ghl.contacts.get(remote_id(engine, unsubscribed)).get("dndSettings") or {}
    assert closed["Email"]["status"] == "active"
    other = ghl.contacts.get(remote_id(engine, people[1])).get("dndSettings") or {}
    assert (other.get("Email") or {}).get("status") != "active"


def test_a_contact_deleted_in_ghl_is_reported_not_silently_recreated(
    emulator: Emulator, ghl: GhlClient, engine: sa.Engine
) -> None:
    _sync(engine, ghl)
    person = golden_ids(engine)[3]
    ghl.contacts.delete(remote_id(engine, person))
    with engine.begin() as connection:
        connection.execute(sa.text("update golden_people set city = 'Hamburg' where id = :p"), {"p": person})
    report = _sync(engine, ghl)
    assert report.counts["contacts failed"] == 1
    with engine.connect() as connection:
        code, message = connection.execute(
            sa.text("select error_code, error_message from sync_outbox where state = 'failed'")
        ).one()
    assert code == "RECORD_MISSING"
    assert "no longer exists" in message
    assert len(list(ghl.contacts.search())) == PEOPLE - 1
