"""Every response of a broad scenario is checked against Zoho's official OpenAPI description (v8)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from leadflow_emulators.zoho.models import ZohoBackend
from tests.emulators.zoho.conftest import token_for
from tests.emulators.zoho.oas import OpenApiChecker, checker, in_spec
from tests.specs import ZOHO_OAS, spec_path


@pytest.fixture(scope="module")
def spec() -> OpenApiChecker:
    return checker(str(spec_path(*ZOHO_OAS)))


@pytest.fixture
def checked(app: Starlette, spec: OpenApiChecker) -> Iterator[tuple[TestClient, list[tuple[str, str, int]]]]:
    """A client whose every CRM response with a body is validated against the spec."""
    seen: list[tuple[str, str, int]] = []

    def validate(response: httpx.Response) -> None:
        response.read()
        request = response.request
        if not in_spec(request.url.path) or not response.content:
            return
        assert response.headers["content-type"] == "application/json"
        operation = spec.check(request.method, request.url.path, response.status_code, response.json())
        seen.append((operation.method, operation.path, response.status_code))

    with TestClient(app, base_url="http://zoho.test") as client:
        client.event_hooks = {"request": [], "response": [validate]}
        client.headers["Authorization"] = f"Zoho-oauthtoken {token_for(client)}"
        yield client, seen


def _post(client: TestClient, path: str, body: dict[str, Any], **params: str) -> httpx.Response:
    return client.post(path, content=json.dumps(body), params=params)


def test_responses_match_the_spec(checked: tuple[TestClient, list[tuple[str, str, int]]], backend: ZohoBackend) -> None:
    client, seen = checked
    _post(
        client,
        "/crm/v8/settings/fields",
        {"fields": [{"field_label": "Leadflow ID", "data_type": "text", "unique": {"casesensitive": "false"}}]},
        module="Leads",
    )
    created = _post(
        client,
        "/crm/v8/Leads",
        {"data": [{"Last_Name": "Ng", "Email": "ng@x.io", "Company": "Acme", "Leadflow_ID": "gp_1"}]},
    ).json()["data"][0]["details"]["id"]
    _post(
        client,
        "/crm/v8/Leads",
        {
            "data": [
                {"Last_Name": "Ok"},
                {"First_Name": "bad"},
                {"Last_Name": "x", "Leadflow_ID": "GP_1"},
                {"Last_Name": "x" * 90},
                {"Last_Name": "y", "Lead_Status": "no"},
            ]
        },
    )
    _post(client, "/crm/v8/Leads", {"data": [{"First_Name": "bad"}]})
    _post(client, "/crm/v8/Leads", {"data": [{"Last_Name": str(n)} for n in range(101)]})
    client.put(f"/crm/v8/Leads/{created}", content=json.dumps({"data": [{"City": "Oslo"}]}))
    client.put("/crm/v8/Leads", content=json.dumps({"data": [{"id": created, "City": "Rome"}, {"City": "x"}]}))
    _post(
        client,
        "/crm/v8/Leads/upsert",
        {"data": [{"Last_Name": "Ng", "Email": "NG@x.io"}, {"Last_Name": "New", "Email": "new@x.io"}]},
    )
    client.get("/crm/v8/Leads", params={"fields": "Last_Name,Email,Owner,Tag", "per_page": 2})
    client.get("/crm/v8/Leads")
    client.get(f"/crm/v8/Leads/{created}")
    client.get("/crm/v8/Widgets", params={"fields": "Name"})
    client.get("/crm/v8/Leads/search", params={"criteria": "(Email:equals:ng@x.io)"})
    client.get("/crm/v8/Leads/search", params={"criteria": "(Email:equals:ng@x.io"})
    client.get("/crm/v8/Leads/search")
    client.get("/crm/v8/Leads/search", params={"criteria": "(Last_Name:starts_with:N)", "page": 11})
    _post(client, "/crm/v8/settings/tags", {"tags": [{"name": "hot"}, {"name": "hot"}]}, module="Leads")
    tags = client.get("/crm/v8/settings/tags", params={"module": "Leads"}).json()["tags"]
    client.put(
        f"/crm/v8/settings/tags/{tags[0]['id']}",
        content=json.dumps({"tags": [{"name": "warm"}]}),
        params={"module": "Leads"},
    )
    _post(client, "/crm/v8/Leads/actions/add_tags", {"tags": [{"name": "warm"}], "ids": [created]})
    _post(client, "/crm/v8/Leads/actions/remove_tags", {"tags": [{"name": "warm"}], "ids": [created]})
    client.get(f"/crm/v8/Leads/{created}", params={"fields": "Tag"})
    client.delete(f"/crm/v8/settings/tags/{tags[0]['id']}", params={"module": "Leads"})
    [lead] = backend.insert("Leads", [{"Last_Name": "Convert", "Company": "Initech"}])
    _post(
        client,
        f"/crm/v8/Leads/{lead.id}/actions/convert",
        {"data": [{"Deals": {"Deal_Name": "D", "Stage": "Qualification"}}]},
    )
    client.delete("/crm/v8/Leads", params={"ids": f"{created},5725767000000000001"})
    client.get("/crm/v8/Leads/deleted", params={"type": "all"})
    client.get("/crm/v8/settings/modules")
    client.get("/crm/v8/settings/modules/Leads")
    client.get("/crm/v8/settings/fields", params={"module": "Contacts"})
    client.get("/crm/v8/settings/layouts", params={"module": "Deals"})
    client.get("/crm/v8/users", params={"type": "CurrentUser"})
    client.get("/crm/v8/org")
    client.get("/crm/v8/org", headers={"Authorization": "Zoho-oauthtoken 1000.expired"})
    statuses = {status for _, _, status in seen}
    assert {200, 201, 207, 400, 401} <= statuses
    paths = {path for _, path, _ in seen}
    assert len(paths) >= 12, paths
