"""Contract tests: Zoho's official Python SDK (zohocrmsdk8-0) against the emulator over a real socket."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from leadflow_emulators.zoho.app import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN
from leadflow_emulators.zoho.models import ZohoBackend
from tests.emulators.zoho.conftest import LiveServer, SdkEnv

sdk = pytest.importorskip("zohocrmsdk.src.com.zoho.crm.api.initializer")

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken  # noqa: E402
from zohocrmsdk.src.com.zoho.api.authenticator.store.file_store import FileStore  # noqa: E402
from zohocrmsdk.src.com.zoho.api.logger import Logger  # noqa: E402
from zohocrmsdk.src.com.zoho.crm.api import HeaderMap, ParameterMap  # noqa: E402
from zohocrmsdk.src.com.zoho.crm.api.dc import DataCenter  # noqa: E402
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer  # noqa: E402
from zohocrmsdk.src.com.zoho.crm.api.record import (  # noqa: E402
    ActionWrapper,
    APIException,
    BodyWrapper,
    DeleteRecordsParam,
    GetRecordsParam,
    Record,
    RecordOperations,
    ResponseWrapper,
    SearchRecordsParam,
    SuccessResponse,
)
from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig  # noqa: E402
from zohocrmsdk.src.com.zoho.crm.api.tags import ActionWrapper as TagActionWrapper  # noqa: E402
from zohocrmsdk.src.com.zoho.crm.api.tags import (  # noqa: E402
    BodyWrapper as TagBodyWrapper,
)
from zohocrmsdk.src.com.zoho.crm.api.tags import (  # noqa: E402
    ExistingTag,
    ExistingTagRequestWrapper,
    NewTagRequestWrapper,
    RecordActionWrapper,
    Tag,
    TagsOperations,
)
from zohocrmsdk.src.com.zoho.crm.api.util import Choice  # noqa: E402


def _point_sdk_at(env: SdkEnv) -> None:
    """(Re-)initialise the SDK for ``env`` unless it already talks to it.

    The SDK keeps one global ``Initializer``; another module's tests (or xdist interleaving them in one
    worker) may have pointed it elsewhere in between.
    """
    try:
        current = Initializer.get_initializer()
    except Exception:  # the SDK raises when it was never initialised
        current = None
    environment = getattr(current, "environment", None)
    if environment is not None and environment.url == env.server.url:
        return
    url = env.server.url
    Initializer.initialize(
        environment=DataCenter.Environment(url, f"{url}/oauth/v2/token", url),
        token=OAuthToken(
            client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET, refresh_token=DEFAULT_REFRESH_TOKEN
        ),
        store=FileStore(str(env.workdir / "tokens.txt")),
        sdk_config=SDKConfig(auto_refresh_fields=False, pick_list_validation=False),
        resource_path=str(env.workdir),
        logger=Logger.get_instance(Logger.Levels.CRITICAL, str(env.workdir / "sdk.log")),
    )


@pytest.fixture
def sdk_server(sdk_env: SdkEnv) -> tuple[LiveServer, ZohoBackend]:
    """The module's live emulator, with the official SDK initialised against it."""
    _point_sdk_at(sdk_env)
    return sdk_env.server, sdk_env.backend


def _lead(last_name: str, email: str) -> Record:
    record = Record()
    record.add_key_value("Last_Name", last_name)
    record.add_key_value("Email", email)
    record.add_key_value("Company", "Acme")
    return record


def _action_results(response: Any) -> list[Any]:
    assert response is not None
    body = response.get_object()
    if isinstance(body, APIException):
        raise AssertionError(f"{body.get_code().get_value()}: {body.get_details()}")
    assert isinstance(body, ActionWrapper), type(body)
    return list(body.get_data())


def test_insert_get_update_delete(sdk_server: tuple[LiveServer, ZohoBackend]) -> None:
    _, backend = sdk_server
    operations = RecordOperations("Leads")
    body = BodyWrapper()
    body.set_data([_lead("Lovelace", "ada@example.com"), _lead("Hopper", "grace@example.com")])
    response = operations.create_records(body, HeaderMap())
    assert response.get_status_code() == 201
    results = _action_results(response)
    assert all(isinstance(item, SuccessResponse) for item in results)
    ids = [int(item.get_details()["id"]) for item in results]
    assert backend.stats()["operations"]["Leads"]["created"] == 2

    got = operations.get_record(ids[0], ParameterMap(), HeaderMap())
    wrapper = got.get_object()
    assert isinstance(wrapper, ResponseWrapper)
    record = wrapper.get_data()[0]
    assert record.get_key_value("Last_Name") == "Lovelace"
    assert str(record.get_key_value("Owner").get_id()) == "5725767000000411001"

    update = BodyWrapper()
    change = Record()
    change.add_key_value("Designation", "Countess")
    update.set_data([change])
    updated = _action_results(operations.update_record(ids[0], update, HeaderMap()))
    assert updated[0].get_code().get_value() == "SUCCESS"
    assert backend.get_record("Leads", str(ids[0]))["Designation"] == "Countess"

    params = ParameterMap()
    params.add(GetRecordsParam.fields, "Last_Name,Email")
    listed = operations.get_records(params, HeaderMap()).get_object()
    assert isinstance(listed, ResponseWrapper)
    assert {item.get_key_value("Email") for item in listed.get_data()} >= {"ada@example.com", "grace@example.com"}

    delete_params = ParameterMap()
    delete_params.add(DeleteRecordsParam.ids, str(ids[1]))
    deleted = _action_results(operations.delete_records(delete_params, HeaderMap()))
    assert deleted[0].get_code().get_value() == "SUCCESS"
    assert backend.get_record("Leads", str(ids[1])) is None


def test_upsert_and_search(sdk_server: tuple[LiveServer, ZohoBackend]) -> None:
    _, backend = sdk_server
    operations = RecordOperations("Contacts")
    body = BodyWrapper()
    body.set_data([_contact("Turing", "alan@example.com")])
    body.set_duplicate_check_fields(["Email"])
    first = _action_results(operations.upsert_records(body, HeaderMap()))
    assert first[0].get_action().get_value() == "insert"
    again = BodyWrapper()
    again.set_data([_contact("Turing-Updated", "ALAN@example.com")])
    again.set_duplicate_check_fields(["Email"])
    second = _action_results(operations.upsert_records(again, HeaderMap()))
    assert second[0].get_action().get_value() == "update"
    assert second[0].get_duplicate_field() == "Email"
    assert backend.stats()["records"]["Contacts"] == 1

    params = ParameterMap()
    params.add(SearchRecordsParam.criteria, "(Last_Name:starts_with:turing)")
    found = operations.search_records(params, HeaderMap()).get_object()
    assert isinstance(found, ResponseWrapper)
    assert [item.get_key_value("Email") for item in found.get_data()] == ["ALAN@example.com"]


def _contact(last_name: str, email: str) -> Record:
    record = Record()
    record.add_key_value("Last_Name", last_name)
    record.add_key_value("Email", email)
    return record


def test_tags(sdk_server: tuple[LiveServer, ZohoBackend]) -> None:
    _, backend = sdk_server
    [result] = backend.insert("Leads", [{"Last_Name": "Tagged"}])
    tags_api = TagsOperations()
    tag = Tag()
    tag.set_name("hot")
    body = TagBodyWrapper()
    body.set_tags([tag])
    params = ParameterMap()
    from zohocrmsdk.src.com.zoho.crm.api.tags import CreateTagsParam

    params.add(CreateTagsParam.module, "Leads")
    created = tags_api.create_tags(body, params).get_object()
    assert isinstance(created, TagActionWrapper), created
    assert created.get_tags()[0].get_code().get_value() == "SUCCESS"

    request = NewTagRequestWrapper()
    request.set_tags([tag, _tag("segment-a")])
    request.set_ids([int(str(result.id))])
    added = tags_api.add_tags_to_multiple_records("Leads", request).get_object()
    assert isinstance(added, RecordActionWrapper), added
    assert added.get_data()[0].get_code().get_value() == "SUCCESS"
    names = {tag["name"] for tag in backend.get_record("Leads", str(result.id))["Tag"]}
    assert names == {"hot", "segment-a"}

    existing = ExistingTag()
    existing.set_name("hot")
    remove = ExistingTagRequestWrapper()
    remove.set_tags([existing])
    remove.set_ids([int(str(result.id))])
    removed = tags_api.remove_tags_from_multiple_records("Leads", remove).get_object()
    assert isinstance(removed, RecordActionWrapper)
    assert [tag["name"] for tag in backend.get_record("Leads", str(result.id))["Tag"]] == ["segment-a"]


def _tag(name: str) -> Tag:
    tag = Tag()
    tag.set_name(name)
    return tag


def test_errors_arrive_as_api_exception(sdk_server: tuple[LiveServer, ZohoBackend]) -> None:
    operations = RecordOperations("Leads")
    body = BodyWrapper()
    record = Record()
    record.add_key_value("First_Name", "NoLastName")
    body.set_data([record])
    response = operations.create_records(body, HeaderMap())
    assert response.get_status_code() == 400
    [item] = _action_results(response)
    assert isinstance(item, APIException)
    assert item.get_code().get_value() == "MANDATORY_NOT_FOUND"
    assert item.get_details()["api_name"] == "Last_Name"

    missing = RecordOperations("Leads").get_records(ParameterMap(), HeaderMap())
    error = missing.get_object()
    assert isinstance(error, APIException)
    assert error.get_code().get_value() == "REQUIRED_PARAM_MISSING"
    assert isinstance(error.get_status(), Choice)


def test_token_refresh_after_expiry(sdk_server: tuple[LiveServer, ZohoBackend]) -> None:
    _, backend = sdk_server
    params = ParameterMap()
    params.add(GetRecordsParam.fields, "Last_Name")
    backend.insert("Leads", [{"Last_Name": "Token"}])
    RecordOperations("Leads").get_records(params, HeaderMap())  # the SDK holds a valid token now
    issued = backend.oauth.stats()["issued"]
    assert issued >= 1
    backend.clock.advance(3601)
    # The emulator's hour has passed: the SDK's token is refused with Zoho's INVALID_TOKEN (no retry on 401).
    error = RecordOperations("Leads").get_records(params, HeaderMap()).get_object()
    assert isinstance(error, APIException)
    assert error.get_code().get_value() == "INVALID_TOKEN"
    # Once the SDK's own clock says the token expired, it refreshes with the refresh token and succeeds.
    tokens_file = Path(Initializer.get_initializer().store.file_path)
    rows = list(csv.reader(tokens_file.read_text().splitlines()))
    column = rows[0].index("expiry_time")
    for row in rows[1:]:
        row[column] = "1000"
    with tokens_file.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    ok = RecordOperations("Leads").get_records(params, HeaderMap()).get_object()
    assert isinstance(ok, ResponseWrapper)
    assert backend.oauth.stats()["issued"] == issued + 1


def test_convert_lead(sdk_server: tuple[LiveServer, ZohoBackend]) -> None:
    from zohocrmsdk.src.com.zoho.crm.api.convert_lead import ActionWrapper as ConvertWrapper
    from zohocrmsdk.src.com.zoho.crm.api.convert_lead import BodyWrapper as ConvertBody
    from zohocrmsdk.src.com.zoho.crm.api.convert_lead import ConvertLeadOperations, LeadConverter
    from zohocrmsdk.src.com.zoho.crm.api.convert_lead import SuccessResponse as ConvertSuccess

    _, backend = sdk_server
    [lead] = backend.insert("Leads", [{"Last_Name": "Curie", "Company": "Radium Ltd", "Email": "marie@radium.io"}])
    deal = Record()
    deal.add_key_value("Deal_Name", "Radium pilot")
    deal.add_key_value("Stage", Choice("Qualification"))
    converter = LeadConverter()
    converter.set_overwrite(True)
    converter.set_deals(deal)
    body = ConvertBody()
    body.set_data([converter])
    response = ConvertLeadOperations(int(str(lead.id))).convert_lead(body)
    wrapper = response.get_object()
    assert isinstance(wrapper, ConvertWrapper), wrapper
    [result] = wrapper.get_data()
    assert isinstance(result, ConvertSuccess)
    details = result.get_details()
    contact_id = str(details["Contacts"].get_id())
    assert backend.get_record("Leads", str(lead.id))["Converted__s"] is True
    contacts = [record for record in backend.iter_records("Contacts") if record["Email"] == "marie@radium.io"]
    assert [record["id"] for record in contacts] == [contact_id]
    deals = [record for record in backend.iter_records("Deals") if record["Deal_Name"] == "Radium pilot"]
    assert deals[0]["Account_Name"]["name"] == "Radium Ltd"
