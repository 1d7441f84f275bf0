"""The browser tests' guard: one clear line when Chromium is missing, a failure instead under CI=true."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web import live


def test_a_missing_chromium_skips_with_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(live, "CHROMIUM", tmp_path / "chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"^browser tests skipped: .*/chromium is missing \(apt-get"):
        live.require_browser()


def test_a_missing_chromium_fails_under_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(live, "CHROMIUM", tmp_path / "chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="browser tests need Chromium"):
        live.require_browser()
