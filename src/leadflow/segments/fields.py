"""The fields a segment rule may name: a whitelist, each with its type and its column."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    NUMBER = "number"
    TEXT = "text"
    BOOL = "true/false"
    LIST = "list"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: Kind
    help: str


FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in [
        FieldSpec("fit", Kind.NUMBER, "Account Fit 0-100 (unset when unscored)"),
        FieldSpec("persona_influence", Kind.NUMBER, "Persona Influence 0-100"),
        FieldSpec("engagement", Kind.NUMBER, "Engagement 0-100 (unset with no events)"),
        FieldSpec("fit_coverage", Kind.NUMBER, "Share of fit data known, 0-1"),
        FieldSpec("persona_coverage", Kind.NUMBER, "Share of persona data known, 0-1"),
        FieldSpec("grade", Kind.TEXT, "A1 ... D4"),
        FieldSpec("priority", Kind.BOOL, "Sales should act now"),
        FieldSpec("suppressed", Kind.BOOL, "In the suppression set"),
        FieldSpec("suppression_reasons", Kind.LIST, "Why suppressed (unsubscribed, do_not_call ...)"),
        FieldSpec("persona", Kind.TEXT, "Persona role (economic buyer, champion ...)"),
        FieldSpec("seniority", Kind.TEXT, "Seniority (Owner, Founder, C suite, Vp, Director ...)"),
        FieldSpec("department", Kind.TEXT, "Department"),
        FieldSpec("title", Kind.TEXT, "Job title"),
        FieldSpec("email", Kind.TEXT, "Primary email"),
        FieldSpec("email_status", Kind.TEXT, "verified, unverified, catch_all, invalid, unknown"),
        FieldSpec("email_is_free", Kind.BOOL, "Free-mail address"),
        FieldSpec("do_not_call", Kind.BOOL, "Marked Do Not Call"),
        FieldSpec("country", Kind.TEXT, "Country (ISO code; region names from [scoring.fit.regions] work with in)"),
        FieldSpec("state", Kind.TEXT, "State or region"),
        FieldSpec("city", Kind.TEXT, "City"),
        FieldSpec("industry", Kind.TEXT, "Company industry"),
        FieldSpec("employees", Kind.NUMBER, "Company employees"),
        FieldSpec("annual_revenue", Kind.NUMBER, "Company annual revenue"),
        FieldSpec("company_domain", Kind.TEXT, "Company domain"),
        FieldSpec("technologies", Kind.LIST, "Company technologies"),
        FieldSpec("keywords", Kind.LIST, "Company keywords"),
        FieldSpec("crm_module", Kind.TEXT, "Leads or Contacts when already in Zoho"),
    ]
}
