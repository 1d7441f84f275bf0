"""Where the API specs are found, and what a missing one does: a skip saying how to enable it, a failure in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.specs import REPO_ROOT, SPEC_DIR_ENV, optional_spec_path, spec_path, spec_root


def test_the_default_is_the_shared_reference_folder_beside_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SPEC_DIR_ENV, raising=False)
    assert spec_root() == REPO_ROOT.parent / "shared" / "reference"


def test_a_configured_folder_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "zoho-crm-oas" / "v8.0").mkdir(parents=True)
    monkeypatch.setenv(SPEC_DIR_ENV, str(tmp_path))
    assert spec_path("zoho-crm-oas", "v8.0") == tmp_path / "zoho-crm-oas" / "v8.0"
    assert optional_spec_path("ghl-openapi") is None


def test_a_missing_spec_skips_with_how_to_enable_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(SPEC_DIR_ENV, str(tmp_path / "nowhere"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=f"set {SPEC_DIR_ENV} to the folder holding the reference specs"):
        spec_path("ghl-openapi")


def test_a_missing_spec_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(SPEC_DIR_ENV, str(tmp_path / "nowhere"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="API spec not found"):
        spec_path("ghl-openapi")
