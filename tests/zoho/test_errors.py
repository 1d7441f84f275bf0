"""Zoho's error envelope (``{"code", "message", "details", "status"}``) mapped to the typed errors every client
shares, with the payloads of Zoho's API reference."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from leadflow.errors import (
    ApiError,
    AuthError,
    AuthExpired,
    Conflict,
    Duplicate,
    NotFound,
    RateLimited,
    TransientError,
    ValidationFailed,
)
from leadflow.zoho.errors import ZohoErrors, zoho_error
from leadflow.zoho.results import RecordResult

API = "https://www.zohoapis.eu/crm/v8"


def reply(status: int, body: dict[str, Any], url: str = f"{API}/Leads") -> httpx.Response:
    return httpx.Response(status, json=body, request=httpx.Request("POST", url))


def test_duplicate_data_carries_the_record_zoho_already_holds() -> None:
    error = zoho_error(
        reply(
            400,
            {
                "code": "DUPLICATE_DATA",
                "details": {
                    "api_name": "Email",
                    "json_path": "$.data[0].Email",
                    "duplicate_record": {"module": {"api_name": "Leads", "id": "1"}, "id": "5725767000000412001"},
                },
                "message": "duplicate data",
                "status": "error",
            },
        )
    )
    assert isinstance(error, Duplicate)
    assert isinstance(error, Conflict)
    assert (error.existing_id, error.field) == ("5725767000000412001", "Email")


def test_invalid_data_names_the_field_and_what_was_expected() -> None:
    error = zoho_error(
        reply(
            400,
            {
                "code": "INVALID_DATA",
                "details": {
                    "api_name": "Annual_Revenue",
                    "json_path": "$.data[0].Annual_Revenue",
                    "expected_data_type": "double",
                },
                "message": "invalid data",
                "status": "error",
            },
        )
    )
    assert isinstance(error, ValidationFailed)
    assert [str(problem) for problem in error.problems] == ["Annual_Revenue: invalid data (expected double)"]
    assert str(error) == (
        "invalid data (code INVALID_DATA, HTTP 400, api_name Annual_Revenue, json_path $.data[0].Annual_Revenue,"
        " expected_data_type double)"
    )


@pytest.mark.parametrize(
    ("status", "body", "url", "expected"),
    [
        (
            400,
            {
                "code": "INVALID_DATA",
                "details": {"resource_path_index": 1},
                "message": "the related id given seems to be invalid",
                "status": "error",
            },
            f"{API}/Leads/999",
            NotFound,
        ),
        (
            400,
            {
                "code": "INVALID_MODULE",
                "details": {"resource_path_index": 0},
                "message": "the module name given seems to be invalid",
                "status": "error",
            },
            f"{API}/Nope",
            NotFound,
        ),
        (
            404,
            {
                "code": "INVALID_URL_PATTERN",
                "details": {},
                "message": "Please check if the URL trying to access is a correct one",
                "status": "error",
            },
            f"{API}/Leads/x/y/z",
            NotFound,
        ),
        (
            400,
            {
                "code": "MANDATORY_NOT_FOUND",
                "details": {"api_name": "Last_Name"},
                "message": "required field not found",
                "status": "error",
            },
            f"{API}/Leads",
            ValidationFailed,
        ),
        (
            401,
            {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"},
            f"{API}/Leads",
            AuthExpired,
        ),
        (
            401,
            {"code": "OAUTH_SCOPE_MISMATCH", "details": {}, "message": "invalid oauth scope", "status": "error"},
            f"{API}/Leads",
            AuthError,
        ),
        (
            429,
            {"code": "TOO_MANY_REQUESTS", "details": {}, "message": "too many", "status": "error"},
            f"{API}/Leads",
            RateLimited,
        ),
        (
            500,
            {"code": "INTERNAL_ERROR", "details": {}, "message": "internal error", "status": "error"},
            f"{API}/Leads",
            TransientError,
        ),
        (400, {"code": "SOMETHING_NEW", "details": {}, "message": "new", "status": "error"}, f"{API}/Leads", ApiError),
    ],
)
def test_codes_map_to_the_shared_classes(status: int, body: dict[str, Any], url: str, expected: type[ApiError]) -> None:
    error = zoho_error(reply(status, body, url))
    assert type(error) is expected
    assert error.vendor_code == body["code"]


def test_an_unknown_module_is_named_in_a_plain_sentence() -> None:
    body = {
        "code": "INVALID_MODULE",
        "details": {"resource_path_index": 0},
        "message": "the module name given seems to be invalid",
        "status": "error",
    }
    error = zoho_error(reply(400, body, f"{API}/settings/fields?module=Nope"))
    assert str(error).startswith("Zoho has no module 'Nope' in this org: module API names are case-sensitive")
    assert "resource_path_index" not in str(error)
    assert "{" not in str(error)
    assert str(zoho_error(reply(400, body, f"{API}/Nope/search"))).startswith("Zoho has no module 'Nope'")


def test_the_mapper_unwraps_a_proxys_envelope() -> None:
    body = {"output": {"code": "RECORD_NOT_FOUND", "details": {}, "message": "record not found", "status": "error"}}
    error = ZohoErrors(envelope=True, check="[zoho] api_base_url").from_response(reply(404, body))
    assert isinstance(error, NotFound)
    assert error.vendor_code == "RECORD_NOT_FOUND"


def test_a_row_refused_as_duplicate_names_the_record_holding_the_value() -> None:
    item = {
        "code": "DUPLICATE_DATA",
        "details": {
            "api_name": "Email",
            "json_path": "$.data[0].Email",
            "duplicate_record": {"id": "57", "module": {}},
        },
        "message": "duplicate data",
        "status": "error",
    }
    result = RecordResult.from_item(0, item)
    assert not result.ok
    assert result.existing_id == "57"
    assert RecordResult.failed(1, code="INVALID_DATA", message="x", details={"id": "9"}).existing_id is None
