"""Where the tests find the public API specs (Zoho's OpenAPI description, GHL's OpenAPI specs and webhook docs).

The specs are not in the repository. They are read from ``LEADFLOW_SPEC_DIR`` or, by default, from
``../shared/reference`` beside the repository root. A test that validates against a spec asks for it with
``spec_path("zoho-crm-oas", "v8.0")``: when the folder or file is missing, the test is skipped with one
line saying how to enable it, except under ``CI=true``, where a missing spec fails the test. Behaviour
tests that also validate what they see when a spec is there use ``optional_spec_path`` instead, and run
either way.

Example:
    >>> spec_root().name
    'reference'
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SPEC_DIR_ENV = "LEADFLOW_SPEC_DIR"
REPO_ROOT = Path(__file__).resolve().parents[1]
ZOHO_OAS = ("zoho-crm-oas", "v8.0")
GHL_OPENAPI = ("ghl-openapi",)


def spec_root() -> Path:
    """``$LEADFLOW_SPEC_DIR``, or ``<repo root>/../shared/reference``."""
    configured = os.environ.get(SPEC_DIR_ENV)
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "reference"


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def optional_spec_path(*parts: str) -> Path | None:
    """The spec file or folder under the spec root, or None when it is not there."""
    path = spec_root().joinpath(*parts)
    return path if path.exists() else None


def missing_spec_message(*parts: str) -> str:
    path = spec_root().joinpath(*parts)
    return (
        f"API spec not found at {path}: set {SPEC_DIR_ENV} to the folder holding the reference specs "
        f"(default ../shared/reference beside the repository) to run the spec validation tests"
    )


def spec_path(*parts: str) -> Path:
    """The spec file or folder under the spec root; skips the test when it is missing (fails under CI=true)."""
    path = optional_spec_path(*parts)
    if path is None:
        message = missing_spec_message(*parts)
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return path
