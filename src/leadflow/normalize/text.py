"""Cell-level clean-up shared by every normalizer: Excel guards, formulas, emoji, ASCII match keys."""

from __future__ import annotations

import re
import unicodedata

_HYPERLINK = re.compile(r'^=\s*HYPERLINK\(\s*"([^"]*)"\s*(?:[,;]\s*"([^"]*)"\s*)?\)$', re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Symbols and marks that decorate names and company names in exports: emoji, pictographs, dingbats,
# check marks, stars, variation selectors and zero-width joiners.
_DECORATION_CATEGORIES = {"So", "Sk", "Cs", "Co", "Cn", "Cf", "Cc"}


def clean_cell(value: str | None) -> str | None:
    """Trim a raw cell; drop the Excel text guard (leading ``'``); unwrap ``=HYPERLINK("url", "label")``.

    Returns ``None`` for empty cells.

    Example:
        >>> clean_cell("  '+91 98113 42484 ")
        '+91 98113 42484'
        >>> clean_cell('=HYPERLINK("https://acme.com","Acme")')
        'https://acme.com'
    """
    if value is None:
        return None
    text = _CONTROL.sub("", value).strip()
    if text.startswith("'"):
        text = text[1:].strip()
    match = _HYPERLINK.match(text)
    if match:
        text = match.group(1).strip()
    return text or None


def hyperlink_label(value: str) -> str | None:
    """The label of an ``=HYPERLINK(url, label)`` cell, if it has one.

    Example:
        >>> hyperlink_label('=HYPERLINK("https://x.io", "X Inc")')
        'X Inc'
    """
    match = _HYPERLINK.match(value.strip())
    return match.group(2) if match and match.group(2) else None


def strip_decorations(value: str) -> str:
    """Remove emoji, pictographs and invisible formatting characters; collapse whitespace.

    Example:
        >>> strip_decorations("Jane 🚀  Doe ✔")
        'Jane Doe'
    """
    text = unicodedata.normalize("NFC", value)
    kept = [ch for ch in text if unicodedata.category(ch) not in _DECORATION_CATEGORIES]
    return _WHITESPACE.sub(" ", "".join(kept)).strip()


def ascii_fold(value: str) -> str:
    """Lower-case ASCII transliteration by Unicode decomposition (accents dropped, others kept as-is).

    Example:
        >>> ascii_fold("Zoë Ångström")
        'zoe angstrom'
    """
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Letters with no decomposition that are common in European names.
    stripped = stripped.translate(_EXTRA_FOLDS)
    return stripped.lower()


_EXTRA_FOLDS = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "œ": "oe", "Œ": "OE"}
)

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def match_token_string(value: str) -> str:
    """ASCII-folded, lower-case words separated by single spaces; everything else removed.

    Example:
        >>> match_token_string("O'Brien-Smith & Co.")
        'o brien smith co'
    """
    return _NON_ALNUM.sub(" ", ascii_fold(value)).strip()
