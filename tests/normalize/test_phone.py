from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType

from leadflow.normalize.phone import _TYPES, PhoneInfo, PhoneType, normalize_phone


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


@settings(max_examples=500, deadline=None)
@given(
    st.from_regex(r"\+[1-9][0-9]{0,2}[ ]?(\(0\))?[ ]?[0-9]{1,4}([ .\-]?[0-9]{2,4}){1,3}", fullmatch=True),
    st.sampled_from(["unknown", "mobile", "fixed"]),
)
def test_fast_international_path_agrees_with_the_full_parser(text: str, hint: PhoneType) -> None:
    expected = PhoneInfo(None)
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_possible_number(number):
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        kind = phonenumbers.number_type(number)
        expected = PhoneInfo(e164, "unknown" if kind == PhoneNumberType.UNKNOWN else _TYPES.get(kind, hint))
    assert normalize_phone(text, None, hint) == expected


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("49 15 71 23 45 67 8", "DE", "+4915712345678"),  # country code without its plus, digits in pairs
        ("44 74 33 38 65 75", "GB", "+447433386575"),
        ("1 415 205 2577", "US", "+14152052577"),
        ("0151 58234515", "DE", "+4915158234515"),  # a national form keeps its meaning
        ("9198113424", "IN", "+919198113424"),  # a national number that starts like the calling code
    ],
)
def test_oddly_grouped_numbers_parse(raw: str, region: str, expected: str) -> None:
    assert normalize_phone(raw, region).e164 == expected
