"""The generator's "hard" level: the noise a CRM contacts export really carries, applied to generated rows.

Each row keeps its person (the ground truth does not change); what changes is how the row writes it:
typos in every field, first names cut short, masked and placeholder addresses, an address shared with someone
else (an assistant handling an executive's mail, a shared inbox), typos in an address's domain or local part,
a company switchboard in the phone column, digits grouped oddly (``14 57 55 50 11 52 11 7``), and rows that
keep only a name, a company and a phone (no e-mail, no LinkedIn, no Apollo id). Names that nickname tables
confuse (Felix / Felicia, Eric / Derrick, Noah / Manoah) are added to the first names by the generator.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

# Neighbouring keys on a QWERTY keyboard: the substitutions a typist makes.
_NEIGHBOURS = {
    "a": "qwsz", "b": "vghn", "c": "xdfv", "d": "serfcx", "e": "wsdr", "f": "drtgvc", "g": "ftyhbv", "h": "gyujnb",
    "i": "ujko", "j": "huikmn", "k": "jiolm", "l": "kop", "m": "njk", "n": "bhjm", "o": "iklp", "p": "ol",
    "q": "wa", "r": "edft", "s": "awedxz", "t": "rfgy", "u": "yhji", "v": "cfgb", "w": "qase", "x": "zsdc",
    "y": "tghu", "z": "asx",
}  # fmt: skip

CONFUSABLE_FIRST_NAMES: tuple[str, ...] = ("Felix", "Felicia", "Eric", "Derrick", "Noah", "Manoah", "Cian", "Ciara")


@dataclass(frozen=True)
class MessRates:
    """Share of rows (or of rows having the field) each corruption hits."""

    typo_first: float = 0.08
    typo_last: float = 0.08
    typo_company: float = 0.08
    typo_title: float = 0.05
    typo_city: float = 0.04
    truncated_first: float = 0.02
    email_domain_typo: float = 0.04
    email_local_typo: float = 0.04
    email_masked: float = 0.02
    email_placeholder: float = 0.015
    email_shared: float = 0.02
    switchboard: float = 0.12
    odd_phone_grouping: float = 0.06
    name_company_phone_only: float = 0.08


class PersonView(Protocol):
    """What the corruptions need to know about the person a row stands for."""

    first: str
    last: str
    email: str
    phone_national: str
    country: str


def typo(rng: random.Random, text: str) -> str:
    """One keyboard slip: a neighbouring key, a dropped, doubled or swapped letter (case kept).

    Example:
        >>> typo(random.Random(3), "Martinez") != "Martinez"
        True
    """
    positions = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(positions) < 3:
        return text
    i = rng.choice(positions[1:])  # a first letter is rarely mistyped
    ch = text[i]
    kind = rng.randrange(4)
    if kind == 0:
        new = rng.choice(_NEIGHBOURS.get(ch.lower(), "e"))
        return text[:i] + (new.upper() if ch.isupper() else new) + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    if kind == 2:
        return text[:i] + ch + text[i:]
    j = i - 1 if i - 1 in positions else i
    if j == i or i + 1 >= len(text):
        return text[:i] + text[i + 1 :]
    return text[:j] + text[i] + text[j] + text[i + 1 :]


def odd_grouping(e164_digits: str) -> str:
    """Country code and number written as pairs of digits, no plus (``14 57 55 50 11 52 11 7``).

    Example:
        >>> odd_grouping("4915712345678")
        '49 15 71 23 45 67 8'
    """
    return " ".join(e164_digits[i : i + 2] for i in range(0, len(e164_digits), 2))


class Messer:
    """Applies :class:`MessRates` to rows of the three export formats, with its own seeded random stream (the
    standard level's stream, and so its data, stays exactly what it was)."""

    def __init__(self, rates: MessRates, seed: int, phone_prefix: Mapping[str, str]) -> None:
        self.rates = rates
        self.rng = random.Random(seed * 7919 + 17)
        self.phone_prefix = phone_prefix
        self.switchboards: dict[tuple[str, str], str] = {}

    def hit(self, rate: float) -> bool:
        return self.rng.random() < rate

    def switchboard(self, company: str, country: str, national: str) -> str:
        """One main number per company and country (same length as a personal number there)."""
        key = (company, country)
        if key not in self.switchboards:
            self.switchboards[key] = national[:3] + "".join(self.rng.choice("0123456789") for _ in national[3:])
        return self.switchboards[key]

    def email(self, email: str, person: PersonView, colleagues: Sequence[str]) -> str:
        if not email:
            return email
        r = self.rates
        local, _, domain = email.partition("@")
        if self.hit(r.email_shared) and colleagues:
            return self.rng.choice(colleagues)  # an assistant's or a shared inbox: someone else's address
        if self.hit(r.email_masked):
            return f"{local[:3]}***@{domain}"
        if self.hit(r.email_placeholder):
            return self.rng.choice(("noreply@" + domain, "test@test.com", "no-reply@" + domain, "none@none.com"))
        if self.hit(r.email_domain_typo):
            name, _, tld = domain.rpartition(".")
            domain = f"{typo(self.rng, name)}.{tld}"
        if self.hit(r.email_local_typo):
            local = typo(self.rng, local)
        return f"{local}@{domain}"

    def phone(self, written: str, person: PersonView, company: str) -> str:
        r = self.rates
        national = person.phone_national
        if self.hit(r.switchboard):
            national = self.switchboard(company, person.country, national)
            written = f"{self.phone_prefix[person.country]} {national}"
        if written and self.hit(r.odd_phone_grouping):
            written = odd_grouping(self.phone_prefix[person.country].lstrip("+") + national)
        return written

    def name(self, first: str, last: str) -> tuple[str, str]:
        r = self.rates
        if self.hit(r.truncated_first) and len(first) > 2:
            first = first[:2]
        elif self.hit(r.typo_first):
            first = typo(self.rng, first)
        if self.hit(r.typo_last):
            last = typo(self.rng, last)
        return first, last

    def apollo(self, row: dict[str, str], person: PersonView, company: str, colleagues: Sequence[str]) -> None:
        """Corrupt an Apollo row in place (2024 or 2025 header)."""
        r = self.rates
        row["First Name"], row["Last Name"] = self.name(row["First Name"], row["Last Name"])
        company_column = "Company" if "Company" in row else "Company Name"
        phone_column = "First Phone" if "First Phone" in row else "Mobile Phone"
        if self.hit(r.typo_company):
            row[company_column] = typo(self.rng, row[company_column])
        if self.hit(r.typo_title):
            row["Title"] = typo(self.rng, row["Title"])
        if self.hit(r.typo_city):
            row["City"] = typo(self.rng, row["City"])
        if self.hit(r.name_company_phone_only):
            row["Email"] = ""
            row["Email Status"] = "Unavailable"
            row["Person Linkedin Url"] = ""
            row["Apollo Contact Id"] = ""
            row[phone_column] = row[phone_column] or f"{self.phone_prefix[person.country]} {person.phone_national}"
        else:
            row["Email"] = self.email(row["Email"], person, colleagues)
        row[phone_column] = self.phone(row[phone_column], person, company)

    def salesnav(self, row: dict[str, str]) -> None:
        """Corrupt a Sales Navigator row in place."""
        r = self.rates
        row["firstName"], row["lastName"] = self.name(row["firstName"], row["lastName"])
        row["fullName"] = f"{row['firstName']} {row['lastName']}"
        if self.hit(r.typo_company):
            row["companyName"] = typo(self.rng, row["companyName"])
        if self.hit(r.typo_title):
            row["title"] = typo(self.rng, row["title"])
