"""Validate webhook bodies against the JSON schemas in GHL's webhook event docs
(``ghl-openapi/docs/webhook events/<Type>.md``, read at run time through ``tests.specs``).

Each doc holds one ```` ```json json_schema ```` block (the message events hold two: the first is the
payload). ``webhook_checker()`` is None when the docs are missing.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from tests.specs import GHL_OPENAPI, optional_spec_path

_SCHEMA_BLOCK = re.compile(r"```json json_schema\n(.*?)\n```", re.S)


class WebhookDocChecker:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.checked: list[str] = []

    @cache  # noqa: B019 - one checker per test session
    def schema(self, event_type: str) -> dict[str, Any]:
        text = (self.folder / f"{event_type}.md").read_text(encoding="utf-8")
        match = _SCHEMA_BLOCK.search(text)
        assert match is not None, f"no json_schema block in {event_type}.md"
        schema: dict[str, Any] = json.loads(match.group(1))
        return schema

    def check(self, body: dict[str, Any]) -> None:
        """AssertionError when the body does not match its event's documented schema."""
        for key in ("type", "locationId", "timestamp", "webhookId"):
            assert key in body, f"webhook body without {key}: {body}"
        errors = list(jsonschema.Draft7Validator(self.schema(body["type"])).iter_errors(body))
        assert not errors, f"{body['type']} does not match its doc: {errors[0].message} at {list(errors[0].path)}"
        self.checked.append(body["type"])


@cache
def webhook_checker() -> WebhookDocChecker | None:
    folder = optional_spec_path(*GHL_OPENAPI, "docs", "webhook events")
    return WebhookDocChecker(folder) if folder is not None else None
