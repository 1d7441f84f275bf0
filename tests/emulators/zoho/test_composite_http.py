"""Composite requests over HTTP (answers checked against Zoho's OAS): references, credits, parallel
independent sub-requests, rollback_on_fail, and the limits and errors Zoho documents."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from leadflow_emulators.zoho.models import ZohoBackend


def _composite(api: TestClient, subs: list[dict[str, Any]], **options: Any) -> Any:
    return api.post("/crm/v8/__composite_requests", json={"__composite_requests": subs, **options})


def test_a_later_sub_request_uses_an_earlier_answer_and_credits_add_up(api: TestClient, backend: ZohoBackend) -> None:
    before = backend.credits.used()
    reply = _composite(
        api,
        [
            {
                "sub_request_id": "lead",
                "method": "POST",
                "uri": "/crm/v8/Leads",
                "body": {"data": [{"Last_Name": "Comp"}]},
            },
            {
                "sub_request_id": "note",
                "method": "POST",
                "uri": "/crm/v8/Notes",
                "body": {
                    "data": [
                        {
                            "Note_Content": "made in one call",
                            "Parent_Id": {"module": {"api_name": "Leads"}, "id": "@{lead:$.data[0].details.id}"},
                        }
                    ]
                },
            },
            {"method": "GET", "uri": "/crm/v8/Leads/@{lead:$.data[0].details.id}/Notes", "params": {"per_page": 10}},
        ],
    )
    assert reply.status_code == 200
    first, second, third = reply.json()["__composite_requests"]
    assert first["details"]["response"]["status_code"] == 201
    lead_id = first["details"]["response"]["body"]["data"][0]["details"]["id"]
    assert second["details"]["response"]["status_code"] == 201
    notes = third["details"]["response"]["body"]["data"]
    assert [note["Parent_Id"]["id"] for note in notes] == [lead_id]
    assert backend.credits.used() - before == 3  # the sum of the sub-requests' credits


def test_rollback_on_fail_undoes_earlier_sub_requests(api: TestClient, backend: ZohoBackend) -> None:
    reply = _composite(
        api,
        [
            {"method": "POST", "uri": "/crm/v8/Leads", "body": {"data": [{"Last_Name": "Undone"}]}},
            {"method": "POST", "uri": "/crm/v8/Leads", "body": {"data": [{"First_Name": "no last name"}]}},
            {"method": "POST", "uri": "/crm/v8/Leads", "body": {"data": [{"Last_Name": "Never"}]}},
        ],
        rollback_on_fail=True,
    )
    assert reply.status_code == 207
    codes = [item["code"] for item in reply.json()["__composite_requests"]]
    assert codes == ["ROLLBACK_PERFORMED", "SUCCESS", "PROCESSING_STOPPED"]
    assert reply.json()["__composite_requests"][0]["details"] == {"rollbacked_by_sub_request_index": 1}
    assert backend.find("Leads", "Last_Name", "Undone") == []
    assert backend.find("Leads", "Last_Name", "Never") == []


def test_without_rollback_a_failure_leaves_the_rest(api: TestClient, backend: ZohoBackend) -> None:
    reply = _composite(
        api,
        [
            {"method": "POST", "uri": "/crm/v8/Leads", "body": {"data": [{"Last_Name": "Kept"}]}},
            {"method": "GET", "uri": "/crm/v8/Nowhere"},
        ],
    )
    assert reply.status_code == 207
    statuses = [item["details"]["response"]["status_code"] for item in reply.json()["__composite_requests"]]
    assert statuses == [201, 400]
    assert len(backend.find("Leads", "Last_Name", "Kept")) == 1


def test_composite_limits_and_errors(api: TestClient) -> None:
    six = [{"method": "GET", "uri": "/crm/v8/org"}] * 6
    over = _composite(api, six)
    assert over.status_code == 400
    assert over.json()["details"] == {
        "api_name": "__composite_requests",
        "json_path": "$.__composite_requests",
        "maximum_length": 5,
    }
    later = _composite(
        api,
        [
            {"method": "GET", "uri": "/crm/v8/Leads/@{b:$.data[0].id}"},
            {"sub_request_id": "b", "method": "GET", "uri": "/crm/v8/org"},
        ],
    )
    assert (later.json()["code"], later.json()["details"]["reference"]) == ("INVALID_REFERENCE", "b")
    both = _composite(api, [{"method": "GET", "uri": "/crm/v8/org"}], rollback_on_fail=True, parallel_execution=True)
    assert both.json()["code"] == "NOT_SUPPORTED"
    assert _composite(api, [{"method": "GET", "uri": "/other/v8/org"}]).json()["details"]["api_name"] == "uri"
    twice = _composite(
        api,
        [
            {"sub_request_id": "a", "method": "GET", "uri": "/crm/v8/org"},
            {"sub_request_id": "a", "method": "GET", "uri": "/crm/v8/org"},
        ],
    )
    assert twice.json()["details"]["sub_request_indexes"] == [0, 1]
    headers = _composite(api, [{"method": "GET", "uri": "/crm/v8/org", "headers": {"Authorization": "x"}}])
    assert headers.json()["details"]["restricted_headers"] == ["Authorization"]


def test_independent_sub_requests_run_together_and_answer_in_order(api: TestClient, backend: ZohoBackend) -> None:
    reply = _composite(
        api,
        [{"method": "POST", "uri": "/crm/v8/Leads", "body": {"data": [{"Last_Name": f"Par{i}"}]}} for i in range(3)]
        + [{"method": "GET", "uri": "/crm/v8/org"}],
        parallel_execution=True,
    )
    assert reply.status_code == 200
    answers = reply.json()["__composite_requests"]
    assert [answer["details"]["response"]["status_code"] for answer in answers] == [201, 201, 201, 200]
    created = [answer["details"]["response"]["body"]["data"][0]["details"]["id"] for answer in answers[:3]]
    assert [backend.get_record("Leads", record_id)["Last_Name"] for record_id in created] == ["Par0", "Par1", "Par2"]  # type: ignore[index]
