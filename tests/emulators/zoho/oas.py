"""Validate emulator responses against Zoho's official OpenAPI description (read at run time, never copied).

The spec is OpenAPI 3.0: ``nullable`` is turned into JSON Schema's ``null`` type, and its ``$ref``s between
files are resolved with ``referencing``. ``KNOWN_SPEC_BUGS`` lists, with a reason each, the places where
the spec contradicts Zoho's documented behaviour; they are patched before validating.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE = "https://oas.local/v8.0/"
# Operations the emulator implements, by spec file (most specific files first).
SPEC_FILES = (
    "send_mail.json",
    "from_addresses.json",
    "email_related_records.json",
    "attachments.json",
    "find_and_merge.json",
    "composite_requests.json",
    "notifications.json",
    "related_lists.json",
    "pipeline.json",
    "notes.json",
    "related_records.json",
    "convert_lead.json",
    "tags.json",
    "module_search.json",
    "fields.json",
    "modules.json",
    "layouts.json",
    "users.json",
    "org.json",
    "record.json",
)
_NOT_IN_SPEC = ("/crm/v8/coql", "/crm/v8/upload", "/crm/bulk/")


def _walk(node: Any, visit: Callable[[dict[str, Any]], None]) -> None:
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)


def _openapi_to_jsonschema(node: dict[str, Any]) -> None:
    if node.get("nullable") is True:
        kind = node.get("type")
        if isinstance(kind, str):
            node["type"] = [kind, "null"]
        if "enum" in node and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
        if "$ref" in node or "oneOf" in node:
            node["anyOf"] = [{"type": "null"}, {key: node.pop(key) for key in ("$ref", "oneOf") if key in node}]
    # Known spec bug (1): responses are written as ``oneOf`` of schemas without ``required`` or
    # ``additionalProperties: false`` (e.g. Response_Wrapper and API_Exception), so every body matches more
    # than one branch and ``oneOf`` can never pass. ``anyOf`` is what the spec means.
    if "oneOf" in node:
        node["anyOf"] = node.pop("oneOf")


def _patch(documents: dict[str, dict[str, Any]]) -> None:
    """Known spec bugs, each contradicted by Zoho's documentation or Zoho's own SDK."""
    record = documents["record.json"]["components"]["schemas"]
    exception = record["API_Exception"]["properties"]
    # (2) Zoho returns ``maximum_length`` as a number (e.g. 80); the spec types it as a string.
    exception["details"]["properties"]["maximum_length"] = {"type": ["integer", "string"]}
    # (3) The code and message enums of API_Exception omit codes Zoho documents for these endpoints
    #     (concurrency limits, pagination limits, If-Unmodified-Since, scope errors).
    exception["code"]["enum"] += [
        "TOO_MANY_REQUESTS",
        "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
        "PAGINATION_LIMIT_EXCEEDED",
        "ALREADY_MODIFIED",
        "INVALID_QUERY",
        "CRITERIA_LIMIT_EXCEEDED",
    ]
    exception["message"].pop("enum")  # free text: Zoho's messages vary by field and limit
    # (4) ``Record.Tag`` points at the settings Tag (created_time, color_code... required); on a record
    #     Zoho returns only ``{"name", "id"}`` (the SDK's own record Tag model has just those).
    record["Record"]["properties"]["Tag"] = {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["name", "id"],
            "properties": {"name": {"type": "string"}, "id": {"type": "string"}},
        },
    }
    # (5) GET records caps ``data`` below ``per_page``'s documented maximum of 200 (README of the snapshot).
    _walk(record, lambda node: node.update(maxItems=200) if node.get("maxItems") == 100 else None)
    # (10) The metadata schemas (modules, fields, layouts and their sections) mark every property they
    #      list as required (layouts, related_lists, custom_view, blueprint_supported, file_upolad_optionlist,
    #      ...), although Zoho's own answers and the SDK's models leave most of them out.
    for name, schemas in (
        ("modules.json", ("modules", "fields")),
        ("fields.json", ("fields",)),
        ("layouts.json", ("layouts", "sections", "fields")),
    ):
        for schema in schemas:
            documents[name]["components"]["schemas"][schema].pop("required", None)
    # (11) The ``users`` schema was written from one example: e-mail addresses must match
    #      ``[a-z0-9]{9}@[a-z0-9]{5}.com``, ``time_zone`` is an object and ``date_format`` an enum of one value.
    user = documents["users.json"]["components"]["schemas"]["users"]["properties"]
    user["email"].pop("pattern", None)
    user["time_zone"] = {"type": ["string", "object", "null"]}
    user["date_format"].pop("enum", None)
    # (13) Search: the spec's message names a limit of 15 criteria; Zoho's documentation (and so the
    #      emulator) allows 10, and the message carries the limit.
    search = documents["module_search.json"]["components"]["schemas"]
    search["Max_criteria"]["properties"]["message"].pop("enum")
    # (14) Creating a field whose label exists answers DUPLICATE_DATA (api_name + json_path), which the
    #      create-field error schemas leave out.
    documents["fields.json"]["components"]["schemas"]["InvalidValueError"]["properties"]["code"]["enum"].append(
        "DUPLICATE_DATA"
    )
    # (15) Record count: the spec types ``count`` as a string; Zoho returns a number (the SDK's CountWrapper
    #      refuses anything but an int).
    count_op = documents["record.json"]["paths"]["/crm/v8/{module_api_name}/actions/count"]["get"]
    count_schema = count_op["responses"]["200"]["content"]["application/json"]["schema"]["oneOf"][0]
    count_schema["properties"]["count"] = {"type": "integer"}
    # (6) Convert: ``Deals`` is null when no deal is created, ``Accounts`` when the lead has no company
    #     (the SDK's SuccessfulConvert allows None for both).
    convert = documents["convert_lead.json"]["components"]["schemas"]["Successful_Convert"]
    for name in ("Deals", "Accounts"):
        convert["properties"][name] = {"anyOf": [{"type": "null"}, convert["properties"][name]]}
    # (16) Notifications: ``channel_id`` is a long (Zoho's docs; the SDK's Notification model has an int,
    #      GET answers with a string) where the spec says "object"; ``notify_url`` carries a pattern
    #      copied from one example host (``www.xxxxxzoho.com``).
    notification = documents["notifications.json"]["components"]["schemas"]["Notification"]["properties"]
    notification["channel_id"] = {"type": ["string", "integer"]}
    notification["notify_url"].pop("pattern")
    # (17) Notes' ``info`` types the page tokens as non-null strings; GET Notes answers like GET records,
    #      with null tokens when there is no next or previous page (record.json's Info allows them).
    notes_info = documents["notes.json"]["components"]["schemas"]["Info"]["properties"]
    for key in ("next_page_token", "previous_page_token", "page_token_expiry", "sort_by", "sort_order"):
        notes_info[key]["nullable"] = True
    # (18) Composite requests: the 200 and 207 answers are documented without a schema; their items are
    #      the file's own ``success`` (a sub-request's answer) and ``error`` (rolled back, not processed).
    composite = documents["composite_requests.json"]["components"]
    answers = {
        "type": "object",
        "required": ["__composite_requests"],
        "properties": {
            "__composite_requests": {
                "type": "array",
                "maxItems": 5,
                "items": {"anyOf": [{"$ref": "#/components/schemas/success"}, {"$ref": "#/components/schemas/error"}]},
            }
        },
    }
    for name in ("SuccessResponse", "MixedResponse"):
        composite["responses"][name]["content"]["application/json"]["schema"] = answers
    # (19) Attachments: Zoho answers a file over 20 MB with FILE_SIZE_MORE_THAN_ALLOWED_SIZE (documented on
    #      the upload-attachment page), which the file's error enum leaves out.
    attachment_error = documents["attachments.json"]["components"]["schemas"]["error"]["properties"]["code"]
    attachment_error["enum"].append("FILE_SIZE_MORE_THAN_ALLOWED_SIZE")
    # (20) From addresses: the e-mail pattern was written from one example (``xxxxxxx@zoho.com``).
    documents["from_addresses.json"]["components"]["schemas"]["address"]["properties"]["email"].pop("pattern")
    # (21) Field metadata: Zoho sends null for properties a field does not have (``"private": null``,
    #      ``"crypt": null``, ``"tooltip": null``... in the samples of its fields documentation); the spec
    #      types them as non-null objects or strings.
    for name, schema in (("fields.json", "fields"), ("modules.json", "fields"), ("layouts.json", "fields")):
        properties = documents[name]["components"]["schemas"][schema]["properties"]
        for key in (
            "association_details",
            "crypt",
            "external",
            "history_tracking",
            "private",
            "quick_sequence_number",
            "textarea",
            "tooltip",
        ):
            if key in properties:
                properties[key]["nullable"] = True
    # (7) Success messages of write endpoints: "tags updated successfully" etc. are listed per file, but
    #     record Success_Response's message enum omits messages of actions it is shared with.
    record["Success_Response"]["properties"]["message"].pop("enum")


@dataclass(frozen=True)
class Operation:
    file: str
    path: str
    method: str
    regex: re.Pattern[str]
    literal_segments: int


class OpenApiChecker:
    """Finds the operation for a request and validates the response body against its schema."""

    def __init__(self, spec_dir: Path) -> None:
        # Every file: the operations' schemas point into one another.
        documents = {path.name: json.loads(path.read_text(encoding="utf-8")) for path in spec_dir.glob("*.json")}
        _patch(documents)
        for document in documents.values():
            _walk(document, _openapi_to_jsonschema)
        self.documents = documents
        self.registry: Registry[Any] = Registry().with_resources(
            (BASE + name, Resource.from_contents(document, default_specification=DRAFT202012))
            for name, document in documents.items()
        )
        self.operations: list[Operation] = []
        for name in SPEC_FILES:
            for path, item in documents[name].get("paths", {}).items():
                pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"
                literal = sum(1 for part in path.split("/") if part and not part.startswith("{"))
                for method in item:
                    if method in ("get", "post", "put", "delete", "patch"):
                        self.operations.append(Operation(name, path, method, re.compile(pattern), literal))

    def operation(self, method: str, path: str) -> Operation | None:
        path = re.sub(r"^/crm/v[0-9.]+/", "/crm/v8/", path)
        matches = [op for op in self.operations if op.method == method.lower() and op.regex.match(path)]
        return max(matches, key=lambda op: op.literal_segments) if matches else None

    def _responses(self, op: Operation) -> dict[str, Any]:
        responses: dict[str, Any] = self.documents[op.file]["paths"][op.path][op.method]["responses"]
        return responses

    def _schema_ref(self, op: Operation, status: int) -> str | None:
        """A ``$ref`` URI to the JSON schema of the documented response for ``status``."""
        responses = self.documents[op.file]["paths"][op.path][op.method]["responses"]
        # Known spec bug (8): most write operations document only "200", while Zoho answers 201 (created),
        # 202, 207 (mixed) and 400 (all failed) with the same bodies; fall back to "200" then.
        # Notes document their all-failed batch answer under "202" (Zoho answers it with 400).
        order = (str(status), "400", "202", "200", "201") if status >= 400 else (str(status), "200", "201", "400")
        key = next((key for key in order if key in responses), None)
        if key is None:
            return None
        escaped_path = op.path.replace("~", "~0").replace("/", "~1")
        pointer = f"/paths/{quote(escaped_path)}/{op.method}/responses/{key}"
        response = responses[key]
        if "$ref" in response:
            pointer = response["$ref"].lstrip("#")
            response = self.registry.resolver(BASE + op.file).lookup(response["$ref"]).contents
        if "application/json" not in response.get("content", {}):
            return None
        return f"{BASE}{op.file}#{pointer}/content/application~1json/schema"

    def check(self, method: str, path: str, status: int, body: Any) -> Operation:
        """Raise ``jsonschema.ValidationError`` when ``body`` breaks the spec; returns the operation used."""
        op = self.operation(method, path)
        assert op is not None, f"no operation in the spec for {method} {path}"
        if status == 207 and isinstance(body, dict) and len(body) == 1:
            # Known spec bug (9): no operation documents 207 (a batch with successes and failures); Zoho's
            # item shapes are those of the 200/201 and 400 answers, so each part is checked against its own.
            [(key, items)] = body.items()
            ok = [item for item in items if item.get("status") == "success"]
            failed = [item for item in items if item.get("status") != "success"]
            self.check(method, path, 201 if "201" in self._responses(op) else 200, {key: ok})
            self.check(method, path, 400, {key: failed})
            return op
        ref = self._schema_ref(op, status)
        responses = self._responses(op)
        request_level = isinstance(body, dict) and "code" in body and "status" in body
        if status in (401, 429, 500) or (
            status >= 400 and request_level and "400" not in responses and str(status) not in responses
        ):
            # Known spec bug (12): request-level auth, throttling, credit and server errors (INVALID_TOKEN,
            # OAUTH_SCOPE_MISMATCH, TOO_MANY_REQUESTS, LIMIT_EXCEEDED, INTERNAL_ERROR) are not documented
            # per operation; they share the generic API_Exception shape.
            ref = f"{BASE}record.json#/components/schemas/API_Exception"
        assert ref is not None, f"no JSON response documented for {method} {op.path} {status}"
        validator = jsonschema.Draft202012Validator({"$ref": ref}, registry=self.registry)
        validator.validate(body)
        return op


@cache
def checker(spec_dir: str) -> OpenApiChecker:
    return OpenApiChecker(Path(spec_dir))


def in_spec(path: str) -> bool:
    # REST API functions (/crm/{version}/functions/...) are not described in the OAS snapshot either.
    return (
        path.startswith("/crm/")
        and not any(path.startswith(prefix) for prefix in _NOT_IN_SPEC)
        and "/functions/" not in path
    )
