from __future__ import annotations

import io
import json
import logging

import pytest
from pydantic import SecretStr

from leadflow.log import REDACTED, configure_logging, get_logger, redactor


@pytest.fixture
def stream() -> io.StringIO:
    return io.StringIO()


@pytest.mark.parametrize("json_output", [True, False])
def test_secret_keys_and_values_are_redacted(stream: io.StringIO, json_output: bool) -> None:
    configure_logging(level="debug", json_output=json_output, stream=stream)
    redactor.register(SecretStr("registered-secret-value"))
    log = get_logger("test")
    log.info(
        "token refreshed",
        refresh_token="1000.abcdef.refresh",
        client_secret=SecretStr("client-secret-value"),
        headers={"Authorization": "Zoho-oauthtoken 1000.access.abc"},
        url="https://accounts.zoho.com/oauth/v2/token?refresh_token=1000.qs.secret&grant_type=refresh_token",
        note="the value registered-secret-value leaked into text",
        body='{"access_token": "1000.body.secret", "expires_in": 3600}',
        api_domain="https://www.zohoapis.com",
    )
    output = stream.getvalue()
    for leaked in (
        "1000.abcdef.refresh",
        "client-secret-value",
        "1000.access.abc",
        "1000.qs.secret",
        "registered-secret-value",
        "1000.body.secret",
    ):
        assert leaked not in output
    assert REDACTED in output
    assert "https://www.zohoapis.com" in output
    assert "grant_type=refresh_token" in output


def test_json_output_is_one_object_per_line(stream: io.StringIO) -> None:
    configure_logging(level="info", json_output=True, stream=stream)
    get_logger("x").info("hello", count=3)
    event = json.loads(stream.getvalue().strip())
    assert event["event"] == "hello"
    assert event["count"] == 3
    assert event["level"] == "info"


def test_non_tty_defaults_to_json(stream: io.StringIO) -> None:
    configure_logging(level="info", json_output=None, stream=stream)
    get_logger().info("plain")
    assert json.loads(stream.getvalue())["event"] == "plain"


def test_stdlib_records_are_scrubbed(stream: io.StringIO) -> None:
    configure_logging(level="info", json_output=False, stream=stream)
    logging.getLogger("httpx").warning("POST /oauth/v2/token?client_secret=abc123xyz failed")
    assert "abc123xyz" not in stream.getvalue()


def test_debug_is_filtered_at_info(stream: io.StringIO) -> None:
    configure_logging(level="info", json_output=True, stream=stream)
    get_logger().debug("hidden")
    assert stream.getvalue() == ""
