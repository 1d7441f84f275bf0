from __future__ import annotations

import pytest

from leadflow.normalize.geo import country_code
from leadflow.normalize.text import clean_cell
from leadflow.normalize.values import parse_amount, parse_bool, parse_int, split_list


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("FALSE", False), ("Yes", True), ("0", False), ("", None), ("maybe", None), (None, None)],
)
def test_parse_bool(raw: str | None, expected: bool | None) -> None:
    assert parse_bool(raw) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("120", 120), ("1,200", 1200), ("51-200", 51), ("10001+", 10001), ("12.0", 12), ("n/a", None), ("", None)],
)
def test_parse_int(raw: str, expected: int | None) -> None:
    assert parse_int(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1200000", 1_200_000.0), ("$1.2M", 1_200_000.0), ("€ 3.5bn", 3_500_000_000.0), ("250K", 250_000.0), ("x", None)],
)
def test_parse_amount(raw: str, expected: float | None) -> None:
    assert parse_amount(raw) == expected


def test_split_list() -> None:
    assert split_list("Salesforce, HubSpot,  Google Analytics,Salesforce") == [
        "Salesforce",
        "HubSpot",
        "Google Analytics",
    ]
    assert split_list(None) == []


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("United States", "US"),
        ("USA", "US"),
        ("United Kingdom", "GB"),
        ("UK", "GB"),
        ("Germany", "DE"),
        ("Deutschland", "DE"),
        ("India", "IN"),
        ("United Arab Emirates", "AE"),
        ("fr", "FR"),
        ("Narnia", None),
        ("", None),
    ],
)
def test_country_code(raw: str, code: str | None) -> None:
    assert country_code(raw) == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  x ", "x"),
        ("'+1 650 253 0000", "+1 650 253 0000"),
        ('=HYPERLINK("https://a.io","A")', "https://a.io"),
        ("=1+2", "=1+2"),
        ("   ", None),
    ],
)
def test_clean_cell(raw: str, expected: str | None) -> None:
    assert clean_cell(raw) == expected
