"""Limits (credits, concurrency, sub-concurrency) and injected faults (latency, 500s, 429 bursts, drops)."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from leadflow_emulators.zoho.models import ZohoBackend
from tests.emulators.zoho.conftest import LiveServer, token_for

FIELDS = {"fields": "Last_Name"}


def test_credit_costs_headers_and_rolling_window(api: TestClient, backend: ZohoBackend) -> None:
    api.post("/_emulator/limits", json={"daily_credits": 10})
    single = api.get("/crm/v8/Leads", params=FIELDS)
    assert single.headers["X-RATELIMIT-LIMIT"] == "10"
    assert single.headers["X-RATELIMIT-REMAINING"] == "9"
    assert single.headers["X-RATELIMIT-DAY-REMAINING"] == "9"
    assert int(single.headers["X-RATELIMIT-RESET"]) >= int(backend.clock.timestamp())
    batch = api.post("/crm/v8/Leads", content=json.dumps({"data": [{"Last_Name": str(n)} for n in range(25)]}))
    assert batch.headers["X-RATELIMIT-REMAINING"] == "6"  # 25 records cost ceil(25 / 10) = 3 credits
    [lead] = backend.insert("Leads", [{"Last_Name": "Convert me"}])
    convert = api.post(f"/crm/v8/Leads/{lead.id}/actions/convert", content=json.dumps({"data": [{}]}))
    assert convert.headers["X-RATELIMIT-REMAINING"] == "1"  # convert costs 5
    assert api.get("/crm/v8/org").status_code == 200
    exhausted = api.get("/crm/v8/org")
    assert exhausted.status_code == 400
    assert exhausted.json()["code"] == "LIMIT_EXCEEDED"
    assert exhausted.headers["X-RATELIMIT-REMAINING"] == "0"
    backend.clock.advance(24 * 3600 + 1)
    api.headers["Authorization"] = f"Zoho-oauthtoken {token_for(api)}"  # the old token expired meanwhile
    assert api.get("/crm/v8/org").status_code == 200
    assert backend.stats()["credits"]["used"] == 1


def test_limits_are_the_backends_settings_read_and_set_on_the_control_plane(
    anon: TestClient, backend: ZohoBackend
) -> None:
    assert anon.get("/_emulator/limits").json() == {
        "daily_credits": 100_000,
        "concurrency": 10,
        "sub_concurrency": 10,
        "bulk_read_page_size": 200_000,
        "bulk_read_max_page": 50,
        "credits_used": 0,
    }
    changed = anon.post("/_emulator/limits", json={"concurrency": 4, "bulk_read_page_size": 10}).json()
    assert (changed["concurrency"], changed["bulk_read_page_size"]) == (4, 10)
    assert (backend.gate.limit, backend.limits.bulk_read_page_size) == (4, 10)
    refused = anon.post("/_emulator/limits", json={"concurrency": 5, "credits": 1})
    assert refused.status_code == 400
    assert "unknown limit settings: ['credits']" in refused.json()["error"]
    assert backend.gate.limit == 4  # all or nothing


Call = tuple[str, str, dict[str, str]] | tuple[str, str, dict[str, str], bytes]


async def _gather(app: Starlette, token: str, requests: list[Call]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://zoho.test", headers=headers) as client:
        return list(
            await asyncio.gather(
                *(
                    client.request(call[0], call[1], params=call[2], content=call[3] if len(call) > 3 else None)
                    for call in requests
                )
            )
        )


def test_concurrency_limit(app: Starlette, anon: TestClient, backend: ZohoBackend) -> None:
    token = token_for(anon)
    anon.post("/_emulator/faults", json={"latency_ms": 600})  # long enough to overlap on a busy machine
    responses = asyncio.run(_gather(app, token, [("GET", "/crm/v8/org", {})] * 12))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * 10 + [429] * 2
    rejected = next(response for response in responses if response.status_code == 429)
    assert rejected.json()["code"] == "TOO_MANY_REQUESTS"
    assert rejected.headers["content-type"] == "application/json"
    state = anon.get("/_emulator/state").json()["concurrency"]
    assert state["max_in_flight"] == 10
    assert state["rejected"] == 2


def test_sub_concurrency_for_heavy_calls(app: Starlette, anon: TestClient, backend: ZohoBackend) -> None:
    token = token_for(anon)
    backend.insert("Leads", [{"Last_Name": "Ng"}])
    anon.post("/_emulator/limits", json={"sub_concurrency": 2})
    anon.post("/_emulator/faults", json={"latency_ms": 600})  # long enough to overlap on a busy machine
    search = ("GET", "/crm/v8/Leads/search", {"criteria": "(Last_Name:equals:Ng)"})
    plain = ("GET", "/crm/v8/Leads", FIELDS)
    responses = asyncio.run(_gather(app, token, [search] * 4 + [plain] * 4))
    assert sorted(response.status_code for response in responses[:4]) == [200, 200, 429, 429]
    assert [response.status_code for response in responses[4:]] == [200] * 4
    assert anon.get("/_emulator/state").json()["concurrency"]["max_heavy_in_flight"] == 2


def test_latency_is_added(api: TestClient) -> None:
    api.post("/_emulator/faults", json={"latency_ms": 120})
    started = time.perf_counter()
    api.get("/crm/v8/org")
    assert time.perf_counter() - started >= 0.12


def test_share_of_500s(api: TestClient, backend: ZohoBackend) -> None:
    api.post("/_emulator/faults", json={"error_rate": 1.0})
    response = api.post("/crm/v8/Leads", content=json.dumps({"data": [{"Last_Name": "x"}]}))
    assert response.status_code == 500
    assert response.json()["code"] == "INTERNAL_ERROR"
    assert backend.stats()["records"]["Leads"] == 0  # a 500 before the write: nothing happened
    api.post("/_emulator/faults", json={"error_rate": 0.5})
    statuses = [api.get("/crm/v8/org").status_code for _ in range(40)]
    assert 0 < statuses.count(500) < 40
    assert set(statuses) == {200, 500}
    assert api.get("/_emulator/faults").json()["errors_injected"] == 1 + statuses.count(500)


def test_429_burst(api: TestClient) -> None:
    api.post("/_emulator/faults", json={"burst_429": 2})
    first, second, third = (api.get("/crm/v8/org") for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (429, 429, 200)
    assert first.json()["code"] == "TOO_MANY_REQUESTS"
    assert first.headers["retry-after"] == "1"


def test_commit_then_drop_in_process(api: TestClient, backend: ZohoBackend) -> None:
    api.post("/_emulator/faults", json={"drop_after_commit": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/crm/v8/Leads/upsert", content=json.dumps({"data": [{"Last_Name": "Once", "Email": "o@x.io"}]}))
    assert backend.stats()["operations"]["Leads"] == {"created": 1}  # the write happened
    retry = api.post("/crm/v8/Leads/upsert", content=json.dumps({"data": [{"Last_Name": "Once", "Email": "o@x.io"}]}))
    assert retry.json()["data"][0]["action"] == "update"
    assert backend.stats()["records"]["Leads"] == 1


def test_commit_then_drop_over_a_socket(live: LiveServer, backend: ZohoBackend) -> None:
    with httpx.Client(base_url=live.url, timeout=5) as client:
        token = token_for(client)
        client.post("/_emulator/faults", json={"drop_after_commit": 1, "path_contains": "/Leads"})
        headers = {"Authorization": f"Zoho-oauthtoken {token}"}
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            client.post("/crm/v8/Leads", content=json.dumps({"data": [{"Last_Name": "Dropped"}]}), headers=headers)
        assert backend.stats()["records"]["Leads"] == 1
        ok = client.get("/crm/v8/Leads", params=FIELDS, headers=headers)
        assert ok.json()["data"][0]["Last_Name"] == "Dropped"


def test_control_plane_state_reset_seed_clock(anon: TestClient, backend: ZohoBackend) -> None:
    lines = "\n".join(
        json.dumps(item)
        for item in [
            {"module": "Accounts", "record": {"id": "5725767000099000001", "Account_Name": "Seeded"}},
            {"module": "Contacts", "record": {"Last_Name": "S", "Account_Name": {"id": "5725767000099000001"}}},
            {"module": "Nope", "record": {}},
            {"module": "Leads", "record": {"First_Name": "no last name"}},
        ]
    )
    outcome = anon.post("/_emulator/seed", content=lines).json()
    assert outcome["inserted"] == 2
    assert [error["code"] for error in outcome["errors"]] == ["INVALID_MODULE", "MANDATORY_NOT_FOUND"]
    assert backend.get_record("Accounts", "5725767000099000001")["Account_Name"] == "Seeded"
    again = anon.post("/_emulator/seed", content=lines.splitlines()[0]).json()
    assert (again["inserted"], again["skipped"]) == (0, 1)
    state = anon.get("/_emulator/state").json()
    assert state["records"]["Contacts"] == 1
    assert state["requests_total"] == 0  # seeding is not an API call
    assert state["operations"]["Accounts"]["created"] == 1
    before = anon.get("/_emulator/clock").json()["now"]
    after = anon.post("/_emulator/clock", json={"advance_seconds": 3600}).json()["now"]
    assert after > before
    assert anon.post("/_emulator/reset").json() == {"status": "reset"}
    assert anon.get("/_emulator/state").json()["records"]["Accounts"] == 0
    assert anon.post("/_emulator/faults", json={"nonsense": 1}).status_code == 400
    assert anon.post("/_emulator/tokens/expire").status_code == 200


def test_writes_of_more_than_ten_records_are_heavy(app: Starlette, anon: TestClient) -> None:
    token = token_for(anon)
    anon.post("/_emulator/limits", json={"sub_concurrency": 2})
    anon.post("/_emulator/faults", json={"latency_ms": 600})  # long enough to overlap on a busy machine

    def insert(count: int, tag: str) -> Call:
        rows = [{"Last_Name": f"{tag}{n}"} for n in range(count)]
        return ("POST", "/crm/v8/Leads", {}, json.dumps({"data": rows}).encode())

    heavy = asyncio.run(_gather(app, token, [insert(11, f"h{n}-") for n in range(4)]))
    assert sorted(response.status_code for response in heavy) == [201, 201, 429, 429]
    light = asyncio.run(_gather(app, token, [insert(10, f"l{n}-") for n in range(4)]))
    assert [response.status_code for response in light] == [201] * 4


def test_state_counts_api_calls_by_route(api: TestClient, backend: ZohoBackend) -> None:
    [lead] = backend.insert("Leads", [{"Last_Name": "Counted"}])
    api.get(f"/crm/v8/Leads/{lead.id}")
    api.get(f"/crm/v8/Leads/{lead.id}")
    api.post("/crm/v8/Leads/upsert", content=json.dumps({"data": [{"Last_Name": "x"}]}))
    requests = api.get("/_emulator/state").json()["requests"]
    assert requests == {"GET /crm/v8/Leads/{id}": 2, "POST /crm/v8/Leads/upsert": 1}
