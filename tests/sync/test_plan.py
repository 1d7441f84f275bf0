from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from leadflow.config import SyncSettings
from leadflow.errors import ConfigError, InputError
from leadflow.store import open_store, sync_ledger
from leadflow.sync.plan import Operation, Plan, Planner
from leadflow.sync.planfile import describe_diff, read_plan, write_plan
from leadflow.sync.zoho_schema import zoho_schema
from tests.sync import golden


@pytest.fixture
def engine(sqlite_url: str) -> sa.Engine:
    return open_store(sqlite_url)


def _plan(engine: sa.Engine, settings: SyncSettings | None = None) -> Plan:
    with engine.connect() as connection:
        return Planner(zoho_schema((settings or SyncSettings()).zoho)).build(connection)


def _confirm_all(engine: sa.Engine, plan: Plan, remote: str = "9000") -> None:
    """Stand in for the runner's confirmation: the id map records what was pushed."""
    with engine.begin() as connection:
        for n, op in enumerate(plan.operations):
            sync_ledger.record_pushed(
                connection,
                target="zoho",
                records=[
                    {
                        "golden_id": op.record_id,
                        "kind": op.kind,
                        "module": op.module,
                        "remote_id": op.remote_id or f"{remote}{n}",
                        "payload_hash": op.payload_hash,
                        "payload": op.desired,
                        "version": op.base_version + 1,
                    }
                ],
            )
            if op.kind == "tags":
                golden.set_tags(connection, op.golden_id, op.desired["tags"], applied=op.desired["tags"])


def test_new_records_become_account_creates_and_lead_upserts(engine: sa.Engine) -> None:
    golden.populate(engine, 10, companies=2)
    plan = _plan(engine)
    counts = plan.counts()
    assert counts["Accounts create"] == 2
    assert counts["Leads create"] == 10
    assert counts["Leads tags added"] == 10
    lead = next(op for op in plan.operations if op.module == "Leads" and op.kind == "person")
    assert lead.method == "upsert"
    assert lead.payload["Leadflow_ID"] == lead.golden_id
    assert lead.payload["Company"].startswith("Company ")
    assert "Leadflow_Fit" in lead.payload
    assert "Leadflow_Engagement" not in lead.payload  # unscored engagement is NULL: nulls are not sent
    assert "Last_Name: (empty) -> " in " ".join(describe_diff(lead))


def test_an_unchanged_record_yields_no_operation(engine: sa.Engine) -> None:
    ids = golden.populate(engine, 20, companies=4)
    first = _plan(engine)
    _confirm_all(engine, first)
    again = _plan(engine)
    assert again.operations == []
    assert again.unchanged == 24
    with engine.begin() as connection:
        golden.update_person(connection, ids[3], last_name="Hopper-Smith")
    changed = _plan(engine)
    assert [(op.golden_id, op.action, op.payload) for op in changed.operations] == [
        (ids[3], "update", {"Last_Name": "Hopper-Smith", "Leadflow_ID": ids[3]})
    ]
    assert changed.unchanged == 23


def test_updates_send_only_changed_fields_and_guarded_fields_stay(engine: sa.Engine) -> None:
    ids = golden.populate(engine, 3, companies=1)
    _confirm_all(engine, _plan(engine))
    with engine.begin() as connection:
        golden.update_person(connection, ids[0], city="Munich", title="Founder")
    plan = _plan(engine)
    (op,) = plan.operations
    assert op.method == "update"
    assert op.remote_id is not None
    # Designation is "only fill if empty": it was filled, so leadflow leaves it to the people in Zoho.
    assert op.payload == {"City": "Munich", "Leadflow_ID": ids[0]}
    assert op.diff == {"City": ["Berlin", "Munich"]}


def test_a_change_only_in_guarded_fields_is_a_noop_without_call(engine: sa.Engine) -> None:
    ids = golden.populate(engine, 2, companies=1)
    _confirm_all(engine, _plan(engine))
    with engine.begin() as connection:
        golden.update_person(connection, ids[1], title="Founder")
    (op,) = _plan(engine).operations
    assert op.action == "noop"
    assert op.method == "none"
    assert op.payload == {}
    assert Plan.of("zoho", [op]).writes == []


def test_contacts_stay_contacts_and_crm_records_are_updated_by_id(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        company = golden.add_company(
            connection, id="gc_1", name="Acme Corp", domain="acme.example", crm_account_id="555"
        )
        golden.add_person(
            connection,
            id="gp_1",
            company_id=company,
            first_name="Ada",
            last_name="Lovelace",
            email="ada@acme.example",
            title="CTO",
            phone_e164="+4930123456",
            crm_module="Contacts",
            crm_id="777",
        )
        golden.add_crm_record(
            connection,
            "Contacts",
            "777",
            {"Last_Name": "Lovelace", "First_Name": "Ada", "Phone": "+49 30 999", "Title": None},
        )
    plan = _plan(engine)
    person = next(op for op in plan.operations if op.kind == "person")
    assert person.module == "Contacts"
    assert person.method == "update"
    assert person.remote_id == "777"
    assert "Phone" not in person.payload  # Zoho has a phone a person typed in: only fill if empty
    assert person.payload["Title"] == "CTO"  # empty in Zoho: filled
    assert person.payload["Account_Name"] == {"$account": "gc_1"}
    assert person.depends_on == "gc_1"
    account = next(op for op in plan.operations if op.kind == "account")
    assert account.method == "update"
    assert account.remote_id == "555"


def test_new_people_module_comes_from_config(engine: sa.Engine) -> None:
    golden.populate(engine, 2, companies=1)
    plan = _plan(engine, SyncSettings(new_people_module="Contacts"))
    people = [op for op in plan.operations if op.kind == "person"]
    assert {op.module for op in people} == {"Contacts"}
    assert all(op.depends_on for op in people)


def test_unsendable_records_are_invalid(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        golden.add_person(connection, id="gp_x", first_name="Nobody", last_name=None, email="x@y.example")
    (op,) = _plan(engine).operations
    assert op.invalid == ["Last_Name is required"]
    assert _plan(engine).counts()["Leads invalid"] == 1


def test_only_owned_tags_are_added_or_removed(engine: sa.Engine) -> None:
    ids = golden.populate(engine, 1, companies=1)
    _confirm_all(engine, _plan(engine))
    with engine.begin() as connection:
        golden.set_tags(connection, ids[0], ["lf-hot", "VIP"], applied=["lf-nurture", "hand-made"])
    (op,) = _plan(engine).operations
    assert op.kind == "tags"
    assert op.payload == {"add": ["lf-hot"], "remove": ["lf-nurture"]}


def test_unknown_mapping_columns_are_a_config_error(engine: sa.Engine) -> None:
    golden.populate(engine, 1)
    settings = SyncSettings(leads=["Last_Name = surname"])
    with pytest.raises(ConfigError, match=r"\[sync\.zoho\] mapping .*Leads\.Last_Name = surname"):
        _plan(engine, settings)


def test_plan_file_round_trip_and_tamper_check(engine: sa.Engine, tmp_path: Path) -> None:
    golden.populate(engine, 5, companies=1)
    plan = _plan(engine)
    path = tmp_path / "plan.jsonl"
    write_plan(plan, path)
    header = json.loads(path.read_text().splitlines()[0])
    assert header["counts"]["Leads create"] == 5
    assert header["examples"][0]["changes"]
    back = read_plan(path)
    assert back.plan_id == plan.plan_id
    assert [op.key for op in back.operations] == [op.key for op in plan.operations]
    assert isinstance(back.operations[0], Operation)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(InputError, match="do not match"):
        read_plan(path)
    path.write_text("hello\n")
    with pytest.raises(InputError, match="not a leadflow plan"):
        read_plan(path)


def test_keys_are_deterministic(engine: sa.Engine) -> None:
    golden.populate(engine, 5, companies=1)
    assert [op.key for op in _plan(engine).operations] == [op.key for op in _plan(engine).operations]


def test_a_lead_without_a_golden_company_takes_its_own_company_name(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        golden.add_person(connection, id="gp_solo", last_name="Solo", company_name="Han Freight Ltd")
    (op,) = _plan(engine).operations
    assert op.payload["Company"] == "Han Freight Ltd"


def test_records_whose_golden_record_vanished_are_reported_not_touched(engine: sa.Engine) -> None:
    ids = golden.populate(engine, 3, companies=1)
    _confirm_all(engine, _plan(engine))
    with engine.begin() as connection:
        connection.execute(sa.text("delete from record_tags where golden_person_id = :id"), {"id": ids[0]})
        connection.execute(sa.text("delete from scores where golden_person_id = :id"), {"id": ids[0]})
        connection.execute(sa.text("delete from golden_people where id = :id"), {"id": ids[0]})
    plan = _plan(engine)
    assert plan.operations == []
    assert plan.tally.orphaned == 1
    assert plan.counts()["orphaned (at the target, golden record merged away; left as is)"] == 1


def test_a_plan_for_some_people_is_the_full_plans_operations_for_them_and_their_companies(engine: sa.Engine) -> None:
    people = golden.populate(engine, 30, companies=6)
    full = _plan(engine)
    _confirm_all(engine, full)
    with engine.begin() as connection:  # three people change; one more is asked for but has nothing to do
        connection.execute(
            sa.text("update golden_people set city = 'Hamburg' where id in (:a, :b, :c)"),
            {"a": people[1], "b": people[7], "c": people[20]},
        )
    chosen = {people[1], people[7], people[20], people[25]}
    everyone = _plan(engine)
    with engine.connect() as connection:
        some = Planner(zoho_schema(SyncSettings().zoho), golden_ids=chosen).build(connection)
    assert sorted(op.key for op in some.operations) == sorted(
        op.key for op in everyone.operations if op.golden_id in chosen
    )
    assert {op.golden_id for op in some.operations} == {people[1], people[7], people[20]}
    # only the chosen people and their companies were looked at: person 25 and companies 1 and 2, unchanged
    assert some.tally.unchanged == 3
    assert everyone.tally.unchanged == 27 + 6
    assert some.tally.orphaned == 0
