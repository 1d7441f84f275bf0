from __future__ import annotations

import pytest

from leadflow.normalize.email import email_status, normalize_email
from leadflow.normalize.prospect import normalize_batch


@pytest.mark.parametrize(
    ("raw", "email", "role", "free", "disposable"),
    [
        ("  Jane.Doe@Acme.COM ", "jane.doe@acme.com", False, False, False),
        ("mailto:Sales@Acme.com", "sales@acme.com", True, False, False),
        ("<info+eu@acme.io>", "info+eu@acme.io", True, False, False),
        ("bob.smith@gmail.com", "bob.smith@gmail.com", False, True, False),
        ("x@yahoo.co.uk", "x@yahoo.co.uk", False, True, False),
        ("temp@mailinator.com", "temp@mailinator.com", False, True, True),
        ("ann@sub.mailinator.com", "ann@sub.mailinator.com", False, False, True),
        ("josé@acme.com", "josé@acme.com", False, False, False),
        ("jane@acme", None, False, False, False),
        ("jane@@acme.com", None, False, False, False),
        ("jane..doe@acme.com", None, False, False, False),
        ('=HYPERLINK("mailto:x@y.com")', None, False, False, False),
        ("", None, False, False, False),
        ("host@localhost", None, False, False, False),
        ("a@b.test", None, False, False, False),
    ],
)
def test_normalize_email(raw: str, email: str | None, role: bool, free: bool, disposable: bool) -> None:
    info = normalize_email(raw)
    assert info.email == email
    assert info.valid is (email is not None)
    assert (info.is_role, info.is_free, info.is_disposable) == (role, free, disposable)


@pytest.mark.parametrize(
    ("status", "catch_all", "has_email", "expected"),
    [
        ("Verified", None, True, "verified"),
        ("verified", "Not Catch-all", True, "verified"),
        ("Verified", "Catch-all", True, "catch_all"),
        ("User Managed", None, True, "unverified"),
        ("Extrapolated", None, True, "unverified"),
        ("Unavailable", None, True, "unknown"),
        ("Bounced", None, True, "invalid"),
        ("Invalid", "Catch-all", True, "invalid"),
        (None, None, True, "unknown"),
        ("Verified", None, False, "unknown"),
        ("something new", None, True, "unknown"),
    ],
)
def test_email_status(status: str | None, catch_all: str | None, has_email: bool, expected: str) -> None:
    assert email_status(status, catch_all, has_email=has_email) == expected


@pytest.mark.parametrize(
    "raw",
    ["bar***@example.com", "jo***@acme.com", "noreply@acme.com", "No-Reply@Acme.com", "test@test.com",
     "none@none.com", "xxx@acme.com", "someone@example.com", "j•••@acme.com"],
)  # fmt: skip
def test_masked_and_placeholder_addresses_are_not_addresses(raw: str) -> None:
    assert normalize_email(raw).email is None
    table, _ = normalize_batch({"email": [raw]}, length=1)
    assert table.column("email").to_pylist() == [None]
    assert table.column("email_status").to_pylist() == ["invalid"]


def test_a_real_address_near_a_placeholder_stays() -> None:
    assert normalize_email("testa@acme.com").email == "testa@acme.com"
    assert normalize_email("x@yahoo.co.uk").email == "x@yahoo.co.uk"
