"""Known export formats: their columns, how each maps to the canonical raw fields, and detection by header.

Column lists follow real exports: Apollo's contacts export in its 2024 header (``Company``, ``First Phone``,
52 columns) and its 2025/2026 header (``Company Name``, ``Primary Email Source``, catch-all status, sub
departments, ``Do Not Call``, ``Apollo Record Id``, secondary/tertiary e-mails, intent columns); PhantomBuster's
Sales Navigator Search Export and LinkedIn Search Export.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from leadflow.errors import InputError
from leadflow.model import SourceKind
from leadflow.normalize.prospect import RAW_FIELDS

APOLLO_2024_COLUMNS = (
    "First Name", "Last Name", "Title", "Company", "Company Name for Emails", "Email", "Email Status",
    "Email Confidence", "Seniority", "Departments", "Contact Owner", "First Phone", "Work Direct Phone",
    "Home Phone", "Mobile Phone", "Corporate Phone", "Other Phone", "Stage", "Lists", "Last Contacted",
    "Account Owner", "# Employees", "Industry", "Keywords", "Person Linkedin Url", "Website",
    "Company Linkedin Url", "Facebook Url", "Twitter Url", "City", "State", "Country", "Company Address",
    "Company City", "Company State", "Company Country", "Company Phone", "SEO Description", "Technologies",
    "Annual Revenue", "Total Funding", "Latest Funding", "Latest Funding Amount", "Last Raised At", "Email Sent",
    "Email Open", "Email Bounced", "Replied", "Demoed", "Number of Retail Locations", "Apollo Contact Id",
    "Apollo Account Id",
)  # fmt: skip

APOLLO_2025_COLUMNS = (
    "First Name", "Last Name", "Title", "Company Name", "Company Name for Emails", "Email", "Email Status",
    "Primary Email Source", "Primary Email Verification Source", "Email Confidence",
    "Primary Email Catch-all Status", "Primary Email Last Verified At", "Seniority", "Departments",
    "Sub Departments", "Contact Owner", "Work Direct Phone", "Home Phone", "Mobile Phone", "Corporate Phone",
    "Other Phone", "Do Not Call", "Stage", "Lists", "Last Contacted", "Account Owner", "# Employees", "Industry",
    "Keywords", "Person Linkedin Url", "Website", "Company Linkedin Url", "Facebook Url", "Twitter Url", "City",
    "State", "Country", "Company Address", "Company City", "Company State", "Company Country", "Company Phone",
    "Technologies", "Annual Revenue", "Total Funding", "Latest Funding", "Latest Funding Amount", "Last Raised At",
    "Subsidiary of", "Subsidiary of (Organization ID)", "Email Sent", "Email Open", "Email Bounced", "Replied",
    "Demoed", "Number of Retail Locations", "Apollo Contact Id", "Apollo Account Id", "Apollo Record Id",
    "Secondary Email", "Secondary Email Source", "Secondary Email Status", "Secondary Email Verification Source",
    "Tertiary Email", "Tertiary Email Source", "Tertiary Email Status", "Tertiary Email Verification Source",
    "Primary Intent Topic", "Primary Intent Score", "Secondary Intent Topic", "Secondary Intent Score",
    "Qualify Contact",
)  # fmt: skip

# Columns seen in some Apollo files of either generation (renamed or optional blocks).
APOLLO_OPTIONAL_COLUMNS = (
    "Address", "SIC Codes", "NAICS Codes", "Parent company (Apollo data)",
    "Parent company (Apollo data - Organization ID)", "Apollo Account  Id", "Mobile Phone 2", "Headline",
    "Photo Url", "Company Founded Year", "Short Description", "Home Phone 2", "Email Domain Catch-all",
)  # fmt: skip

SALESNAV_COLUMNS = (
    "profileUrl", "fullName", "firstName", "lastName", "companyName", "title", "companyId", "companyUrl",
    "regularCompanyUrl", "summary", "titleDescription", "industry", "companyLocation", "location",
    "durationInRole", "durationInCompany", "pastExperienceCompanyName", "pastExperienceCompanyUrl",
    "pastExperienceCompanyTitle", "pastExperienceDate", "pastExperienceDuration", "connectionDegree",
    "profileImageUrl", "sharedConnectionsCount", "name", "vmid", "linkedInProfileUrl", "isPremium", "isOpenLink",
    "query", "timestamp", "defaultProfileUrl", "error",
)  # fmt: skip

LINKEDIN_COLUMNS = (
    "linkedinProfileUrl", "firstName", "lastName", "fullName", "headline", "jobTitle", "company", "companyUrl",
    "location", "connectionDegree", "profileImageUrl", "sharedConnections", "vmid", "query", "timestamp",
    "additionalInfo", "category", "error",
)  # fmt: skip

_APOLLO_MAP: dict[str, tuple[str, ...]] = {
    "first_name": ("First Name",),
    "last_name": ("Last Name",),
    "title": ("Title",),
    "email": ("Email",),
    "email_status": ("Email Status",),
    "email_catch_all": ("Primary Email Catch-all Status", "Email Domain Catch-all"),
    "email_2": ("Secondary Email",),
    "email_3": ("Tertiary Email",),
    "phone_mobile": ("Mobile Phone",),
    "phone_direct": ("Work Direct Phone", "First Phone"),
    "phone_other": ("Other Phone",),
    "phone_home": ("Home Phone",),
    "phone_corporate": ("Corporate Phone",),
    "phone_company": ("Company Phone",),
    "person_linkedin_url": ("Person Linkedin Url",),
    "apollo_contact_id": ("Apollo Contact Id",),
    "apollo_account_id": ("Apollo Account Id", "Apollo Account  Id"),
    "company_name": ("Company Name", "Company", "Company Name for Emails"),
    "website": ("Website",),
    "company_linkedin_url": ("Company Linkedin Url",),
    "industry": ("Industry",),
    "employees": ("# Employees",),
    "annual_revenue": ("Annual Revenue",),
    "country": ("Country",),
    "state": ("State",),
    "city": ("City",),
    "company_country": ("Company Country",),
    "technologies": ("Technologies",),
    "keywords": ("Keywords",),
    "do_not_call": ("Do Not Call",),
    "seniority": ("Seniority",),
    "departments": ("Departments",),
}


def header_key(name: str) -> str:
    """How header names are compared: case, spacing and punctuation do not matter.

    Example:
        >>> header_key(" Person LinkedIn URL ") == header_key("Person Linkedin Url")
        True
    """
    return re.sub(r"[^0-9a-z#]+", "", name.lower())


@dataclass(frozen=True)
class FormatSpec:
    """One export format: what identifies it and what its columns mean."""

    name: str
    kind: SourceKind
    description: str
    columns: tuple[str, ...]
    required: tuple[tuple[str, ...], ...]
    """Each entry: at least one of these columns must be present."""
    mapping: Mapping[str, tuple[str, ...]]
    """Canonical raw field -> candidate columns in priority order (the first non-empty cell wins)."""
    markers: tuple[str, ...] = ()
    """Columns only this generation of the format has; they break ties between generations."""
    default_country: str | None = None
    known_extra: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        unknown = set(self.mapping) - set(RAW_FIELDS)
        if unknown:
            raise ValueError(f"format {self.name}: unknown raw fields {sorted(unknown)}")

    @property
    def known_keys(self) -> frozenset[str]:
        keys = {header_key(c) for c in self.columns} | set(self.known_extra)
        for candidates in self.mapping.values():
            keys.update(header_key(c) for c in candidates)
        return frozenset(keys)

    def missing(self, header: Sequence[str]) -> list[str]:
        """Required columns this header lacks (an alternative list is shown as ``a | b``)."""
        present = {header_key(h) for h in header}
        return [" | ".join(group) for group in self.required if not any(header_key(c) in present for c in group)]

    def overlap(self, header: Sequence[str]) -> float:
        """Share of this format's columns the header has."""
        present = {header_key(h) for h in header}
        return len(present & self.known_keys) / max(1, len({header_key(c) for c in self.columns}))


APOLLO_2025 = FormatSpec(
    name="apollo-2025",
    kind=SourceKind.APOLLO,
    description="Apollo contacts export, 2025/2026 header (Company Name, Primary Email Source ...)",
    columns=APOLLO_2025_COLUMNS,
    required=(("First Name",), ("Last Name",), ("Title",), ("Email",), ("Email Status",), ("Company Name",)),
    mapping=_APOLLO_MAP,
    markers=(
        "Primary Email Source",
        "Primary Email Catch-all Status",
        "Sub Departments",
        "Do Not Call",
        "Apollo Record Id",
        "Secondary Email",
        "Primary Intent Topic",
    ),
    known_extra=frozenset(header_key(c) for c in APOLLO_OPTIONAL_COLUMNS),
)

APOLLO_2024 = FormatSpec(
    name="apollo-2024",
    kind=SourceKind.APOLLO,
    description="Apollo contacts export, 2024 header (Company, First Phone, 52 columns)",
    columns=APOLLO_2024_COLUMNS,
    required=(("First Name",), ("Last Name",), ("Title",), ("Email",), ("Email Status",), ("Company",)),
    mapping=_APOLLO_MAP,
    markers=("First Phone", "Company", "SEO Description"),
    known_extra=frozenset(header_key(c) for c in APOLLO_OPTIONAL_COLUMNS),
)

SALESNAV = FormatSpec(
    name="salesnav",
    kind=SourceKind.SALESNAV,
    description="PhantomBuster Sales Navigator Search Export (profileUrl, fullName, companyName, vmid ...)",
    columns=SALESNAV_COLUMNS,
    required=(("profileUrl",), ("fullName", "firstName"), ("companyName",), ("title",)),
    mapping={
        "first_name": ("firstName",),
        "last_name": ("lastName",),
        "full_name": ("fullName", "name"),
        "title": ("title",),
        "person_linkedin_url": ("defaultProfileUrl",),
        "alt_linkedin_url": ("linkedInProfileUrl",),
        "salesnav_url": ("profileUrl",),
        "company_name": ("companyName",),
        "company_linkedin_url": ("regularCompanyUrl", "companyUrl"),
        "company_linkedin_id": ("companyId", "companyUrl"),
        "industry": ("industry",),
        "location": ("location",),
    },
    markers=("vmid", "defaultProfileUrl", "regularCompanyUrl", "isOpenLink"),
)

LINKEDIN = FormatSpec(
    name="linkedin",
    kind=SourceKind.LINKEDIN,
    description="PhantomBuster LinkedIn Search Export (linkedinProfileUrl, jobTitle, company ...)",
    columns=LINKEDIN_COLUMNS,
    required=(("linkedinProfileUrl", "profileUrl"), ("jobTitle",), ("company",)),
    mapping={
        "first_name": ("firstName",),
        "last_name": ("lastName",),
        "full_name": ("fullName", "name"),
        "title": ("jobTitle", "headline"),
        "person_linkedin_url": ("linkedinProfileUrl", "profileUrl"),
        "company_name": ("company",),
        "company_linkedin_url": ("companyUrl",),
        "location": ("location",),
    },
    markers=("jobTitle", "linkedinProfileUrl"),
)

KNOWN_FORMATS: tuple[FormatSpec, ...] = (APOLLO_2025, APOLLO_2024, SALESNAV, LINKEDIN)
FORMAT_CHOICES = ("apollo", "salesnav", "linkedin", "mapped")


def shown_cell(text: str, width: int = 40) -> str:
    """A header cell as quoted in a message: non-printable characters escaped, at most ``width`` characters.

    Example:
        >>> shown_cell("Name\x07"), shown_cell("x" * 50)[-4:]
        ('Name\\x07', 'xxx…')
    """
    safe = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return safe if len(safe) <= width else safe[: width - 1] + "…"


def detect_format(header: Sequence[str], *, file_name: str = "", forced: str | None = None) -> FormatSpec:
    """The known format this header belongs to; ``forced`` (``apollo``, ``salesnav``, ``linkedin``) narrows it.

    Raises :class:`InputError` naming the closest known format and what it lacks when none fits.

    Example:
        >>> detect_format(list(APOLLO_2024_COLUMNS)).name
        'apollo-2024'
    """
    candidates = [f for f in KNOWN_FORMATS if forced is None or f.kind.value == forced]
    fitting = [f for f in candidates if not f.missing(header)]
    if fitting:
        present = {header_key(h) for h in header}
        return max(fitting, key=lambda f: (sum(header_key(m) in present for m in f.markers), f.overlap(header)))
    closest = max(candidates, key=lambda f: (len(f.required) - len(f.missing(header)), f.overlap(header)))
    where = f"{file_name}: " if file_name else ""
    shown = ", ".join(shown_cell(h) for h in header[:8]) + (" ..." if len(header) > 8 else "")
    raise InputError(
        f"{where}unknown export format (header: {shown}). Closest known format: {closest.description}, "
        f"which needs the columns {', '.join(closest.missing(header))}. "
        "Use --format mapped --mapping FILE.toml to map the columns yourself."
    )
