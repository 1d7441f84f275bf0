"""Zoho's official v2 SDK (zohocrmsdk2-0) against the emulator on /crm/v2 over a real socket: records,
upsert, search, tags and lookups (the v2 field metadata names a lookup's module with a string)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leadflow_emulators.zoho.app import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN, create_app
from leadflow_emulators.zoho.models import ZohoBackend
from tests.emulators.zoho.conftest import LiveServer

pytest.importorskip("zcrmsdk.src.com.zoho.crm.api.initializer")

from zcrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zcrmsdk.src.com.zoho.api.authenticator.store.file_store import FileStore
from zcrmsdk.src.com.zoho.api.logger import Logger
from zcrmsdk.src.com.zoho.crm.api import HeaderMap, ParameterMap
from zcrmsdk.src.com.zoho.crm.api.dc import DataCenter
from zcrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zcrmsdk.src.com.zoho.crm.api.record import (
    ActionWrapper,
    APIException,
    BodyWrapper,
    Record,
    RecordOperations,
    ResponseWrapper,
    SearchRecordsParam,
)
from zcrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig
from zcrmsdk.src.com.zoho.crm.api.tags import AddTagsToRecordParam, TagsOperations
from zcrmsdk.src.com.zoho.crm.api.user_signature import UserSignature


@pytest.fixture(scope="module")
def v2_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, ZohoBackend]]:
    backend = ZohoBackend(seed=21)
    workdir = Path(tmp_path_factory.mktemp("sdk2"))
    with LiveServer(create_app(backend)) as server:
        url = server.url
        Initializer.initialize(
            user=UserSignature(backend.directory.current_user()["email"]),
            environment=DataCenter.Environment(url, f"{url}/oauth/v2/token", url, "emulator"),
            token=OAuthToken(
                client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET, refresh_token=DEFAULT_REFRESH_TOKEN
            ),
            store=FileStore(str(workdir / "tokens.txt")),
            sdk_config=SDKConfig(auto_refresh_fields=False, pick_list_validation=False),
            resource_path=str(workdir),
            logger=Logger.get_instance(Logger.Levels.CRITICAL, str(workdir / "sdk.log")),
        )
        yield server, backend
    backend.close()


def _ok_ids(response: Any) -> list[str]:
    assert response is not None
    body = response.get_object()
    if isinstance(body, APIException):
        raise AssertionError(f"{body.get_code().get_value()}: {body.get_details()}")
    assert isinstance(body, ActionWrapper), body
    items = list(body.get_data())
    for item in items:
        assert item.get_status().get_value() == "success", (item.get_code().get_value(), item.get_details())
    return [str(item.get_details()["id"]) for item in items]


def _record(**values: Any) -> Record:
    record = Record()
    for key, value in values.items():
        record.add_key_value(key, value)
    return record


def test_records_upsert_search_tags_and_lookups_on_v2(v2_server: tuple[LiveServer, ZohoBackend]) -> None:
    _, backend = v2_server
    operations = RecordOperations()
    body = BodyWrapper()
    body.set_data([_record(Account_Name="V2 Corp")])
    [account_id] = _ok_ids(operations.create_records("Accounts", body))

    account = Record()
    account.set_id(int(account_id))
    body.set_data([_record(Last_Name="Lookup", Email="lookup@v2.example", Account_Name=account)])
    [contact_id] = _ok_ids(operations.create_records("Contacts", body))
    stored = backend.get_record("Contacts", contact_id)
    assert stored is not None
    assert stored["Account_Name"]["id"] == account_id

    got = operations.get_record(int(contact_id), "Contacts", ParameterMap(), HeaderMap()).get_object()
    assert isinstance(got, ResponseWrapper), got
    [read] = got.get_data()
    assert str(read.get_key_value("Account_Name").get_id()) == account_id
    assert read.get_key_value("Account_Name").get_key_value("name") == "V2 Corp"

    body.set_data([_record(Last_Name="Lookup", Email="lookup@v2.example", Title="CFO")])
    [upserted] = _ok_ids(operations.upsert_records("Contacts", body))
    assert upserted == contact_id
    assert backend.get_record("Contacts", contact_id)["Title"] == "CFO"  # type: ignore[index]

    params = ParameterMap()
    params.add(SearchRecordsParam.email, "lookup@v2.example")
    found = operations.search_records("Contacts", params, HeaderMap()).get_object()
    assert isinstance(found, ResponseWrapper), found
    assert [str(item.get_id()) for item in found.get_data()] == [contact_id]

    tags = ParameterMap()
    tags.add(AddTagsToRecordParam.tag_names, "v2-tag")
    tagged = TagsOperations().add_tags_to_record(int(contact_id), "Contacts", tags).get_object()
    assert tagged.get_data()[0].get_status().get_value() == "success"
    assert [tag["name"] for tag in backend.get_record("Contacts", contact_id)["Tag"]] == ["v2-tag"]  # type: ignore[index]
    assert backend.stats()["requests"].get("GET /crm/v2/settings/fields", 0) >= 2  # Contacts, then Accounts
