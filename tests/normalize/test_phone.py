from __future__ import annotations

import pytest

from leadflow.normalize.phone import PhoneInfo, normalize_phone


@pytest.mark.parametrize(
    ("raw", "region", "hint", "expected"),
    [
        ("'+91 98113 42484", None, "unknown", PhoneInfo("+919811342484", "mobile")),
        ("+44 20 7946 0958", None, "unknown", PhoneInfo("+442079460958", "fixed")),
        ("020 7946 0958", "GB", "unknown", PhoneInfo("+442079460958", "fixed")),
        ("07911 123456", "GB", "unknown", PhoneInfo("+447911123456", "mobile")),
        ("(650) 253-0000", "US", "fixed", PhoneInfo("+16502530000", "fixed")),
        ("+1 650-253-0000", None, "mobile", PhoneInfo("+16502530000", "mobile")),
        ("+1 650-253-0000", None, "unknown", PhoneInfo("+16502530000", "unknown")),
        ("0049 30 1234567", None, "unknown", PhoneInfo("+49301234567", "fixed")),
        ("+49 (0)30 1234567", None, "unknown", PhoneInfo("+49301234567", "fixed")),
        ("tel:+33 1 42 68 53 00", None, "unknown", PhoneInfo("+33142685300", "fixed")),
        ("650-253-0000", None, "unknown", PhoneInfo(None)),
        ("n/a", "US", "unknown", PhoneInfo(None)),
        ("12", "US", "unknown", PhoneInfo(None)),
        ("", "US", "unknown", PhoneInfo(None)),
        (None, "US", "unknown", PhoneInfo(None)),
    ],
)
def test_normalize_phone(raw: str | None, region: str | None, hint: str, expected: PhoneInfo) -> None:
    assert normalize_phone(raw, region, hint) == expected  # type: ignore[arg-type]
