"""The client's activities, deals and watch APIs against the emulator (in process, and a real receiver)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadflow.errors import ApiError, AuthError, InputError, NotFound, ValidationFailed
from leadflow.zoho import ZohoClient
from leadflow.zoho.activities import Participant, RecordRef
from tests.emulators.zoho.bulk_http_support import CallbackReceiver
from tests.zoho.conftest import Rig

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _id(zoho: ZohoClient, module: str, row: dict[str, object]) -> str:
    [result] = zoho.module(module).insert([row])
    assert result.ok, result
    assert result.id is not None
    return result.id


def test_notes_tasks_calls_and_events_land_on_their_records(zoho: ZohoClient, rig: Rig) -> None:
    lead = RecordRef("Leads", _id(zoho, "Leads", {"Last_Name": "Ng", "Company": "Acme"}))
    contact_id = _id(zoho, "Contacts", {"Last_Name": "Ito", "Email": "ito@example.com"})
    assert zoho.activities.add_note(lead, "Asked for a demo", title="Inbound").ok
    assert zoho.activities.add_task("Send deck", on=lead, due="2026-12-05", priority="High").ok
    call = zoho.activities.log_call(
        "Intro", start=START, duration_seconds=754, direction="Inbound", result="Interested", who=contact_id
    )
    assert call.ok
    event = zoho.activities.add_event(
        "Demo",
        start=START + timedelta(days=2),
        end=START + timedelta(days=2, hours=1),
        participants=[Participant("contact", contact_id), Participant("email", "cto@acme.example")],
        on=lead,
    )
    assert event.ok

    [note] = zoho.activities.notes(lead)
    assert (note["Note_Title"], note["Note_Content"]) == ("Inbound", "Asked for a demo")
    assert {item["$module"] for item in zoho.activities.activities(lead)} == {"Tasks", "Events"}
    [logged] = zoho.activities.activities(RecordRef("Contacts", contact_id))
    assert (logged["Call_Type"], logged["Call_Duration"], logged["Call_Duration_in_seconds"]) == (
        "Inbound",
        "12:34",
        754,
    )
    assert logged["Owner"]["id"] == rig.backend.directory.current_user_id
    stored = rig.backend.get_record("Events", str(event.id))
    assert stored is not None
    assert [p["participant"] for p in stored["Participants"]] == [contact_id, "cto@acme.example"]
    assert [item["api_name"] for item in zoho.activities.related_lists("Leads")] == [
        "Notes",
        "Tasks",
        "Calls",
        "Events",
    ]


def test_activity_inputs_are_checked_before_any_call(zoho: ZohoClient, rig: Rig) -> None:
    before = rig.state()["requests_total"]
    lead = RecordRef("Leads", "1")
    with pytest.raises(InputError, match="content"):
        zoho.activities.add_note(lead, "  ")
    with pytest.raises(InputError, match="direction"):
        zoho.activities.log_call("x", start=START, duration_seconds=1, direction="Sideways")
    with pytest.raises(InputError, match="time zone"):
        zoho.activities.log_call("x", start=datetime(2026, 12, 1), duration_seconds=1)
    with pytest.raises(InputError, match="ends before"):
        zoho.activities.add_event("x", start=START, end=START)
    assert rig.state()["requests_total"] == before
    [failed] = [zoho.activities.add_note(RecordRef("Leads", "1234567890123"), "orphan")]
    assert (failed.ok, failed.code) == (False, "INVALID_DATA")


def test_v2_notes_use_parent_id_and_se_module(rig: Rig) -> None:
    with rig.client(api_version="v2") as zoho:
        lead = RecordRef("Leads", _id(zoho, "Leads", {"Last_Name": "Old", "Company": "V2"}))
        assert zoho.activities.add_note(lead, "from a v2 client").ok
        assert [note["Note_Content"] for note in zoho.activities.notes(lead)] == ["from a v2 client"]
    assert rig.state()["requests"]["POST /crm/v2/Notes"] == 1


def test_deal_stages_moves_closing_and_history(zoho: ZohoClient) -> None:
    stages = {stage.name: stage for stage in zoho.deals.stages()}
    assert (stages["Negotiation/Review"].probability, stages["Negotiation/Review"].forecast_category) == (90, "Commit")
    assert stages["Closed Won"].won
    assert stages["Closed Lost to Competition"].lost
    assert zoho.deals.pipelines()[0]["display_value"] == "Standard (Standard)"
    deal_id = _id(zoho, "Deals", {"Deal_Name": "Pilot", "Stage": "Qualification", "Amount": 10000})
    assert zoho.deals.move(deal_id, "proposal/price quote").ok
    with pytest.raises(InputError, match="no deal stage 'Won'"):
        zoho.deals.move(deal_id, "Won")
    assert zoho.deals.close(deal_id, won=False).ok
    history = zoho.deals.stage_history(deal_id)
    assert [entry["Stage"] for entry in history] == ["Qualification", "Proposal/Price Quote", "Closed Lost"]
    assert [entry["Probability"] for entry in history] == [10, 75, 0]
    deal = zoho.deals.get(deal_id)
    assert deal is not None
    assert (deal["Stage"], deal["Expected_Revenue"]) == ("Closed Lost", 0.0)


def test_conversion_with_a_deal_in_a_stage_and_pipeline(zoho: ZohoClient, rig: Rig) -> None:
    lead_id = _id(zoho, "Leads", {"Last_Name": "Conv", "Company": "Conv Co", "Email": "conv@example.com"})
    credits = rig.backend.credits.used()
    converted = zoho.leads.convert(
        lead_id,
        overwrite=True,
        notify_lead_owner=True,
        deal={"Deal_Name": "Conv deal", "Stage": "Value Proposition", "Pipeline": "Standard (Standard)"},
    )
    assert rig.backend.credits.used() - credits == 5
    assert converted.deal_id is not None
    assert [entry["Stage"] for entry in zoho.deals.stage_history(converted.deal_id)] == ["Value Proposition"]
    assert zoho.deals.get(converted.deal_id)["Probability"] == 40  # type: ignore[index]


def test_watch_enable_notify_renew_and_disable(zoho: ZohoClient, rig: Rig) -> None:
    with CallbackReceiver() as receiver:
        channel = zoho.watch.enable(
            "1000000068002",
            ["Leads.create", "Deals.edit"],
            receiver.url,
            token="lf-secret",
            expiry=datetime.now(UTC) + timedelta(minutes=30),
        )
        assert (channel.events, channel.token) == (("Leads.create", "Deals.edit"), "lf-secret")
        assert channel.expiry is not None
        lead_id = _id(zoho, "Leads", {"Last_Name": "Watched"})
        body = receiver.wait()
        assert (body["ids"], body["token"], body["channel_id"]) == ([lead_id], "lf-secret", "1000000068002")

        untouched = zoho.watch.renew_if_due("1000000068002", margin=timedelta(minutes=5))
        assert untouched is not None
        assert untouched.expiry == channel.expiry
        renewed = zoho.watch.renew_if_due("1000000068002", margin=timedelta(hours=1))
        assert renewed is not None
        assert renewed.expiry is not None
        assert renewed.expiry - datetime.now(UTC) > timedelta(hours=23)

        remaining = zoho.watch.remove_events("1000000068002", ["Deals.edit"])
        assert remaining is not None
        assert remaining.events == ("Leads.create",)
        zoho.watch.disable(["1000000068002"])
        assert zoho.watch.get("1000000068002") is None
        assert zoho.watch.renew_if_due("1000000068002") is None
        with pytest.raises(ApiError):
            zoho.watch.disable(["1000000068002"])


def test_watch_inputs_are_checked_and_zoho_errors_raise(zoho: ZohoClient) -> None:
    with pytest.raises(InputError, match=r"Module\.operation"):
        zoho.watch.enable("1", ["Leads.touch"], "https://hooks.example/z")
    with pytest.raises(InputError, match="number"):
        zoho.watch.enable("abc", ["Leads.all"], "https://hooks.example/z")
    with pytest.raises(InputError, match="past"):
        zoho.watch.enable("1", ["Leads.all"], "https://hooks.example/z", expiry=datetime(2020, 1, 1, tzinfo=UTC))
    with pytest.raises(ValidationFailed, match="enable watch") as error:
        zoho.watch.enable("1", ["Nowhere.all"], "https://hooks.example/z")
    assert error.value.details == {"api_name": "events", "json_path": "$.watch[0].events[0]"}
    assert [problem.field for problem in error.value.problems] == ["events"]


def test_merge_duplicates_into_a_master(zoho: ZohoClient, rig: Rig) -> None:
    master = _id(zoho, "Leads", {"Last_Name": "Dup", "Company": "A"})
    duplicate = _id(zoho, "Leads", {"Last_Name": "Dup", "Company": "B", "Email": "dup@example.com"})
    zoho.activities.add_note(RecordRef("Leads", duplicate), "on the duplicate")
    credits = rig.backend.credits.used()
    assert zoho.merge.records("Leads", master, [duplicate], keep={"Email": duplicate}) == master
    assert rig.backend.credits.used() - credits == 1
    merged = zoho.leads.get(master)
    assert merged is not None
    assert (merged["Company"], merged["Email"]) == ("A", "dup@example.com")
    assert [note["Note_Content"] for note in zoho.activities.notes(RecordRef("Leads", master))] == ["on the duplicate"]
    contact = _id(zoho, "Contacts", {"Last_Name": "Never a lead"})
    with pytest.raises(ApiError, match="NOT_ALLOWED") as refused:
        zoho.merge.records("Leads", master, [contact])
    assert refused.value.details == {"api_name": "id", "json_path": "$.merge[0].data[0].id"}
    with pytest.raises(InputError, match="at most 2"):
        zoho.merge.records("Leads", master, ["1", "2", "3"])
    with pytest.raises(InputError, match="not merged"):
        zoho.merge.records("Leads", master, [contact], keep={"Email": "999"})


def test_composite_with_references_rollback_and_credits(zoho: ZohoClient, rig: Rig) -> None:
    from leadflow.zoho.composite import SubRequest, ref

    spent = zoho.credits.spent
    answers = zoho.composite.run(
        [
            SubRequest("POST", "Leads", body={"data": [{"Last_Name": "Comp", "Company": "C"}]}, sub_request_id="lead"),
            SubRequest("POST", f"Leads/{ref('lead', '$.data[0].details.id')}/actions/convert", body={"data": [{}]}),
        ]
    )
    assert [answer.status_code for answer in answers] == [201, 200]
    assert zoho.credits.spent - spent == 1 + 5  # an insert and a conversion, as Zoho charges them
    assert rig.backend.credits.used() >= 6

    undone = zoho.composite.run(
        [
            SubRequest("POST", "Leads", body={"data": [{"Last_Name": "Undone"}]}),
            SubRequest("POST", "Leads", body={"data": [{"First_Name": "no last name"}]}),
        ],
        rollback_on_fail=True,
    )
    assert [answer.code for answer in undone] == ["ROLLBACK_PERFORMED", "SUCCESS"]
    assert not undone[1].ok
    assert rig.backend.find("Leads", "Last_Name", "Undone") == []
    with pytest.raises(InputError, match="at most 5"):
        zoho.composite.run([SubRequest("GET", "org")] * 6)
    with pytest.raises(InputError, match="unique"):
        zoho.composite.run([SubRequest("GET", "org", sub_request_id="a"), SubRequest("GET", "org", sub_request_id="a")])


def test_attachments_upload_link_list_download_delete(zoho: ZohoClient, rig: Rig) -> None:
    lead = RecordRef("Leads", _id(zoho, "Leads", {"Last_Name": "Attach"}))
    uploaded = zoho.attachments.upload(lead, "proposal.pdf", b"%PDF proposal")
    assert uploaded.ok
    assert uploaded.id is not None
    assert zoho.attachments.link(lead, "https://example.com/case", title="Case").ok
    assert {item["File_Name"] for item in zoho.attachments.list(lead)} == {"proposal.pdf", "Case"}
    assert zoho.attachments.download(lead, uploaded.id) == b"%PDF proposal"
    assert [result.ok for result in zoho.attachments.delete(lead, [uploaded.id, "1"])] == [True, False]
    before = rig.state()["requests_total"]
    with pytest.raises(InputError, match="20 MB"):
        zoho.attachments.upload(lead, "huge.bin", b"x" * (20 * 1024 * 1024 + 1))
    with pytest.raises(InputError, match="http"):
        zoho.attachments.link(lead, "ftp://example.com/x")
    assert rig.state()["requests_total"] == before


def test_functions_run_installed_stand_ins_by_oauth_or_api_key(zoho: ZohoClient, rig: Rig) -> None:
    rig.backend.features.functions.register("score_lead", lambda arguments: {"score": len(arguments["lead_id"])})
    echo = rig.control("POST", "functions", json={"name": "echo_args", "kind": "echo"})
    assert zoho.functions.execute("score_lead", {"lead_id": "12345"}).value == {"score": 5}
    by_key = zoho.functions.execute("echo_args", {"a": "1"}, method="GET", api_key=echo["api_key"])
    assert by_key.value == {"a": "1"}
    with pytest.raises(NotFound):
        zoho.functions.execute("no_such_function")
    with pytest.raises(AuthError):
        zoho.functions.execute("echo_args", api_key="wrong")
    rig.control("POST", "functions", json={"name": "broken", "kind": "fail"})
    with pytest.raises(ApiError, match=r"FUNCTION_EXECUTION_FAILURE|failed"):
        zoho.functions.execute("broken", {"x": 1})


def test_send_mail_is_off_unless_allowed_and_reports_opt_outs(zoho: ZohoClient, rig: Rig) -> None:
    from leadflow.errors import ConfigError

    contact = RecordRef("Contacts", _id(zoho, "Contacts", {"Last_Name": "Mail", "Email": "mail@example.com"}))
    _id(zoho, "Contacts", {"Last_Name": "Optout", "Email": "optout@example.com", "Email_Opt_Out": True})
    sender = zoho.mail.from_addresses()[0]["email"]
    with pytest.raises(ConfigError, match="allow_send_mail"):
        zoho.mail.send(contact, to=["mail@example.com"], sender=sender, content="hi")
    assert rig.backend.features.mail.mails == []
    zoho.mail.allowed = True  # what [zoho] allow_send_mail = true does
    sent = zoho.mail.send(
        contact, to=["mail@example.com", "optout@example.com"], sender=sender, subject="Hi", content="hello"
    )
    assert sent.blocked_emails == ["optout@example.com"]
    [recorded] = rig.backend.features.mail.mails
    assert recorded.message_id == sent.message_id
    with pytest.raises(ValidationFailed, match="not verified") as refused:
        zoho.mail.send(contact, to=["mail@example.com"], sender="stranger@elsewhere.example", content="x")
    assert refused.value.problems[0].field == "from"
    with pytest.raises(InputError, match="content or a template"):
        zoho.mail.send(contact, to=["mail@example.com"], sender=sender)
