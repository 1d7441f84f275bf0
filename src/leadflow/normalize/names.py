"""Person names: display forms without honorifics, credentials and decorations; ASCII match keys.

The nickname table (``nicknames`` package) is used only for the first-name match key, never for display.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from importlib import resources

from nicknames import NickNamer

from leadflow.normalize.one_edit import OneEditIndex
from leadflow.normalize.text import ascii_fold, clean_cell, strip_decorations

HONORIFICS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "professor",
        "sir",
        "dame",
        "lady",
        "lord",
        "rev",
        "reverend",
        "fr",
        "herr",
        "frau",
        "hr",
        "fru",
        "mme",
        "mlle",
        "sr",
        "sra",
        "srta",
        "dott",
        "ing",
        "eng",
    ]
)
# Honorifics that are never a name on their own (unlike "Sir", "Ing" or "Eng", which can be)
LONE_HONORIFICS = frozenset(["mr", "mrs", "ms", "mx", "dr", "prof", "professor", "rev", "reverend"])
CREDENTIALS = frozenset(
    [
        "mba",
        "phd",
        "ph.d",
        "dba",
        "md",
        "jd",
        "llm",
        "llb",
        "esq",
        "cpa",
        "cfa",
        "cfp",
        "cma",
        "cia",
        "cisa",
        "cissp",
        "cism",
        "pmp",
        "prince2",
        "csm",
        "cspo",
        "safe",
        "pe",
        "p.eng",
        "rn",
        "np",
        "pa-c",
        "dds",
        "dmd",
        "dvm",
        "od",
        "pharmd",
        "msc",
        "ms",
        "ma",
        "bsc",
        "bs",
        "ba",
        "beng",
        "meng",
        "mphil",
        "mpa",
        "mph",
        "med",
        "edd",
        "psyd",
        "lcsw",
        "lpc",
        "shrm-cp",
        "shrm-scp",
        "phr",
        "sphr",
        "gphr",
        "cpp",
        "acca",
        "aca",
        "fca",
        "cima",
        "frm",
        "caia",
        "cdfa",
        "ceng",
        "fcca",
        "chfc",
        "clu",
        "ricp",
        "cebs",
        "crisc",
        "cgeit",
        "ccna",
        "ccnp",
        "ccie",
        "mcse",
        "aws",
        "itil",
        "six",
        "sigma",
        "lssbb",
        "cscp",
        "cpsm",
        "cpim",
        "apics",
        "mcp",
        "faia",
        "aia",
        "leed",
        "ap",
    ]
)
GENERATIONAL = frozenset(["jr", "jr.", "sr", "sr.", "ii", "iii", "iv"])

_PARENS = re.compile(r"\s*[\(\[\{][^\)\]\}]*[\)\]\}]\s*")
_TOKEN_EDGE = re.compile(r"^[^\w]+|[^\w.]+$")
_SPACES = re.compile(r"\s+")


def _token_word(token: str) -> str:
    return token.lower().strip(".,;:|/-–—'\"")


def _is_credential(token: str) -> bool:
    word = _token_word(token)
    return word in CREDENTIALS or word.replace(".", "") in CREDENTIALS


@lru_cache(maxsize=500_000)
def clean_person_name(value: str | None) -> str | None:
    """The display form of a (first, last or full) name: decorations, honorifics and credentials removed.

    All-caps or all-lower names are title-cased; mixed case is kept as typed (``McDonald``, ``van Dijk``).

    Example:
        >>> clean_person_name("Dr. Jane  Doe, MBA, PhD 🚀")
        'Jane Doe'
        >>> clean_person_name("SMITH (he/him)")
        'Smith'
        >>> clean_person_name("Dr.") is None
        True
    """
    text = clean_cell(value)
    if text is None:
        return None
    text = strip_decorations(text)
    text = _PARENS.sub(" ", text)
    # Everything after a comma is credentials in "Jane Doe, MBA" -- unless it is not, then keep it.
    head, _, tail = text.partition(",")
    if tail and all(_is_credential(t) or _token_word(t) in GENERATIONAL for t in tail.replace(",", " ").split()):
        text = head
    tokens = [_TOKEN_EDGE.sub("", t) for t in text.replace(",", " ").split()]
    tokens = [t for t in tokens if t and any(ch.isalnum() for ch in t)]
    while tokens and _token_word(tokens[0]) in HONORIFICS and len(tokens) > 1:
        tokens.pop(0)
    if len(tokens) == 1 and _token_word(tokens[0]).rstrip(".") in LONE_HONORIFICS:
        return None  # "Dr." cut short from "Dr. Chloe": no name left
    while tokens and _is_credential(tokens[-1]) and len(tokens) > 1:
        tokens.pop()
    if len(tokens) == 1 and _is_credential(tokens[0]) and tokens[0].isupper():
        return None
    cleaned = _SPACES.sub(" ", " ".join(tokens)).strip(" .-")
    if not cleaned or not any(ch.isalpha() for ch in cleaned):
        return None
    if cleaned.isupper() or cleaned.islower():
        cleaned = _title_case(cleaned)
    return cleaned


def _title_case(text: str) -> str:
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0)[:1].upper() + m.group(0)[1:].lower(), text)


@lru_cache(maxsize=200_000)
def split_full_name(value: str | None) -> tuple[str | None, str | None]:
    """Split a cleaned full name into first name and the rest.

    Example:
        >>> split_full_name("Mr. José María García López, MBA")
        ('José', 'María García López')
    """
    cleaned = clean_person_name(value)
    if cleaned is None:
        return None, None
    first, _, rest = cleaned.partition(" ")
    return first, (rest or None)


def name_key(value: str | None) -> str | None:
    """Lower-case ASCII match key of a cleaned name: letters and digits only, generational suffix dropped.

    Example:
        >>> name_key("O'Brien-Núñez Jr.")
        'obriennunez'
    """
    cleaned = clean_person_name(value)
    if cleaned is None:
        return None
    tokens = [t for t in cleaned.split() if _token_word(t) not in GENERATIONAL or len(cleaned.split()) == 1]
    key = re.sub(r"[^0-9a-z]", "", ascii_fold(" ".join(tokens)))
    return key or None


@lru_cache(maxsize=1)
def _nicknamer() -> NickNamer:
    return NickNamer()


@lru_cache(maxsize=1)
def _overrides() -> dict[str, str]:
    text = resources.files("leadflow.normalize").joinpath("nicknames.toml").read_text(encoding="utf-8")
    return {str(k): str(v) for k, v in tomllib.loads(text)["formal"].items()}


@lru_cache(maxsize=200_000)
def canonical_first_name(name: str) -> str:
    """The formal name a nickname stands for (``bob`` -> ``robert``); formal names map to themselves.

    The ``nicknames`` package's graph decides: among the name and the formal names it lists for it, the one
    with the most nicknames wins (ties: alphabetical), so the choice is the same on every run. A few
    common names where that graph is ambiguous are pinned in ``nicknames.toml``.

    Example:
        >>> canonical_first_name("bob")
        'robert'
        >>> canonical_first_name("liz")
        'elizabeth'
    """
    word = name.lower()
    pinned = _overrides().get(word)
    if pinned is not None:
        return pinned
    namer = _nicknamer()
    canonicals = namer.canonicals_of(word)
    if not canonicals:
        return word
    best = sorted(canonicals, key=lambda c: (-len(namer.nicknames_of(c)), c))[0]
    return word if len(namer.nicknames_of(word)) >= len(namer.nicknames_of(best)) else best


@lru_cache(maxsize=500_000)
def first_name_key(value: str | None) -> str | None:
    """Match key of a first name as written: ASCII letters and digits of its words, lower-case.

    Nicknames are not folded into the key (that made Felix and Felicia one key and Eric "derrick"): a
    nickname is evidence the matcher weighs (:func:`first_name_forms`), never a replacement of the name.

    Example:
        >>> first_name_key("Bobby")
        'bobby'
        >>> first_name_key("Dr. Liz")
        'liz'
    """
    cleaned = clean_person_name(value)
    if cleaned is None:
        return None
    words = [re.sub(r"[^0-9a-z]", "", ascii_fold(w)) for w in cleaned.split()]
    words = [w for w in words if w]
    return "".join(words) or None


# An unknown first name this long, one edit from a known one, is taken to be that name mistyped too; shorter
# ones are left alone ("yuki" is one edit from "yuri", and both are names).
MIN_MISTYPED_LENGTH = 5


@lru_cache(maxsize=200_000)
def first_name_forms(key: str) -> tuple[str, ...]:
    """The key and the formal names its first word may stand for (``bob`` -> bob, robert, ...), sorted; two
    first names are nickname variants when their forms meet.

    A name the nickname table does not know, of :data:`MIN_MISTYPED_LENGTH` letters or more, that is one edit
    from exactly one name it knows (``rbeecca``, ``chucck``) also gets that name and its forms (rebecca; chuck,
    charles): a typo in a nickname or in the formal name then still meets the other spelling. A name one edit
    from two known names (``marko``: mark, margo) is more likely a name of its own and gets none. The forms add
    evidence, the key stays as written.

    Example:
        >>> "robert" in first_name_forms("bob") and "robert" in first_name_forms("robert")
        True
        >>> set(first_name_forms("eric")) & set(first_name_forms("derrick")) == {"derrick"}
        True
        >>> "charles" in first_name_forms("chucck"), "rebecca" in first_name_forms("rbeecca")
        (True, True)
    """
    word = key.lower()
    forms = set(_known_forms(word))
    if len(word) >= MIN_MISTYPED_LENGTH and word not in _known_first_names():
        near = _known_first_names().near(word)
        if len(near) == 1:
            forms.update(_known_forms(near[0]))
    return tuple(sorted(forms))


def _known_forms(word: str) -> set[str]:
    return {word, canonical_first_name(word), *_nicknamer().canonicals_of(word)}


@lru_cache(maxsize=1)
def _known_first_names() -> OneEditIndex:
    """Every first name the nickname table (and its overrides) knows, as nickname or as formal name."""
    namer = _nicknamer()
    names = {*namer.nickname_lookup, *namer.canonical_lookup, *_overrides(), *_overrides().values()}
    return OneEditIndex(str(name).lower() for name in names)
