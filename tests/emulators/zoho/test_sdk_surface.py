"""The official SDK (zohocrmsdk8-0) over a real socket: notes, activities, related lists, deals, watch."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from leadflow_emulators.zoho.app import create_app
from leadflow_emulators.zoho.models import ZohoBackend
from tests.emulators.zoho.conftest import LiveServer, SdkEnv
from tests.emulators.zoho.oas import checker
from tests.emulators.zoho.oas_asgi import OasCheckingApp
from tests.specs import ZOHO_OAS, optional_spec_path

pytest.importorskip("zohocrmsdk.src.com.zoho.crm.api.initializer")

from zohocrmsdk.src.com.zoho.crm.api import HeaderMap, ParameterMap
from zohocrmsdk.src.com.zoho.crm.api import attachments as sdk_attachments
from zohocrmsdk.src.com.zoho.crm.api import find_and_merge as sdk_merge
from zohocrmsdk.src.com.zoho.crm.api import functions as sdk_functions
from zohocrmsdk.src.com.zoho.crm.api import notes as sdk_notes
from zohocrmsdk.src.com.zoho.crm.api import notifications as sdk_watch
from zohocrmsdk.src.com.zoho.crm.api import pipeline as sdk_pipeline
from zohocrmsdk.src.com.zoho.crm.api import related_records as sdk_related
from zohocrmsdk.src.com.zoho.crm.api import send_mail as sdk_mail
from zohocrmsdk.src.com.zoho.crm.api.convert_lead import (
    BodyWrapper as ConvertBody,
)
from zohocrmsdk.src.com.zoho.crm.api.convert_lead import (
    ConvertLeadOperations,
    LeadConverter,
)
from zohocrmsdk.src.com.zoho.crm.api.convert_lead import (
    SuccessResponse as ConvertSuccess,
)
from zohocrmsdk.src.com.zoho.crm.api.modules import MinifiedModule
from zohocrmsdk.src.com.zoho.crm.api.record import (
    ActionWrapper,
    APIException,
    BodyWrapper,
    Participants,
    Record,
    RecordOperations,
)
from zohocrmsdk.src.com.zoho.crm.api.util import Choice, StreamWrapper

from tests.emulators.zoho.test_sdk_contract import _point_sdk_at


@pytest.fixture(scope="module")
def checked_app() -> Iterator[OasCheckingApp | None]:
    """The emulator app wrapped so that every answer the SDK gets is checked against Zoho's OAS (None
    without the spec: the tests still run, unchecked)."""
    spec_dir = optional_spec_path(*ZOHO_OAS)
    backend = ZohoBackend(seed=13)
    yield OasCheckingApp(create_app(backend), checker(str(spec_dir))) if spec_dir is not None else None
    backend.close()


@pytest.fixture(scope="module")
def sdk_env(tmp_path_factory: pytest.TempPathFactory, checked_app: OasCheckingApp | None) -> Iterator[SdkEnv]:
    """This module's own live emulator, behind the OAS-checking wrapper when the spec is there."""
    app: Any = checked_app if checked_app is not None else create_app(ZohoBackend(seed=13))
    backend: ZohoBackend = (checked_app.app if checked_app is not None else app).state.backend
    with LiveServer(app) as server:
        yield SdkEnv(server, backend, Path(tmp_path_factory.mktemp("sdk-surface")))


@pytest.fixture
def sdk_server(sdk_env: SdkEnv, checked_app: OasCheckingApp | None) -> Iterator[tuple[LiveServer, ZohoBackend]]:
    _point_sdk_at(sdk_env)
    yield sdk_env.server, sdk_env.backend
    if checked_app is not None:
        failures, checked_app.failures = checked_app.failures, []
        assert not failures, "answers that break Zoho's OAS:\n" + "\n".join(failures)
        assert checked_app.checked > 0


def _created_ids(response: Any) -> list[str]:
    body = response.get_object()
    if isinstance(body, APIException):
        raise AssertionError(f"{body.get_code().get_value()}: {body.get_details()}")
    assert isinstance(body, ActionWrapper | sdk_notes.ActionWrapper), type(body)
    items = list(body.get_data())
    for item in items:
        assert item.get_status().get_value() == "success", (item.get_code().get_value(), item.get_details())
    return [str(item.get_details()["id"]) for item in items]


def _create(module: str, values: dict[str, Any]) -> str:
    record = Record()
    for key, value in values.items():
        record.add_key_value(key, value)
    body = BodyWrapper()
    body.set_data([record])
    return _created_ids(RecordOperations(module).create_records(body, HeaderMap()))[0]


def _related(module: str, record_id: str, related_list: str) -> list[Any]:
    response = sdk_related.RelatedRecordsOperations(related_list, module).get_related_records(
        int(record_id), ParameterMap(), HeaderMap()
    )
    assert response is not None
    if response.get_status_code() == 204:
        return []
    body = response.get_object()
    assert isinstance(body, sdk_related.ResponseWrapper), body
    return list(body.get_data())


def test_notes_on_any_record_and_the_notes_related_list(sdk_server: tuple[LiveServer, ZohoBackend]) -> None:
    _, backend = sdk_server
    lead_id = _create("Leads", {"Last_Name": "Noted", "Company": "Acme"})
    account_id = _create("Accounts", {"Account_Name": "Noted Inc"})
    notes = []
    for parent_module, parent_id, text in (("Leads", lead_id, "first call"), ("Accounts", account_id, "kickoff")):
        note = sdk_notes.Note()
        note.set_note_content(text)
        parent = sdk_notes.ParentId()
        parent.set_id(int(parent_id))
        module = MinifiedModule()
        module.set_api_name(parent_module)
        parent.set_module(module)
        note.set_parent_id(parent)
        notes.append(note)
    body = sdk_notes.BodyWrapper()
    body.set_data(notes)
    created = sdk_notes.NotesOperations().create_notes(body)
    assert created.get_status_code() == 201
    _created_ids(created)

    on_lead = _related("Leads", lead_id, "Notes")
    assert [note.get_key_value("Note_Content") for note in on_lead] == ["first call"]
    assert backend.stats()["requests"].get("GET /crm/v8/settings/related_lists", 0) >= 1
    on_account = _related("Accounts", account_id, "Notes")
    assert [note.get_key_value("Note_Content") for note in on_account] == ["kickoff"]


def test_tasks_calls_and_events_link_to_records_with_owners(sdk_server: tuple[LiveServer, ZohoBackend]) -> None:
    _, backend = sdk_server
    contact_id = _create("Contacts", {"Last_Name": "Caller", "Email": "caller@example.com"})
    deal_id = _create("Deals", {"Deal_Name": "Big one", "Stage": Choice("Qualification")})
    who = Record()
    who.set_id(int(contact_id))
    what = Record()
    what.set_id(int(deal_id))
    owner_id = backend.directory.current_user_id
    task_id = _create(
        "Tasks",
        {
            "Subject": "Send proposal",
            "Who_Id": who,
            "What_Id": what,
            "$se_module": "Deals",
            "Status": Choice("Not Started"),
        },
    )
    call_id = _create(
        "Calls",
        {
            "Subject": "Discovery call",
            "Call_Type": Choice("Outbound"),
            "Call_Start_Time": datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
            "Call_Duration": "12:30",
            "Call_Result": "Interested",
            "Who_Id": who,
        },
    )
    participant = Participants()
    participant.add_key_value("type", "contact")
    participant.add_key_value("participant", contact_id)
    event_id = _create(
        "Events",
        {
            "Event_Title": "Demo",
            "Start_DateTime": datetime(2026, 12, 2, 15, 0, tzinfo=UTC),
            "End_DateTime": datetime(2026, 12, 2, 16, 0, tzinfo=UTC),
            "Participants": [participant],
            "What_Id": what,
            "$se_module": "Deals",
        },
    )
    assert [task.get_id() for task in _related("Deals", deal_id, "Tasks")] == [int(task_id)]
    assert [event.get_id() for event in _related("Deals", deal_id, "Events")] == [int(event_id)]
    calls = _related("Contacts", contact_id, "Calls")
    assert [call.get_id() for call in calls] == [int(call_id)]
    assert calls[0].get_key_value("Call_Duration_in_seconds") == 750
    assert str(calls[0].get_key_value("Owner").get_id()) == owner_id
    stored_event = backend.get_record("Events", event_id)
    assert stored_event is not None
    assert stored_event["Participants"][0]["participant"] == contact_id
    assert stored_event["Participants"][0]["name"] == "Caller"
    assert stored_event["Participants"][0]["Email"] == "caller@example.com"


def test_stage_moves_are_recorded_in_stage_history(sdk_server: tuple[LiveServer, ZohoBackend]) -> None:
    _, backend = sdk_server
    deal_id = _create("Deals", {"Deal_Name": "Staged", "Stage": Choice("Qualification"), "Amount": 5000.0})
    change = Record()
    change.add_key_value("Stage", Choice("Negotiation/Review"))
    body = BodyWrapper()
    body.set_data([change])
    _created_ids(RecordOperations("Deals").update_record(int(deal_id), body, HeaderMap()))
    change = Record()
    change.add_key_value("Stage", Choice("Closed Won"))
    body.set_data([change])
    _created_ids(RecordOperations("Deals").update_record(int(deal_id), body, HeaderMap()))

    history = _related("Deals", deal_id, "Stage_History")
    by_stage = {entry.get_key_value("Stage").get_value(): entry for entry in history}
    assert set(by_stage) == {"Qualification", "Negotiation/Review", "Closed Won"}
    assert by_stage["Qualification"].get_key_value("Stage_Duration") == 0
    assert by_stage["Negotiation/Review"].get_key_value("Probability") == 90
    assert by_stage["Closed Won"].get_key_value("Expected_Revenue") == 5000.0
    deal = backend.get_record("Deals", deal_id)
    assert deal is not None
    assert deal["Probability"] == 100

    layout_id = int(backend.module("Deals").id) + 1
    pipelines = sdk_pipeline.PipelineOperations(layout_id).get_pipelines().get_object()
    assert isinstance(pipelines, sdk_pipeline.ResponseWrapper), pipelines
    stages = {stage.get_display_value(): stage for stage in pipelines.get_pipeline()[0].get_maps()}
    assert stages["Closed Won"].get_forecast_type() == "Closed Won"
    assert stages["Closed Lost"].get_forecast_category().get_name() == "Omitted"


def test_lead_conversion_creates_a_deal_in_a_stage_of_the_pipeline(sdk_server: tuple[LiveServer, ZohoBackend]) -> None:
    _, backend = sdk_server
    lead_id = _create("Leads", {"Last_Name": "Convertible", "Company": "Convert Co", "Email": "cv@example.com"})
    converter = LeadConverter()
    converter.set_overwrite(True)
    converter.set_notify_lead_owner(True)
    converter.set_notify_new_entity_owner(False)
    deal = Record()
    deal.add_key_value("Deal_Name", "Convert Co deal")
    deal.add_key_value("Stage", Choice("Needs Analysis"))
    deal.add_key_value("Pipeline", Choice("Standard (Standard)"))
    deal.add_key_value("Closing_Date", datetime(2027, 1, 31).date())
    converter.set_deals(deal)
    body = ConvertBody()
    body.set_data([converter])
    answer = ConvertLeadOperations(int(lead_id)).convert_lead(body).get_object()
    [result] = answer.get_data()
    assert isinstance(result, ConvertSuccess), (result.get_code().get_value(), result.get_details())
    deal_id = str(result.get_details()["Deals"].get_id())
    stored = backend.get_record("Deals", deal_id)
    assert stored is not None
    assert (stored["Stage"], stored["Pipeline"], stored["Probability"]) == ("Needs Analysis", "Standard (Standard)", 20)
    assert [entry.get_key_value("Stage").get_value() for entry in _related("Deals", deal_id, "Stage_History")] == [
        "Needs Analysis"
    ]
    [notice] = [mail for mail in backend.features.mail.mails if mail.record_id == lead_id]
    assert (notice.subject, notice.to[0]["email"]) == ("Lead converted", backend.directory.current_user()["email"])


def test_watch_enable_get_update_disable(sdk_server: tuple[LiveServer, ZohoBackend]) -> None:
    _, backend = sdk_server
    operations = sdk_watch.NotificationsOperations()
    notification = sdk_watch.Notification()
    notification.set_channel_id("1000000068001")
    notification.set_events(["Leads.create", "Contacts.edit"])
    notification.set_notify_url("http://127.0.0.1:9/zoho?source=sdk")
    notification.set_token("sdk-token")
    notification.set_channel_expiry(datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2))
    body = sdk_watch.BodyWrapper()
    body.set_watch([notification])
    enabled = operations.enable_notifications(body)
    assert enabled.get_status_code() == 201
    [success] = enabled.get_object().get_watch()
    assert isinstance(success, sdk_watch.SuccessResponse), success

    params = ParameterMap()
    params.add(sdk_watch.GetNotificationsParam.channel_id, 1000000068001)
    listed = operations.get_notifications(params).get_object()
    assert isinstance(listed, sdk_watch.ResponseWrapper), listed
    assert {item.get_resource_name() for item in listed.get_watch()} == {"Leads", "Contacts"}
    assert all(item.get_token() == "sdk-token" for item in listed.get_watch())

    change = sdk_watch.Notification()
    change.set_channel_id("1000000068001")
    change.set_events(["Deals.all"])
    body.set_watch([change])
    patched = operations.update_notification(body)
    assert patched.get_status_code() == 200
    assert set(backend.watches.channels["1000000068001"].events) == {"Leads", "Contacts", "Deals"}

    delete = ParameterMap()
    delete.add(sdk_watch.DeleteNotificationParam.channel_ids, "1000000068001")
    removed = operations.delete_notification(delete)
    assert removed.get_status_code() == 200
    assert "1000000068001" not in backend.watches.channels


def test_find_and_merge(sdk_server: tuple[LiveServer, ZohoBackend]) -> None:
    _, backend = sdk_server
    master = _create("Leads", {"Last_Name": "Twin", "Company": "Old Co"})
    twin = _create("Leads", {"Last_Name": "Twin", "Company": "New Co", "Email": "twin@example.com"})
    keep = sdk_merge.MasterRecordFields()
    keep.set_api_name("Company")
    source = sdk_merge.ImageData()
    source.set_id(int(twin))
    keep.set_data([source])
    other = sdk_merge.MergeData()
    other.set_id(int(twin))
    request = sdk_merge.Merge()
    request.set_data([other])
    request.set_master_record_fields([keep])
    body = sdk_merge.BodyWrapper()
    body.set_merge([request])
    response = sdk_merge.FindAndMergeOperations("Leads", int(master)).merge_records(body)
    assert response.get_status_code() == 201
    [result] = response.get_object().get_merge()
    assert isinstance(result, sdk_merge.SuccessResponse), result
    merged = backend.get_record("Leads", master)
    assert merged is not None
    assert (merged["Company"], merged["Email"]) == ("New Co", None)
    assert backend.get_record("Leads", twin) is None


def test_attachments_upload_list_download_delete(sdk_server: tuple[LiveServer, ZohoBackend], tmp_path: Any) -> None:
    lead_id = int(_create("Leads", {"Last_Name": "Attached"}))
    operations = sdk_attachments.AttachmentsOperations()
    source = tmp_path / "notes.txt"
    source.write_bytes(b"meeting notes")
    body = sdk_attachments.FileBodyWrapper()
    body.set_file(StreamWrapper(file_path=str(source)))
    uploaded = operations.upload_attachments(lead_id, "Leads", body)
    [created] = uploaded.get_object().get_data()
    assert isinstance(created, sdk_attachments.SuccessResponse), created
    attachment_id = int(created.get_details()["id"])

    params = ParameterMap()
    params.add(sdk_attachments.GetAttachmentsParam.fields, "id,File_Name,Size")
    listed = operations.get_attachments(lead_id, "Leads", params).get_object()
    assert isinstance(listed, sdk_attachments.ResponseWrapper), listed
    [item] = listed.get_data()
    assert (item.get_file_name(), item.get_size()) == ("notes.txt", "13")

    downloaded = operations.get_attachment(attachment_id, lead_id, "Leads").get_object()
    assert isinstance(downloaded, sdk_attachments.FileBodyWrapper), downloaded
    assert downloaded.get_file().get_stream().content == b"meeting notes"

    delete = ParameterMap()
    delete.add(sdk_attachments.DeleteAttachmentsParam.ids, str(attachment_id))
    [deleted] = operations.delete_attachments(lead_id, "Leads", delete).get_object().get_data()
    assert isinstance(deleted, sdk_attachments.SuccessResponse), deleted


def test_functions_execute_with_parameters_and_body(sdk_server: tuple[LiveServer, ZohoBackend]) -> None:
    _, backend = sdk_server
    backend.features.functions.register("add", lambda arguments: str(int(arguments["a"]) + int(arguments["b"])))
    by_params = sdk_functions.FunctionsOperations("add", "oauth", {"a": 2, "b": 3}).execute_function_using_parameters()
    result = by_params.get_object()
    assert isinstance(result, sdk_functions.SuccessResponse), (result.get_code().get_value(), result.get_details())
    assert result.get_details()["output"] == "5"
    body = sdk_functions.BodyWrapper()
    body.set_body({"a": 10, "b": 1})
    by_body = sdk_functions.FunctionsOperations("add", "oauth").execute_function_using_request_body(body)
    assert by_body.get_object().get_details()["output"] == "11"
    missing = sdk_functions.FunctionsOperations("nope", "oauth").execute_function_using_parameters()
    assert missing.get_status_code() == 404


def test_send_mail_is_recorded_and_opt_outs_are_blocked(sdk_server: tuple[LiveServer, ZohoBackend]) -> None:
    _, backend = sdk_server
    contact_id = _create("Contacts", {"Last_Name": "Mailed", "Email": "mailed@example.com"})
    _create("Contacts", {"Last_Name": "Quiet", "Email": "quiet@example.com", "Email_Opt_Out": True})
    sender = sdk_mail.From()
    sender.set_user_name("Leadflow Admin")
    sender.set_email(backend.directory.current_user()["email"])
    recipients = []
    for address in ("mailed@example.com", "quiet@example.com"):
        to = sdk_mail.To()
        to.set_email(address)
        recipients.append(to)
    mail = sdk_mail.Data()
    mail.set_from(sender)
    mail.set_to(recipients)
    mail.set_subject("Welcome")
    mail.set_content("Hello")
    mail.set_mail_format(Choice("text"))
    body = sdk_mail.BodyWrapper()
    body.set_data([mail])
    [result] = sdk_mail.SendMailOperations(int(contact_id), "Contacts").send_mail(body).get_object().get_data()
    assert isinstance(result, sdk_mail.SuccessResponse), (result.get_code().get_value(), result.get_details())
    [sent] = [item for item in backend.features.mail.mails if item.record_id == contact_id]
    assert [person["email"] for person in sent.to] == ["mailed@example.com"]
    assert sent.blocked == [{"email": "quiet@example.com", "reason": "email_opt_out"}]
