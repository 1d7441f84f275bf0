"""Normalize a batch of source rows into ``prospects`` columns, column by column.

The input is a batch of *canonical raw fields* (``RAW_FIELDS``: what a source format's columns mean, still as
written); the output is a pyarrow table with the ``prospects`` columns of CONTRACTS §1. String work runs as
pyarrow compute kernels; Python functions (email-validator, phonenumbers, tldextract, name and title rules)
run once per distinct value, with caches that live across batches.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc

from leadflow.normalize.company import company_display, company_key, domain_from_email, domain_from_url
from leadflow.normalize.email import (
    PLACEHOLDER_DOMAINS,
    PLACEHOLDER_LOCAL_PARTS,
    ROLE_LOCAL_PARTS,
    email_status,
    is_disposable_domain,
    is_free_domain,
    normalize_email,
)
from leadflow.normalize.geo import city_from_location, country_code, country_from_location
from leadflow.normalize.linkedin import LINKEDIN_PROFILE_PREFIX, linkedin_company_slug
from leadflow.normalize.names import clean_person_name, first_name_key, name_key, split_full_name
from leadflow.normalize.phone import PhoneType, normalize_phone
from leadflow.normalize.titles import classify_title, clean_title
from leadflow.normalize.values import parse_amount, parse_bool, parse_int, split_list
from leadflow.normalize.vector import as_strings, clean_cells, map_distinct, null_strings

RAW_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "full_name",
    "title",
    "email",
    "email_status",
    "email_catch_all",
    "email_2",
    "email_3",
    "phone_mobile",
    "phone_direct",
    "phone_other",
    "phone_home",
    "phone_corporate",
    "phone_company",
    "person_linkedin_url",
    "alt_linkedin_url",
    "salesnav_url",
    "apollo_contact_id",
    "apollo_account_id",
    "company_name",
    "website",
    "company_linkedin_url",
    "company_linkedin_id",
    "industry",
    "employees",
    "annual_revenue",
    "country",
    "state",
    "city",
    "location",
    "company_country",
    "technologies",
    "keywords",
    "do_not_call",
    "seniority",
    "departments",
)
"""Canonical raw fields a source format maps its columns to. All optional."""

PROSPECT_FIELDS: tuple[str, ...] = (
    "email",
    "email_status",
    "email_is_role",
    "email_is_free",
    "email_is_disposable",
    "other_emails",
    "first_name",
    "last_name",
    "first_name_key",
    "last_name_key",
    "title",
    "seniority",
    "department",
    "persona",
    "phone_e164",
    "phone_type",
    "linkedin_slug",
    "linkedin_url",
    "salesnav_id",
    "apollo_contact_id",
    "apollo_account_id",
    "company_name",
    "company_key",
    "company_domain",
    "company_linkedin_id",
    "company_linkedin_slug",
    "website",
    "industry",
    "employees",
    "annual_revenue",
    "country",
    "state",
    "city",
    "technologies",
    "keywords",
    "do_not_call",
)
"""Normalized columns, in ``prospects`` order (JSON columns as JSON text)."""

# A strict subset of what email-validator accepts, checked in bulk; anything else goes through
# email-validator itself. tests/normalize/test_vector.py holds the two to agreement.
_FAST_EMAIL = r"^[a-z0-9_%+-]+(\.[a-z0-9_%+-]+)*@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z])?$"
_SPECIAL_TLD = r"\.(arpa|invalid|local|localhost|onion|test)$"
_MEMBER_ID = r"^ACw[A-Za-z0-9_-]{20,}$"  # a LinkedIn member URN id in an /in/ URL, not a vanity slug
_PROFILE_RE2 = r"(?i)linkedin\.com/(?:mwlite/)?in/(?P<slug>[^/?#\s]+)"
_SALESNAV_RE2 = r"(?i)linkedin\.com/sales/(?:lead|people)/(?P<id>[^,/?#\s]+)"
_COMPANY_ID_RE2 = r"(?i)linkedin\.com/(?:sales/)?company/(?P<id>\d+)"
_SEP = "\x1f"
_PHONE_COLUMNS: tuple[tuple[str, PhoneType], ...] = (
    ("phone_mobile", "mobile"),
    ("phone_direct", "unknown"),
    ("phone_other", "unknown"),
    ("phone_home", "unknown"),
    ("phone_corporate", "fixed"),
    ("phone_company", "fixed"),
)
_FALSE = pa.scalar(False)


def _str_null() -> pa.Scalar:
    return pa.scalar(None, pa.string())


def _fill_false(array: pa.Array) -> pa.Array:
    return pc.fill_null(array, False)


def _extract(array: pa.Array, pattern: str, group: str) -> pa.Array:
    if array.null_count == len(array):
        return null_strings(len(array))
    safe = pc.fill_null(array, "")
    matched = pc.match_substring_regex(safe, pattern)
    # extract_regex fails on non-matching rows, so only matching rows are passed through it.
    filtered = pc.filter(safe, matched)
    if len(filtered) == 0:
        return null_strings(len(array))
    values = pc.struct_field(pc.extract_regex(filtered, pattern), group)
    indices = pc.subtract(pc.cumulative_sum(pc.cast(matched, pa.int64())), 1)
    spread = values.take(pc.if_else(matched, indices, pa.scalar(None, pa.int64())))
    return spread


def _join(*arrays: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(*[pc.fill_null(a, "") for a in arrays], _SEP)


def _json_list(value: str | None) -> str:
    return json.dumps(split_list(value), ensure_ascii=False)


def _email_block(raw: pa.Array) -> dict[str, pa.Array]:
    cleaned = pc.utf8_lower(clean_cells(raw))
    cleaned = pc.replace_substring_regex(cleaned, r"^mailto:", "")
    cleaned = pc.utf8_trim(cleaned, "<> ")
    fast = pc.and_(
        pc.and_(pc.match_substring_regex(cleaned, _FAST_EMAIL), pc.less_equal(pc.utf8_length(cleaned), 254)),
        pc.and_(
            pc.invert(pc.match_substring_regex(cleaned, _SPECIAL_TLD)),
            pc.and_(
                pc.invert(pc.match_substring(cleaned, "--")),
                pc.match_substring_regex(cleaned, r"^[^@]{1,64}@"),
            ),
        ),
    )
    # placeholders go the slow way, which refuses them (normalize_email)
    fast = pc.and_(fast, pc.invert(_fill_false(_placeholder_like(cleaned))))
    fast = _fill_false(fast)
    slow_input = pc.if_else(fast, _str_null(), cleaned)
    slow = map_distinct(slow_input, lambda v: normalize_email(v).email, pa.string())
    email = pc.if_else(fast, cleaned, slow)
    domain = pc.replace_substring_regex(email, r"^[^@]*@", "")
    local = pc.replace_substring_regex(pc.replace_substring_regex(email, r"@.*$", ""), r"\+.*$", "")
    role = pc.is_in(local, value_set=pa.array(sorted(ROLE_LOCAL_PARTS), type=pa.string()))
    return {
        "email": email,
        "present": pc.is_valid(cleaned),
        "domain": domain,
        "email_is_role": pc.and_(pc.is_valid(email), role),
        "email_is_free": _fill_false(map_distinct(domain, is_free_domain, pa.bool_())),
        "email_is_disposable": _fill_false(map_distinct(domain, is_disposable_domain, pa.bool_())),
    }


def _placeholder_like(cleaned: pa.Array) -> pa.Array:
    local = pc.replace_substring_regex(pc.replace_substring_regex(cleaned, r"@.*$", ""), r"\+.*$", "")
    domain = pc.replace_substring_regex(cleaned, r"^[^@]*@", "")
    return pc.or_(
        pc.or_(
            pc.is_in(local, value_set=pa.array(sorted(PLACEHOLDER_LOCAL_PARTS), type=pa.string())),
            pc.is_in(domain, value_set=pa.array(sorted(PLACEHOLDER_DOMAINS), type=pa.string())),
        ),
        pc.match_substring_regex(cleaned, r"^[x._-]{3,}@"),
    )


def _status(value: str) -> str:
    status, catch_all, state = value.split(_SEP)
    if state == "missing":
        return "unknown"
    if state == "invalid":
        return "invalid"
    return email_status(status or None, catch_all or None)


def _other_emails(primary: pa.Array, extra: list[pa.Array]) -> pa.Array:
    normalized = [map_distinct(clean_cells(a), lambda v: normalize_email(v).email, pa.string()) for a in extra]
    normalized = [a for a in normalized if a.null_count < len(a)]
    if not normalized:
        return pa.array(["[]"] * len(primary), type=pa.string())
    any_value = pc.is_valid(pc.coalesce(*normalized))
    rows: list[str] = ["[]"] * len(primary)
    primary_list = primary.to_pylist()
    columns = [a.to_pylist() for a in normalized]
    for i in pc.indices_nonzero(any_value).to_pylist():
        seen: list[str] = []
        for column in columns:
            value = column[i]
            if value and value != primary_list[i] and value not in seen:
                seen.append(value)
        rows[i] = json.dumps(seen)
    return pa.array(rows, type=pa.string())


def _phones(raw: Mapping[str, pa.Array], region: pa.Array) -> tuple[pa.Array, pa.Array]:
    e164 = null_strings(len(region))
    kinds = null_strings(len(region))
    for field, hint in reversed(_PHONE_COLUMNS):
        cleaned = clean_cells(raw[field])
        if cleaned.null_count == len(cleaned):
            continue

        def parse(value: str, hint: PhoneType = hint) -> str | None:
            number, country = value.split(_SEP)
            info = normalize_phone(number, country or None, hint)
            return f"{info.e164}{_SEP}{info.type}" if info.e164 else None

        key = pc.if_else(pc.is_valid(cleaned), _join(cleaned, region), _str_null())
        parsed = map_distinct(key, parse, pa.string())
        has = pc.is_valid(parsed)
        e164 = pc.if_else(has, pc.replace_substring_regex(parsed, _SEP + ".*$", ""), e164)
        kinds = pc.if_else(has, pc.replace_substring_regex(parsed, "^.*" + _SEP, ""), kinds)
    return e164, pc.fill_null(kinds, "unknown")


def _linkedin(raw: Mapping[str, pa.Array]) -> tuple[pa.Array, pa.Array]:
    """Profile slug and Sales Navigator id; an ``/in/ACwAA...`` URL carries a member id, not a slug."""
    candidates = [clean_cells(raw["person_linkedin_url"]), clean_cells(raw["alt_linkedin_url"])]
    slug = null_strings(len(candidates[0]))
    member = null_strings(len(candidates[0]))
    for url in reversed(candidates):
        found = _extract(url, _PROFILE_RE2, "slug")
        is_member = _fill_false(pc.match_substring_regex(found, _MEMBER_ID))
        member = pc.if_else(is_member, found, member)
        slug = pc.if_else(pc.and_(pc.is_valid(found), pc.invert(is_member)), found, slug)
    has_percent = _fill_false(pc.match_substring(slug, "%"))
    decoded = map_distinct(pc.if_else(has_percent, slug, _str_null()), unquote, pa.string())
    slug = pc.utf8_lower(pc.if_else(has_percent, decoded, slug))
    salesnav = _extract(clean_cells(raw["salesnav_url"]), _SALESNAV_RE2, "id")
    for url in candidates:
        salesnav = pc.coalesce(salesnav, _extract(url, _SALESNAV_RE2, "id"))
    return slug, pc.coalesce(salesnav, member)


def normalize_batch(
    columns: Mapping[str, list[str | None] | pa.Array], *, length: int, default_country: str | None = None
) -> tuple[pa.Table, pa.Array]:
    """Normalize one batch; returns the ``prospects`` columns and a mask of rows with a usable identity.

    A usable identity is a valid e-mail, a LinkedIn slug, a Sales Navigator id, an Apollo contact id, or a
    first name and last name with a company or a phone number (a placeholder address such as ``test@test.com``
    is no e-mail, but the name beside it still identifies the row).

    Example:
        >>> table, ok = normalize_batch({"email": ["Jane.Doe@Acme.com"], "title": ["VP Sales"]}, length=1)
        >>> table.column("email").to_pylist(), table.column("seniority").to_pylist(), ok.to_pylist()
        (['jane.doe@acme.com'], ['vp'], [True])
    """
    unknown = set(columns) - set(RAW_FIELDS)
    if unknown:
        raise ValueError(f"unknown raw fields: {sorted(unknown)}")
    raw: dict[str, pa.Array] = {
        name: as_strings(columns[name]) if name in columns else null_strings(length) for name in RAW_FIELDS
    }
    for name, array in raw.items():
        if len(array) != length:
            raise ValueError(f"raw field {name} has {len(array)} values, expected {length}")
    out: dict[str, pa.Array] = {}

    emails = _email_block(raw["email"])
    out["email"] = emails["email"]
    state = pc.if_else(pc.is_valid(emails["email"]), "ok", pc.if_else(emails["present"], "invalid", "missing"))
    status_key = _join(clean_cells(raw["email_status"]), clean_cells(raw["email_catch_all"]), state)
    out["email_status"] = map_distinct(status_key, _status, pa.string())
    for flag in ("email_is_role", "email_is_free", "email_is_disposable"):
        out[flag] = _fill_false(emails[flag])
    out["other_emails"] = _other_emails(emails["email"], [raw["email_2"], raw["email_3"]])

    full = clean_cells(raw["full_name"])
    first_from_full = map_distinct(full, lambda v: split_full_name(v)[0], pa.string())
    last_from_full = map_distinct(full, lambda v: split_full_name(v)[1], pa.string())
    first = pc.coalesce(map_distinct(clean_cells(raw["first_name"]), clean_person_name, pa.string()), first_from_full)
    last = pc.coalesce(map_distinct(clean_cells(raw["last_name"]), clean_person_name, pa.string()), last_from_full)
    out["first_name"], out["last_name"] = first, last
    out["first_name_key"] = map_distinct(first, first_name_key, pa.string())
    out["last_name_key"] = map_distinct(last, name_key, pa.string())

    title = map_distinct(clean_cells(raw["title"]), clean_title, pa.string())
    out["title"] = title

    def classify(value: str) -> str:
        t, seniority, departments = value.split(_SEP)
        info = classify_title(t or None, seniority or None, departments or None)
        return _SEP.join([info.seniority or "", info.department or "", info.persona])

    title_key = _join(title, clean_cells(raw["seniority"]), clean_cells(raw["departments"]))
    classified = map_distinct(title_key, classify, pa.string())
    parts = pc.split_pattern(classified, _SEP)
    for index, name in enumerate(("seniority", "department", "persona")):
        value = pc.list_element(parts, index)
        out[name] = pc.if_else(pc.equal(value, ""), _str_null(), value)
    out["persona"] = pc.fill_null(out["persona"], "unknown")

    location = clean_cells(raw["location"])
    country = pc.coalesce(
        map_distinct(clean_cells(raw["country"]), country_code, pa.string()),
        map_distinct(location, country_from_location, pa.string()),
        map_distinct(clean_cells(raw["company_country"]), country_code, pa.string()),
    )
    region = pc.fill_null(country, default_country or "")
    out["phone_e164"], out["phone_type"] = _phones(raw, region)

    slug, salesnav = _linkedin(raw)
    out["linkedin_slug"] = slug
    out["linkedin_url"] = pc.if_else(
        pc.is_valid(slug), pc.binary_join_element_wise(LINKEDIN_PROFILE_PREFIX, pc.fill_null(slug, ""), ""), _str_null()
    )
    out["salesnav_id"] = salesnav
    out["apollo_contact_id"] = clean_cells(raw["apollo_contact_id"])
    out["apollo_account_id"] = clean_cells(raw["apollo_account_id"])

    company = map_distinct(clean_cells(raw["company_name"]), company_display, pa.string())
    out["company_name"] = company
    out["company_key"] = map_distinct(company, company_key, pa.string())
    website = clean_cells(raw["website"])
    email_domain = pc.if_else(pc.is_valid(emails["email"]), emails["domain"], _str_null())
    out["company_domain"] = pc.coalesce(
        map_distinct(website, domain_from_url, pa.string()),
        map_distinct(email_domain, lambda d: domain_from_email("x@" + d), pa.string()),
    )
    company_url = clean_cells(raw["company_linkedin_url"])
    company_id = clean_cells(raw["company_linkedin_id"])
    out["company_linkedin_id"] = pc.coalesce(
        pc.if_else(_fill_false(pc.match_substring_regex(company_id, r"^\d+$")), company_id, _str_null()),
        _extract(company_url, _COMPANY_ID_RE2, "id"),
        _extract(company_id, _COMPANY_ID_RE2, "id"),
    )
    out["company_linkedin_slug"] = map_distinct(company_url, linkedin_company_slug, pa.string())
    out["website"] = website
    out["industry"] = clean_cells(raw["industry"])
    out["employees"] = map_distinct(clean_cells(raw["employees"]), parse_int, pa.int64())
    out["annual_revenue"] = map_distinct(clean_cells(raw["annual_revenue"]), parse_amount, pa.float64())
    out["country"] = country
    out["state"] = clean_cells(raw["state"])
    out["city"] = pc.coalesce(clean_cells(raw["city"]), map_distinct(location, city_from_location, pa.string()))
    for name in ("technologies", "keywords"):
        out[name] = pc.fill_null(map_distinct(clean_cells(raw[name]), _json_list, pa.string()), "[]")
    out["do_not_call"] = _fill_false(map_distinct(clean_cells(raw["do_not_call"]), parse_bool, pa.bool_()))

    table = pa.table({name: out[name] for name in PROSPECT_FIELDS})
    # a person's name with their company or their phone number identifies them well enough to resolve
    named = pc.and_(
        pc.and_(pc.is_valid(out["first_name_key"]), pc.is_valid(out["last_name_key"])),
        pc.or_(
            pc.or_(pc.is_valid(out["company_key"]), pc.is_valid(out["company_domain"])),
            pc.is_valid(out["phone_e164"]),
        ),
    )
    identity = pc.or_(
        pc.or_(pc.is_valid(out["email"]), pc.is_valid(out["linkedin_slug"])),
        pc.or_(pc.or_(pc.is_valid(out["salesnav_id"]), pc.is_valid(out["apollo_contact_id"])), named),
    )
    return table, _fill_false(identity)
