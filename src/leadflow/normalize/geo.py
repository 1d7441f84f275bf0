"""Country names to ISO 3166 alpha-2 codes, from phonenumbers' bundled region names (several languages)."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers.geodata.locale import LOCALE_DATA

from leadflow.normalize.text import match_token_string

# Common ways exports write a country that are not a region's name in phonenumbers' tables.
ALIASES = {
    "usa": "US",
    "us": "US",
    "u s": "US",
    "u s a": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "u k": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "uae": "AE",
    "u a e": "AE",
    "south korea": "KR",
    "korea": "KR",
    "republic of korea": "KR",
    "czech republic": "CZ",
    "czechia": "CZ",
    "russia": "RU",
    "russian federation": "RU",
    "holland": "NL",
    "the netherlands": "NL",
    "turkiye": "TR",
    "ivory coast": "CI",
    "hong kong sar": "HK",
    "vietnam": "VN",
    "viet nam": "VN",
    "taiwan": "TW",
    "macau": "MO",
    "deutschland": "DE",
}


# Languages whose country names exports are likely to use ("aa" holds the English name).
_LANGUAGES = frozenset({"aa", "en", "de", "fr", "es", "it", "nl", "pt", "sv", "da", "no", "fi", "pl", "id", "ms"})


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    table: dict[str, str] = {}
    for region, names in LOCALE_DATA.items():
        if len(region) != 2 or not region.isalpha():
            continue
        for language, value in names.items():
            if language not in _LANGUAGES:
                continue
            text = value
            hops = 0
            while text.startswith("*") and hops < 5:  # a reference to another language's entry
                text = names.get(text[1:], "")
                hops += 1
            if text.startswith("*"):
                continue
            key = match_token_string(text)
            if key:
                table.setdefault(key, region)
    for region in phonenumbers.SUPPORTED_REGIONS:
        table.setdefault(region.lower(), region)
    table.update(ALIASES)
    return table


@lru_cache(maxsize=10_000)
def country_code(value: str | None) -> str | None:
    """ISO 3166 alpha-2 code of a country name or code; ``None`` when it is not recognized.

    Example:
        >>> country_code("United States")
        'US'
        >>> country_code("Deutschland")
        'DE'
        >>> country_code("in")
        'IN'
    """
    if value is None:
        return None
    key = match_token_string(value)
    if not key:
        return None
    code = _names().get(key)
    if code is None and key.startswith("the "):
        code = _names().get(key[4:])
    return code


@lru_cache(maxsize=50_000)
def country_from_location(value: str | None) -> str | None:
    """Country code of a free-text location as LinkedIn writes it (``City, Region, Country``).

    Example:
        >>> country_from_location("Berlin, Berlin, Germany")
        'DE'
        >>> country_from_location("Greater London") is None
        True
    """
    if not value:
        return None
    parts = [p.strip() for p in value.split(",") if p.strip()]
    for candidate in (parts[-1] if parts else "", value):
        code = country_code(candidate)
        if code:
            return code
    return None


@lru_cache(maxsize=50_000)
def city_from_location(value: str | None) -> str | None:
    """The city of a ``City, Region, Country`` location; ``None`` when the text is not in that form.

    Example:
        >>> city_from_location("Paris, Île-de-France, France")
        'Paris'
    """
    if not value:
        return None
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if len(parts) < 2 or country_code(parts[0]):
        return None
    return parts[0]
