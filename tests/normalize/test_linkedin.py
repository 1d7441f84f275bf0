from __future__ import annotations

import pytest

from leadflow.normalize.linkedin import (
    linkedin_company_id,
    linkedin_company_slug,
    linkedin_slug,
    linkedin_url,
    salesnav_lead_id,
)


@pytest.mark.parametrize(
    ("raw", "slug"),
    [
        ("http://www.linkedin.com/in/jane-doe", "jane-doe"),
        ("https://linkedin.com/in/Jane-Doe-1a2b3c/", "jane-doe-1a2b3c"),
        ("https://uk.linkedin.com/in/jane-doe?originalSubdomain=uk", "jane-doe"),
        ("linkedin.com/in/jos%C3%A9-garc%C3%ADa", "josé-garcía"),
        ("https://www.linkedin.com/sales/lead/ACwAAA,NAME_SEARCH,x", None),
        ("https://www.linkedin.com/company/acme", None),
        ("", None),
    ],
)
def test_linkedin_slug(raw: str, slug: str | None) -> None:
    assert linkedin_slug(raw) == slug


def test_linkedin_url_is_canonical() -> None:
    assert linkedin_url(linkedin_slug("http://linkedin.com/in/Jane-Doe/")) == "https://www.linkedin.com/in/jane-doe"


@pytest.mark.parametrize(
    ("raw", "lead_id"),
    [
        ("https://www.linkedin.com/sales/lead/ACwAAAB1c2VyMQ,NAME_SEARCH,x1Yz", "ACwAAAB1c2VyMQ"),
        ("https://www.linkedin.com/sales/people/ACwAAAB1c2VyMQ,name", "ACwAAAB1c2VyMQ"),
        ("https://www.linkedin.com/in/jane", None),
    ],
)
def test_salesnav_lead_id(raw: str, lead_id: str | None) -> None:
    assert salesnav_lead_id(raw) == lead_id


@pytest.mark.parametrize(
    ("raw", "company_id", "slug"),
    [
        ("https://www.linkedin.com/sales/company/1441", "1441", None),
        ("https://www.linkedin.com/company/1441/", "1441", None),
        ("1441", "1441", None),
        ("http://www.linkedin.com/company/gulf-capital", None, "gulf-capital"),
    ],
)
def test_company_ids(raw: str, company_id: str | None, slug: str | None) -> None:
    assert linkedin_company_id(raw) == company_id
    assert linkedin_company_slug(raw) == slug
