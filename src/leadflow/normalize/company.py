"""Companies: display name, match key without legal suffixes, and the company's web domain.

Domains come from tldextract with its bundled public-suffix snapshot only: no network, ever.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

import tldextract

from leadflow.normalize.email import is_disposable_domain, is_free_domain
from leadflow.normalize.text import ascii_fold, clean_cell, strip_decorations

# Legal-form words, as they appear after ASCII folding and punctuation removal ("S.A." -> "s a").
LEGAL_SUFFIXES: tuple[tuple[str, ...], ...] = tuple(
    tuple(s.split())
    for s in sorted(
        """
        inc|incorporated|llc|l l c|ltd|limited|corp|corporation|co|company|plc|gmbh|gmbh co kg|co kg|kg|kgaa|ag|
        se|sa|s a|sas|s a s|sarl|s a r l|sl|s l|srl|s r l|spa|s p a|bv|b v|nv|n v|oy|oyj|ab|as|a s|aps|asa|
        pty|pty ltd|pvt|pvt ltd|private limited|lp|l p|llp|l l p|pllc|pc|p c|ulc|kk|k k|co ltd|sdn bhd|bhd|
        ltda|sa de cv|s de rl|gk|ou|sp z o o|spolka z o o|zrt|kft|doo|d o o|ehf|hf|ltee
        """.replace("\n", " ").split("|"),
        key=lambda s: -len(s.split()),
    )
    if s.strip()
)
_PUNCT = re.compile(r"[^0-9a-z]+")
_PARENS = re.compile(r"\([^)]*\)")

# Hosts that are never a company's own website even when a row puts them in the Website column.
PLATFORM_DOMAINS = frozenset(
    [
        "linkedin.com",
        "facebook.com",
        "twitter.com",
        "x.com",
        "instagram.com",
        "youtube.com",
        "google.com",
        "sites.google.com",
        "wixsite.com",
        "wordpress.com",
        "blogspot.com",
        "medium.com",
        "github.com",
        "angel.co",
        "crunchbase.com",
        "bit.ly",
    ]
)


def company_display(value: str | None) -> str | None:
    """A company name as shown: trimmed, decorations removed, legal suffix kept.

    Example:
        >>> company_display("  Acme   Corp. ™ ")
        'Acme Corp.'
    """
    text = clean_cell(value)
    if text is None:
        return None
    text = strip_decorations(text)
    return text or None


@lru_cache(maxsize=500_000)
def company_key(value: str | None) -> str | None:
    """Match key: lower-case ASCII words, ``&`` as ``and``, parentheses, legal suffixes and punctuation gone.

    Example:
        >>> company_key("Acme Holdings, Inc.")
        'acme holdings'
        >>> company_key("Müller & Söhne GmbH & Co. KG")
        'muller and sohne'
    """
    text = company_display(value)
    if text is None:
        return None
    folded = ascii_fold(_PARENS.sub(" ", text))
    folded = re.sub(r"\s*&\s*(co\.?\s*kg)\b", r" \1", folded)  # "GmbH & Co. KG" is one legal form
    folded = folded.replace("&", " and ").replace("+", " and ")
    words = _PUNCT.sub(" ", folded).split()
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    changed = True
    while changed and len(words) > 1:
        changed = False
        for suffix in LEGAL_SUFFIXES:
            n = len(suffix)
            if len(words) > n and tuple(words[-n:]) == suffix:
                words = words[:-n]
                changed = True
                break
        if words and words[-1] == "and" and len(words) > 1:
            words = words[:-1]
            changed = True
    key = " ".join(words)
    return key or None


@lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    # suffix_list_urls=() and cache_dir=None: the snapshot bundled with the package, no HTTP, no disk cache.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


_HOST_OK = re.compile(r"^[a-z0-9.-]+$")


@lru_cache(maxsize=500_000)
def registered_domain(host: str) -> str | None:
    """The registrable domain of a host name (``www.acme.co.uk`` -> ``acme.co.uk``).

    Hosts under a suffix the bundled list does not know (``acme.example``) keep their last two labels.

    Example:
        >>> registered_domain("mail.eu.acme.co.uk")
        'acme.co.uk'
    """
    host = host.strip().strip(".").lower()
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    if not host or not _HOST_OK.match(host) or "." not in host:
        return None
    parts = _extractor()(host)
    if parts.ipv4 or parts.ipv6:
        return None
    if parts.suffix and parts.domain:
        return f"{parts.domain}.{parts.suffix}"
    labels = [label for label in host.split(".") if label]
    if len(labels) < 2 or labels[-1].isdigit():
        return None
    return ".".join(labels[-2:])


@lru_cache(maxsize=500_000)
def domain_from_url(value: str | None) -> str | None:
    """The company domain of a website value (with or without scheme, path, ``www.``).

    Social and hosting platforms are not a company's domain.

    Example:
        >>> domain_from_url("http://www.Acme.co.uk/about?x=1")
        'acme.co.uk'
        >>> domain_from_url("https://www.linkedin.com/company/acme") is None
        True
    """
    text = clean_cell(value)
    if text is None or " " in text.strip():
        return None
    if "@" in text and "/" not in text:
        return domain_from_email(text)
    if "://" not in text:
        text = "http://" + text
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    if not host:
        return None
    domain = registered_domain(host)
    if domain is None or domain in PLATFORM_DOMAINS:
        return None
    return domain


def domain_from_email(email: str | None) -> str | None:
    """The company domain of a business address; ``None`` for free-mail and disposable domains.

    Example:
        >>> domain_from_email("jane@eu.acme.com")
        'acme.com'
        >>> domain_from_email("jane@gmail.com") is None
        True
    """
    if not email or "@" not in email:
        return None
    host = email.rsplit("@", 1)[1].strip().lower()
    if is_free_domain(host) or is_disposable_domain(host):
        return None
    domain = registered_domain(host)
    if domain is None or is_free_domain(domain):
        return None
    return domain
