"""LinkedIn identifiers: public profile slug and canonical URL, Sales Navigator lead id, company id."""

from __future__ import annotations

import re
from urllib.parse import unquote

from leadflow.normalize.text import clean_cell

LINKEDIN_PROFILE_PREFIX = "https://www.linkedin.com/in/"

_PROFILE = re.compile(r"linkedin\.com/(?:mwlite/)?in/([^/?#\s]+)", re.IGNORECASE)
_SALESNAV = re.compile(r"linkedin\.com/sales/(?:lead|people)/([^,/?#\s]+)", re.IGNORECASE)
_COMPANY_NUMERIC = re.compile(r"linkedin\.com/(?:sales/)?company/(\d+)", re.IGNORECASE)
_COMPANY_SLUG = re.compile(r"linkedin\.com/(?:company|school|showcase)/([^/?#\s]+)", re.IGNORECASE)


def linkedin_slug(value: str | None) -> str | None:
    """The public profile slug of a ``/in/`` URL: percent-decoded, lower-case.

    Example:
        >>> linkedin_slug("http://www.linkedin.com/in/Jane-Doe-1a2b3c/?originalSubdomain=uk")
        'jane-doe-1a2b3c'
    """
    text = clean_cell(value)
    if text is None:
        return None
    match = _PROFILE.search(text)
    if not match:
        return None
    slug = unquote(match.group(1)).strip().lower()
    return slug or None


def linkedin_url(slug: str | None) -> str | None:
    """The canonical profile URL for a slug.

    Example:
        >>> linkedin_url("jane-doe-1a2b3c")
        'https://www.linkedin.com/in/jane-doe-1a2b3c'
    """
    return f"{LINKEDIN_PROFILE_PREFIX}{slug}" if slug else None


def salesnav_lead_id(value: str | None) -> str | None:
    """The Sales Navigator lead id: the path segment after ``/sales/lead/`` up to the first comma.

    Ids are case-sensitive and kept as they are.

    Example:
        >>> salesnav_lead_id("https://www.linkedin.com/sales/lead/ACwAAAB1c2VyMQ,NAME_SEARCH,x1Yz")
        'ACwAAAB1c2VyMQ'
    """
    text = clean_cell(value)
    if text is None:
        return None
    match = _SALESNAV.search(text)
    return match.group(1) if match else None


def linkedin_company_id(value: str | None) -> str | None:
    """A company's LinkedIn id: the numeric id of a ``/company/123`` URL or a bare number.

    Example:
        >>> linkedin_company_id("https://www.linkedin.com/sales/company/1441")
        '1441'
        >>> linkedin_company_id("1441")
        '1441'
    """
    text = clean_cell(value)
    if text is None:
        return None
    if text.isdigit():
        return text
    match = _COMPANY_NUMERIC.search(text)
    return match.group(1) if match else None


def linkedin_company_slug(value: str | None) -> str | None:
    """A company's public LinkedIn slug (``linkedin.com/company/<slug>``), when it is not numeric.

    Example:
        >>> linkedin_company_slug("http://www.linkedin.com/company/gulf-capital")
        'gulf-capital'
    """
    text = clean_cell(value)
    if text is None:
        return None
    match = _COMPANY_SLUG.search(text)
    if not match or match.group(1).isdigit():
        return None
    return unquote(match.group(1)).strip().lower() or None
