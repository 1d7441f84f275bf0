"""Validate the GHL emulator's answers against GoHighLevel's official OpenAPI specs (read at run time from
``$LEADFLOW_SPEC_DIR/ghl-openapi/apps`` through ``tests.specs``, never copied into the repo).

``spec_checker()`` returns ``None`` when the folder is missing (behaviour tests then only check the
``traceId``); ``require_specs()`` skips with one line, or fails under ``CI=true``. ``_patch`` lists the known
spec bugs, with a reason each: the places where a spec contradicts GHL's own examples or behaviour.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.specs import GHL_OPENAPI, optional_spec_path, spec_path

BASE = "https://ghl.local/apps/"
# The v2 spec files whose operations the emulator serves (calendars have no spec in the snapshot).
SPEC_FILES = (
    "contacts.json",
    "locations.json",
    "opportunities.json",
    "conversations.json",
    "workflows.json",
    "users.json",
    "oauth.json",
)


def require_specs() -> Path:
    """The spec folder, or skip (fail under ``CI=true``) with one line saying how to enable the checks."""
    return spec_path(*GHL_OPENAPI, "apps")


def _walk(node: Any, visit: Any) -> None:
    if isinstance(node, dict):
        visit(node)
        for value in list(node.values()):
            _walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)


def _openapi_to_jsonschema(node: dict[str, Any]) -> None:
    if node.get("nullable") is True:
        kind = node.get("type")
        if isinstance(kind, str):
            node["type"] = [kind, "null"]
        if "$ref" in node or "allOf" in node:
            node["anyOf"] = [{"type": "null"}, {key: node.pop(key) for key in ("$ref", "allOf") if key in node}]


def _patch(docs: dict[str, dict[str, Any]]) -> None:
    """KNOWN_SPEC_BUGS: each patched to what GHL answers (and what the spec's own examples show)."""
    contacts = docs["contacts.json"]["components"]["schemas"]
    # (1) POST /contacts/search has no response schema in the current spec; the previous snapshot
    #     (contacts.2025-08-11) has it: use that one.
    old = docs["contacts.2025-08-11_030b7de.json"]
    search_ok = old["paths"]["/contacts/search"]["post"]["responses"]["200"]
    docs["contacts.json"]["paths"]["/contacts/search"]["post"]["responses"]["200"] = search_ok
    contacts["SearchContactSuccessResponseDto"] = old["components"]["schemas"]["SearchContactSuccessResponseDto"]
    contacts["Contact"] = copy.deepcopy(old["components"]["schemas"]["Contact"])
    for name in ("CustomFieldSchema", "DndSettingsSchema", "DndSettingSchema", "ContactOpportunity"):
        contacts.setdefault(name, old["components"]["schemas"][name])
    # (2) Contact.searchAfter is typed an array of strings, yet its own example (and GHL) has the sort value
    #     as a number: [1234, "102goXVW3lIExEQPOnd3"].
    contacts["Contact"]["properties"]["searchAfter"] = {"type": "array", "items": {"type": ["string", "number"]}}
    # (3) Custom field values are typed string; number and list fields come back as numbers and arrays
    #     (the create/update DTOs accept them so: NumericField, CheckboxField...).
    contacts["CustomFieldSchema"]["properties"]["value"] = {}
    # (4) Bulk tag update: ``responses`` items are typed strings; the spec's example (and GHL) has objects.
    contacts["UpdateTagsResponseDTO"]["properties"]["responses"]["items"] = {"type": "object"}
    # (5) Pipelines: ``stages`` items are typed arrays; they are objects {id, name, position}.
    pipelines = docs["opportunities.json"]["components"]["schemas"]["PipelinesResponseSchema"]
    pipelines["properties"]["stages"]["items"] = {"type": "object", "required": ["id", "name"]}
    # (6) Opportunity ``indexVersion`` is typed string with the number 1 as example; GHL sends a number.
    opp = docs["opportunities.json"]["components"]["schemas"]["SearchOpportunitiesResponseSchema"]["properties"]
    opp["indexVersion"] = {"type": ["string", "number"]}
    # (7) Opportunity search ``meta``: GHL answers null for nextPage/prevPage/startAfter/startAfterId on the
    #     first and last pages; the spec types them as plain numbers/strings.
    meta = docs["opportunities.json"]["components"]["schemas"]["SearchMetaResponseSchema"]["properties"]
    for name in ("nextPage", "prevPage", "startAfter", "startAfterId", "nextPageUrl"):
        if name in meta:
            meta[name]["nullable"] = True


@dataclass(frozen=True)
class _Operation:
    file: str
    path: str
    method: str
    regex: re.Pattern[str]
    literals: int


class GhlSpecChecker:
    def __init__(self, folder: Path) -> None:
        names = [*SPEC_FILES, "contacts.2025-08-11_030b7de.json"]
        docs = {name: json.loads((folder / name).read_text(encoding="utf-8")) for name in names}
        common = json.loads((folder.parent / "common" / "common-schemas.json").read_text(encoding="utf-8"))
        _patch(docs)
        for document in [*docs.values(), common]:
            _walk(document, _openapi_to_jsonschema)
        resources = [(f"{BASE}{name}", doc) for name, doc in docs.items()]
        resources.append(("https://ghl.local/common/common-schemas.json", common))
        self.registry: Registry[Any] = Registry().with_resources(
            (uri, Resource.from_contents(doc, default_specification=DRAFT202012)) for uri, doc in resources
        )
        self.docs = docs
        self.operations: list[_Operation] = []
        for name in SPEC_FILES:
            for path, item in docs[name]["paths"].items():
                template = path.rstrip("/") or "/"
                regex = re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "/?$")
                literals = sum(1 for part in template.split("/") if part and not part.startswith("{"))
                for method in item:
                    self.operations.append(_Operation(name, path, method.upper(), regex, literals))
        self.operations.sort(key=lambda op: -op.literals)
        self.checked = 0

    def operation(self, method: str, path: str) -> _Operation | None:
        return next((op for op in self.operations if op.method == method and op.regex.match(path)), None)

    def check(self, method: str, path: str, status: int, body: Any) -> None:
        """Raise ``AssertionError`` when ``body`` does not match the spec's schema for this answer."""
        assert isinstance(body, dict), f"{method} {path} {status}: not a JSON object: {body!r}"
        assert "traceId" in body, f"{method} {path} {status}: no traceId in {body!r}"
        op = self.operation(method, path)
        if op is None:
            return
        responses = self.docs[op.file]["paths"][op.path][op.method.lower()]["responses"]
        declared = responses.get(str(status))
        # 403 (another location), 404 (unknown route), 429 and 500 are answered by every route, and 422
        # (whitelist validation) by every route with a body, though few operations list them.
        assert declared is not None or status in (403, 404, 422, 429, 500), (
            f"{method} {path}: status {status} is not among the spec's {sorted(responses)}"
        )
        schema = (declared or {}).get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            return
        pointer = f"/paths/{_escape(op.path)}/{op.method.lower()}/responses/{status}/content/application~1json/schema"
        wrapper = {"$ref": f"{BASE}{op.file}#{pointer}"}
        validator = jsonschema.Draft202012Validator(wrapper, registry=self.registry)
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
        assert not errors, (
            f"{method} {path} {status} does not match the spec: {errors[0].message} at {list(errors[0].path)}"
        )
        self.checked += 1


def _escape(path: str) -> str:
    return path.replace("~", "~0").replace("/", "~1").replace("{", "%7B").replace("}", "%7D")


@cache
def spec_checker() -> GhlSpecChecker | None:
    """The checker when the specs are there (behaviour tests then validate what they see), else None."""
    folder = optional_spec_path(*GHL_OPENAPI, "apps")
    return GhlSpecChecker(folder) if folder is not None else None
