"""Phone numbers to E.164 with phonenumbers, the row's country as the default region."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumber, PhoneNumberType
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

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
    # "49 15 71 23 45 67 8": the country code written without its plus, digits grouped at random
    number = _international(text) or _without_plus(text, region)
    if number is None:
        try:
            number = phonenumbers.parse(text, region.upper() if region else None)
        except NumberParseException:
            return PhoneInfo(None)
    if not phonenumbers.is_possible_number(number):
        return PhoneInfo(None)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # number_type is UNKNOWN for a number that is not valid: one pattern walk instead of two.
    number_type = phonenumbers.number_type(number)
    if number_type == PhoneNumberType.UNKNOWN:
        return PhoneInfo(e164, "unknown")
    return PhoneInfo(e164, _TYPES.get(number_type, hint))


def _without_plus(text: str, region: str | None) -> PhoneNumber | None:
    """``text`` read as an international number whose plus was left out: its digits start with the calling code
    of ``region`` (national forms start with a trunk 0 or are shorter) and make a valid number that way."""
    if not region or text.startswith(("+", "0")) or not _DIGITS_AND_SPACES.match(text):
        return None
    code = str(phonenumbers.country_code_for_region(region.upper()))
    if code == "0" or not _NON_DIGIT.sub("", text).startswith(code):
        return None
    try:
        number = phonenumbers.parse("+" + _NON_DIGIT.sub("", text), None)
    except NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


_DIGITS_AND_SPACES = re.compile(r"^[\d\s.\-/]+$")
_INTERNATIONAL = re.compile(r"^\+[\d\s.\-/]+$")
_NON_DIGIT = re.compile(r"\D")


@lru_cache(maxsize=512)
def _national_prefix(code: int) -> re.Pattern[str] | None:
    """What the full parser would strip from the front of a national number of this country (if anything)."""
    region = COUNTRY_CODE_TO_REGION_CODE[code][0]
    metadata = PhoneMetadata.metadata_for_region(region) or PhoneMetadata.metadata_for_nongeo_region(code)
    if metadata is None:
        return re.compile("")  # unknown metadata: always defer to the full parser
    pattern = metadata.national_prefix_for_parsing or metadata.national_prefix
    return re.compile(pattern) if pattern else None


def _international(text: str) -> PhoneNumber | None:
    """``+<country code> <digits>`` read without phonenumbers' general parser (three times faster).

    Country calling codes are prefix-free, so the first 1-3 digits that form a known code are the code. Anything
    the full parser would treat specially (brackets, extensions, letters, a leading national prefix) returns
    ``None`` and the full parser decides.
    """
    if not _INTERNATIONAL.match(text):
        return None
    digits = _NON_DIGIT.sub("", text)
    for length in (1, 2, 3):
        code = int(digits[:length]) if len(digits) > length else 0
        if code in COUNTRY_CODE_TO_REGION_CODE:
            national = digits[length:]
            prefix = _national_prefix(code)
            if (
                not national
                or national[0] == "0"
                or len(national) > 17
                or (prefix is not None and prefix.match(national))
            ):
                return None
            return PhoneNumber(country_code=code, national_number=int(national))
    return None
