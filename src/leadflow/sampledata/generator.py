"""Synthetic B2B prospects in the real export formats, with ground truth (which person each row is).

Seeded and deterministic. People appear in an Apollo 2024 export, an Apollo 2025 export and a PhantomBuster
Sales Navigator export with the variations real files have: nicknames, credentials and emojis in names, title
wording, company legal suffixes, email case, phone formats with Excel's apostrophe guard, job changes (an old row
at the previous employer), namesakes at one company (two real people, one name), and people already in the CRM
(seed records for the Zoho emulator as JSON lines ``{"module": "Leads", "record": {...}}``).

``level="hard"`` (:func:`hard_config`) adds the noise of a real CRM contacts export on top (:mod:`messy`).
"""

from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from leadflow.sampledata import vocab
from leadflow.sampledata.formats import APOLLO_2024_HEADER, APOLLO_2025_HEADER, SALESNAV_HEADER
from leadflow.sampledata.messy import CONFUSABLE_FIRST_NAMES, Messer, MessRates

APOLLO_2024_FILE = "apollo_2024.csv"
APOLLO_2025_FILE = "apollo_2025.csv"
SALESNAV_FILE = "salesnav_export.csv"


@dataclass(frozen=True)
class GeneratorConfig:
    people: int = 1000
    seed: int = 7
    p_apollo_2024: float = 0.55
    p_apollo_2025: float = 0.5
    p_salesnav: float = 0.5
    p_crm: float = 0.2
    namesake_rate: float = 0.015
    job_change_rate: float = 0.05
    p_nickname: float = 0.25
    p_decorated: float = 0.1
    p_linkedin_in_apollo: float = 0.85
    p_public_url_in_salesnav: float = 0.7
    p_same_apollo_id: float = 0.7
    level: Literal["standard", "hard"] = "standard"
    mess: MessRates = field(default_factory=MessRates)


def hard_config(people: int = 1000, seed: int = 7) -> GeneratorConfig:
    """The "hard" level: more namesakes, job changes and nicknames, fewer shared ids, and :class:`MessRates`.

    Example:
        >>> hard_config(10).level
        'hard'
    """
    return replace(
        GeneratorConfig(people=people, seed=seed),
        level="hard",
        namesake_rate=0.04,
        job_change_rate=0.1,
        p_nickname=0.35,
        p_linkedin_in_apollo=0.5,
        p_public_url_in_salesnav=0.5,
        p_same_apollo_id=0.3,
    )


@dataclass
class Company:
    name: str
    domain: str
    industry: str
    employees: int
    revenue: int
    apollo_account_id: str
    linkedin_id: str
    technologies: tuple[str, ...]


@dataclass
class Person:
    person_id: str
    first: str
    last: str
    company: Company
    role: tuple[str, tuple[str, ...], str, str]
    email: str
    phone_national: str
    country: str
    city: str
    state: str
    slug: str
    salesnav_id: str
    apollo_contact_id: str
    previous: tuple[Company, str, tuple[str, tuple[str, ...], str, str]] | None = None  # company, email, role


@dataclass
class SampleData:
    """Generated files (header and rows), ground truth and CRM seed."""

    headers: dict[str, tuple[str, ...]]
    rows: dict[str, list[dict[str, str]]]
    truth: list[tuple[str, int, str]] = field(default_factory=list)  # (file, 1-based data row, person id)
    crm_seed: list[dict[str, Any]] = field(default_factory=list)
    crm_truth: dict[tuple[str, str], str] = field(default_factory=dict)  # (module, crm id) -> person id

    def write(self, folder: str | Path) -> dict[str, Path]:
        """Write the CSV exports, ``truth.csv``, ``crm_truth.csv`` and ``crm_seed.jsonl`` into ``folder``."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        paths: dict[str, Path] = {}
        for name, header in self.headers.items():
            path = out / name
            with path.open("w", newline="", encoding="utf-8") as handle:
                dict_writer = csv.DictWriter(handle, fieldnames=list(header))
                dict_writer.writeheader()
                dict_writer.writerows(self.rows[name])
            paths[name] = path
        with (out / "truth.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["file", "row", "person_id"])
            writer.writerows(self.truth)
        with (out / "crm_truth.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["module", "crm_id", "person_id"])
            writer.writerows([(m, i, p) for (m, i), p in sorted(self.crm_truth.items())])
        with (out / "crm_seed.jsonl").open("w", encoding="utf-8") as handle:
            for item in self.crm_seed:
                handle.write(json.dumps(item, ensure_ascii=False) + "\n")
        paths["truth.csv"] = out / "truth.csv"
        paths["crm_truth.csv"] = out / "crm_truth.csv"
        paths["crm_seed.jsonl"] = out / "crm_seed.jsonl"
        return paths


class _Generator:
    def __init__(self, config: GeneratorConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.first_names = [*vocab.NICKNAMES, *vocab.PLAIN_FIRST_NAMES]
        if config.level == "hard":
            self.first_names += [n for n in CONFUSABLE_FIRST_NAMES if n not in self.first_names]
        self.used_slugs: set[str] = set()
        self.used_emails: set[str] = set()
        self.crm_counter = 4876876000000000000

    def hex_id(self, length: int = 24) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(length))

    def companies(self, count: int) -> list[Company]:
        result: list[Company] = []
        names: set[str] = set()
        while len(result) < count:
            name = f"{self.rng.choice(vocab.COMPANY_WORDS_A)} {self.rng.choice(vocab.COMPANY_WORDS_B)}"
            if name in names:
                name = f"{name} {self.rng.choice(vocab.COMPANY_WORDS_A)}"
            if name in names:  # the word lists run out past ~26,000 companies: number the rest
                name = f"{name} {len(result)}"
            names.add(name)
            domain = name.lower().replace(" ", "") + self.rng.choice((".com", ".com", ".io", ".co"))
            result.append(
                Company(
                    name=name,
                    domain=domain,
                    industry=self.rng.choice(vocab.INDUSTRIES),
                    employees=self.rng.choice((12, 45, 120, 350, 800, 2500, 12000)),
                    revenue=self.rng.choice((1_500_000, 8_000_000, 25_000_000, 120_000_000, 900_000_000)),
                    apollo_account_id=self.hex_id(),
                    linkedin_id=str(self.rng.randint(10_000, 99_999_999)),
                    technologies=tuple(self.rng.sample(vocab.TECHNOLOGIES, 3)),
                )
            )
        return result

    def email_for(self, first: str, last: str, domain: str, pattern: int) -> str:
        f, lst = first.lower(), "".join(ch for ch in last.lower() if ch.isalpha())
        local = (f"{f}.{lst}", f"{f[0]}{lst}", f"{f}{lst[0]}", f"{f}_{lst}", f"{f}")[pattern % 5]
        email = f"{local}@{domain}"
        n = 2
        while email in self.used_emails:
            email = f"{local}{n}@{domain}"
            n += 1
        self.used_emails.add(email)
        return email

    def slug_for(self, first: str, last: str) -> str:
        base = f"{first}-{last}".lower().replace("'", "")
        slug = base if self.rng.random() < 0.3 else f"{base}-{self.hex_id(self.rng.choice((6, 8)))}"
        while slug in self.used_slugs:
            slug = f"{base}-{self.hex_id(8)}"
        self.used_slugs.add(slug)
        return slug

    def place(self) -> tuple[str, str, str]:
        countries = [c for c, _ in vocab.COUNTRY_WEIGHTS]
        weights = [w for _, w in vocab.COUNTRY_WEIGHTS]
        country = self.rng.choices(countries, weights)[0]
        city, state = self.rng.choice(vocab.PLACES[country])
        return country, city, state

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def phone(self, country: str) -> str:
        digits = self.digits
        if country == "United States":
            return f"{self.rng.choice(('415', '212', '512', '312', '617', '206'))}{self.rng.randint(2, 9)}{digits(6)}"
        if country == "United Kingdom":
            return f"7{self.rng.randint(4, 9)}{digits(8)}"
        if country == "Germany":
            return f"15{self.rng.choice('127')}{digits(8)}"
        return f"9{self.rng.randint(6, 9)}{digits(8)}"

    def person(self, pid: str, company: Company, first: str | None = None, last: str | None = None) -> Person:
        first = first or self.rng.choice(self.first_names)
        last = last or self.rng.choice(vocab.LAST_NAMES)
        country, city, state = self.place()
        return Person(
            person_id=pid,
            first=first,
            last=last,
            company=company,
            role=self.rng.choice(vocab.TITLES),
            email=self.email_for(first, last, company.domain, self.rng.randrange(5)),
            phone_national=self.phone(country),
            country=country,
            city=city,
            state=state,
            slug=self.slug_for(first, last),
            salesnav_id="ACwAA"
            + "".join(
                self.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") for _ in range(34)
            ),
            apollo_contact_id=self.hex_id(),
        )

    # --- variations -------------------------------------------------------------------------------------------
    def first_variant(self, person: Person) -> str:
        nicks = vocab.NICKNAMES.get(person.first)
        if nicks and self.rng.random() < self.config.p_nickname:
            return self.rng.choice(nicks)
        return person.first

    def decorate(self, first: str, last: str) -> tuple[str, str]:
        if self.rng.random() >= self.config.p_decorated:
            return first, last
        kind = self.rng.randrange(4)
        if kind == 0:
            return f"Dr. {first}", last
        if kind == 1:
            return first, f"{last}, {self.rng.choice(vocab.CREDENTIALS)}"
        if kind == 2:
            return first, f"{last} {self.rng.choice(vocab.EMOJIS)}"
        return first.upper(), last.upper()

    def company_variant(self, company: Company) -> str:
        roll = self.rng.random()
        if roll < 0.4:
            return company.name
        suffix = self.rng.choice(vocab.LEGAL_SUFFIXES)
        name = company.name + (suffix if suffix.startswith(",") else f" {suffix}")
        return name.upper() if roll > 0.95 else name

    def title_variant(self, role: tuple[str, tuple[str, ...], str, str]) -> str:
        return role[0] if self.rng.random() < 0.5 else self.rng.choice(role[1])

    def email_case(self, email: str) -> str:
        if self.rng.random() < 0.3:
            local, domain = email.split("@")
            return ".".join(part.capitalize() for part in local.split(".")) + "@" + domain.capitalize()
        return email

    def phone_variant(self, person: Person) -> str:
        prefix = vocab.PHONE_PREFIX[person.country]
        n = person.phone_national
        if person.country == "United States":
            forms = (f"+1 {n[:3]}-{n[3:6]}-{n[6:]}", f"({n[:3]}) {n[3:6]}-{n[6:]}", f"'+1 {n[:3]} {n[3:6]} {n[6:]}",
                     f"{n[:3]}.{n[3:6]}.{n[6:]}")  # fmt: skip
        else:
            forms = (f"{prefix} {n[:5]} {n[5:]}", f"'{prefix} {n[:5]} {n[5:]}", f"{prefix}{n}", f"0{n[:4]} {n[4:]}")
        return self.rng.choice(forms)

    def website_variant(self, company: Company) -> str:
        return self.rng.choice(
            (f"http://www.{company.domain}", company.domain, f"https://{company.domain}/", f"www.{company.domain}")
        )


def generate(config: GeneratorConfig | None = None) -> SampleData:
    """Generate people, their rows in three exports, CRM seed records and the ground truth.

    Example:
        >>> data = generate(GeneratorConfig(people=50, seed=1))
        >>> sorted(data.rows)
        ['apollo_2024.csv', 'apollo_2025.csv', 'salesnav_export.csv']
        >>> generate(GeneratorConfig(people=50, seed=1)).truth == data.truth
        True
    """
    config = config or GeneratorConfig()
    g = _Generator(config)
    companies = g.companies(max(3, config.people // 6))
    people: list[Person] = []
    counter = 0
    while len(people) < config.people:
        counter += 1
        person = g.person(f"P{counter:07d}", g.rng.choice(companies))
        people.append(person)
        if g.rng.random() < config.namesake_rate and len(people) < config.people:
            counter += 1
            twin = g.person(f"P{counter:07d}", person.company, first=person.first, last=person.last)
            while twin.role[0] == person.role[0]:
                twin.role = g.rng.choice(vocab.TITLES)
            people.append(twin)
        if g.rng.random() < config.job_change_rate:
            old = g.rng.choice(companies)
            if old is not person.company:
                person.previous = (
                    old,
                    g.email_for(person.first, person.last, old.domain, 0),
                    g.rng.choice(vocab.TITLES),
                )

    data = SampleData(
        headers={
            APOLLO_2024_FILE: APOLLO_2024_HEADER,
            APOLLO_2025_FILE: APOLLO_2025_HEADER,
            SALESNAV_FILE: SALESNAV_HEADER,
        },
        rows={APOLLO_2024_FILE: [], APOLLO_2025_FILE: [], SALESNAV_FILE: []},
    )
    accounts_seeded: dict[str, str] = {}
    messer = Messer(config.mess, config.seed, vocab.PHONE_PREFIX) if config.level == "hard" else None
    emails_at: dict[str, list[str]] = defaultdict(list)
    for person in people:
        emails_at[person.company.domain].append(person.email)
    for person in people:
        sources = [
            name
            for name, p in ((APOLLO_2024_FILE, config.p_apollo_2024), (APOLLO_2025_FILE, config.p_apollo_2025),
                            (SALESNAV_FILE, config.p_salesnav))
            if g.rng.random() < p
        ]  # fmt: skip
        if not sources:
            sources = [g.rng.choice((APOLLO_2024_FILE, APOLLO_2025_FILE, SALESNAV_FILE))]
        if person.previous is not None and APOLLO_2024_FILE not in sources:
            sources.append(APOLLO_2024_FILE)
        apollo_ids = dict.fromkeys((APOLLO_2024_FILE, APOLLO_2025_FILE), person.apollo_contact_id)
        if g.rng.random() >= config.p_same_apollo_id:
            apollo_ids[APOLLO_2025_FILE] = g.hex_id()
        for name in sources:
            if name == SALESNAV_FILE:
                row = _salesnav_row(g, person)
            else:
                stale = name == APOLLO_2024_FILE and person.previous is not None
                row = _apollo_row(g, person, name, apollo_ids[name], stale=stale)
            if messer is not None:
                if name == SALESNAV_FILE:
                    messer.salesnav(row)
                else:
                    company = person.previous[0] if stale and person.previous is not None else person.company
                    colleagues = [e for e in emails_at[company.domain] if e != person.email]
                    messer.apollo(row, person, company.domain, colleagues)
            data.rows[name].append(row)
            data.truth.append((name, len(data.rows[name]), person.person_id))
        if g.rng.random() < config.p_crm:
            _crm_records(g, person, data, accounts_seeded)
    return data


def _apollo_row(g: _Generator, person: Person, file: str, apollo_id: str, *, stale: bool) -> dict[str, str]:
    company, email, role = person.company, person.email, person.role
    if stale and person.previous is not None:
        company, email, role = person.previous
    first, last = g.decorate(g.first_variant(person), person.last)
    status = g.rng.choices(("Verified", "Unavailable", "User Managed"), (0.9, 0.05, 0.05))[0]
    has_email = status != "Unavailable"
    row = {
        "First Name": first,
        "Last Name": last,
        "Title": g.title_variant(role) if g.rng.random() < 0.3 else role[0],
        "Company Name for Emails": company.name,
        "Email": g.email_case(email) if has_email else "",
        "Email Status": status,
        "Seniority": role[2],
        "Departments": role[3] if g.rng.random() < 0.7 else f"{role[3]}, Operations",
        "Mobile Phone": g.phone_variant(person) if g.rng.random() < 0.6 else "",
        "# Employees": str(company.employees),
        "Industry": company.industry,
        "Keywords": "b2b, saas",
        "Person Linkedin Url": f"http://www.linkedin.com/in/{person.slug}"
        if stale or g.rng.random() < g.config.p_linkedin_in_apollo
        else "",
        "Website": g.website_variant(company),
        "Company Linkedin Url": f"http://www.linkedin.com/company/{company.linkedin_id}",
        "City": person.city,
        "State": person.state,
        "Country": person.country,
        "Technologies": ", ".join(company.technologies),
        "Annual Revenue": str(company.revenue),
        "Apollo Contact Id": apollo_id,
        "Apollo Account Id": company.apollo_account_id,
        "Email Sent": g.rng.choice(("false", "FALSE")),
        "Replied": "false",
    }
    if file == APOLLO_2024_FILE:
        row["Company"] = g.company_variant(company)
        row["First Phone"] = row.pop("Mobile Phone")
    else:
        row["Company Name"] = g.company_variant(company)
        row["Primary Email Source"] = "Apollo"
        row["Primary Email Catch-all Status"] = "Not Catch-all"
        row["Sub Departments"] = role[3]
        row["Do Not Call"] = "false"
        row["Apollo Record Id"] = g.hex_id()
    return row


def _salesnav_row(g: _Generator, person: Person) -> dict[str, str]:
    first, last = g.decorate(g.first_variant(person), person.last)
    company_name = g.company_variant(person.company)
    public = g.rng.random() < g.config.p_public_url_in_salesnav
    return {
        "profileUrl": f"https://www.linkedin.com/sales/lead/{person.salesnav_id},NAME_SEARCH,{g.hex_id(4)}",
        "fullName": f"{first} {last}",
        "firstName": first,
        "lastName": last,
        "companyName": company_name,
        "title": g.title_variant(person.role),
        "companyId": person.company.linkedin_id,
        "companyUrl": f"https://www.linkedin.com/sales/company/{person.company.linkedin_id}",
        "regularCompanyUrl": f"https://www.linkedin.com/company/{person.company.linkedin_id}",
        "industry": person.company.industry,
        "location": f"{person.city}, {person.state}, {person.country}",
        "durationInRole": f"{g.rng.randint(1, 8)} years in role",
        "vmid": person.salesnav_id,
        "linkedInProfileUrl": f"https://www.linkedin.com/in/{person.salesnav_id}" if public else "",
        "isPremium": g.rng.choice(("true", "false")),
        "isOpenLink": "false",
        "query": "https://www.linkedin.com/sales/search/people?query=demo",
        "timestamp": "2025-11-04T10:12:33.512Z",
        "defaultProfileUrl": f"https://www.linkedin.com/in/{person.slug}" if public else "",
    }


def _crm_records(g: _Generator, person: Person, data: SampleData, accounts: dict[str, str]) -> None:
    g.crm_counter += g.rng.randint(1, 999)
    crm_id = str(g.crm_counter)
    module = "Leads" if g.rng.random() < 0.7 else "Contacts"
    phone = g.phone_variant(person).lstrip("'")
    record: dict[str, Any] = {
        "id": crm_id,
        "First_Name": g.first_variant(person),
        "Last_Name": person.last,
        "Email": g.email_case(person.email) if g.rng.random() < 0.85 else None,
        # Zoho names the job title Designation in Leads and Title in Contacts.
        ("Designation" if module == "Leads" else "Title"): g.title_variant(person.role),
        "Phone": phone,
        "Modified_Time": "2025-06-01T09:00:00+00:00",
    }
    if module == "Leads":
        record.update(
            Company=g.company_variant(person.company),
            Website=person.company.domain,
            City=person.city,
            Country=person.country,
            Lead_Source="Trade Show",
        )
    else:
        account_id = accounts.get(person.company.domain)
        if account_id is None:
            g.crm_counter += g.rng.randint(1, 999)
            account_id = str(g.crm_counter)
            accounts[person.company.domain] = account_id
            data.crm_seed.append(
                {
                    "module": "Accounts",
                    "record": {
                        "id": account_id,
                        "Account_Name": person.company.name,
                        "Website": f"https://{person.company.domain}",
                        "Employees": person.company.employees,
                        "Billing_City": person.city,
                        "Billing_Country": person.country,
                        "Modified_Time": "2025-05-01T09:00:00+00:00",
                    },
                }
            )
        record.update(
            Account_Name={"name": person.company.name, "id": account_id},
            Mailing_City=person.city,
            Mailing_Country=person.country,
        )
    data.crm_seed.append({"module": module, "record": record})
    data.crm_truth[(module, crm_id)] = person.person_id
