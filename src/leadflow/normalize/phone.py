"""Phone numbers to E.164 with phonenumbers, the row's country as the default region."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from leadflow.normalize.text import clean_cell

PhoneType = Literal["mobile", "fixed", "unknown"]

_TYPES: dict[int, PhoneType] = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed",
    PhoneNumberType.TOLL_FREE: "fixed",
    PhoneNumberType.SHARED_COST: "fixed",
    PhoneNumberType.VOIP: "fixed",
    PhoneNumberType.UAN: "fixed",
}


@dataclass(frozen=True)
class PhoneInfo:
    """E.164 form (``None`` when the input is not a phone number) and its line type."""

    e164: str | None
    type: PhoneType = "unknown"


@lru_cache(maxsize=1_000_000)
def normalize_phone(value: str | None, region: str | None = None, hint: PhoneType = "unknown") -> PhoneInfo:
    """Parse a phone number the way a person wrote it; ``region`` (ISO alpha-2) is used when it has no ``+``.

    ``hint`` is the type the column implies (``Mobile Phone`` -> mobile), used when the numbering plan
    cannot tell (North America, where every number is "fixed line or mobile").

    Example:
        >>> normalize_phone("'+91 98113 42484")
        PhoneInfo(e164='+919811342484', type='mobile')
        >>> normalize_phone("(415) 555-0100", "US", "fixed")
        PhoneInfo(e164='+14155550100', type='fixed')
    """
    text = clean_cell(value)
    if text is None:
        return PhoneInfo(None)
    text = text.removeprefix("tel:").removeprefix("TEL:").strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if not any(ch.isdigit() for ch in text):
        return PhoneInfo(None)
    try:
        number = phonenumbers.parse(text, region.upper() if region else None)
    except NumberParseException:
        return PhoneInfo(None)
    if not phonenumbers.is_possible_number(number):
        return PhoneInfo(None)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not phonenumbers.is_valid_number(number):
        return PhoneInfo(e164, "unknown")
    kind = _TYPES.get(phonenumbers.number_type(number), hint)
    return PhoneInfo(e164, kind)
