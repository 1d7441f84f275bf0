from __future__ import annotations

import pytest

from leadflow.normalize.company import company_display, company_key, domain_from_email, domain_from_url


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Acme Inc.", "acme"),
        ("Acme, Inc", "acme"),
        ("ACME LLC", "acme"),
        ("Acme Corp", "acme"),
        ("Acme Corporation", "acme"),
        ("Acme Ltd", "acme"),
        ("Acme Limited", "acme"),
        ("Acme GmbH", "acme"),
        ("Acme GmbH & Co. KG", "acme"),
        ("Acme S.A.", "acme"),
        ("Acme Pty Ltd", "acme"),
        ("Acme Co., Ltd.", "acme"),
        ("The Acme Company", "acme"),
        ("Acme Holdings, Inc.", "acme holdings"),
        ("Procter & Gamble", "procter and gamble"),
        ("Société Générale S.A.", "societe generale"),
        ("Acme (formerly Widgets)", "acme"),
        ("Inc.", "inc"),
        ("", None),
    ],
)
def test_company_key(raw: str, key: str | None) -> None:
    assert company_key(raw) == key


def test_company_display_keeps_suffix() -> None:
    assert company_display(" Acme, Inc. ™ ") == "Acme, Inc."


@pytest.mark.parametrize(
    ("raw", "domain"),
    [
        ("acme.com", "acme.com"),
        ("https://www.acme.com/", "acme.com"),
        ("http://WWW.Acme.co.uk/about", "acme.co.uk"),
        ("shop.acme.com.au", "acme.com.au"),
        ("http://www.gulfcap.example", "gulfcap.example"),
        ("https://www.linkedin.com/company/acme", None),
        ("not a url", None),
        ("http://10.0.0.1/", None),
        ('=HYPERLINK("https://acme.io","Acme")', "acme.io"),
        ("", None),
    ],
)
def test_domain_from_url(raw: str, domain: str | None) -> None:
    assert domain_from_url(raw) == domain


@pytest.mark.parametrize(
    ("email", "domain"),
    [
        ("jane@acme.com", "acme.com"),
        ("jane@mail.acme.co.uk", "acme.co.uk"),
        ("jane@gmail.com", None),
        ("jane@mailinator.com", None),
        ("nope", None),
    ],
)
def test_domain_from_email(email: str, domain: str | None) -> None:
    assert domain_from_email(email) == domain
