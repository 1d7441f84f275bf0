"""Small, realistic export files for reader and ingest tests (values as the vendors write them)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from leadflow.sources.formats import APOLLO_2024_COLUMNS, APOLLO_2025_COLUMNS, LINKEDIN_COLUMNS, SALESNAV_COLUMNS


def _rows(columns: Sequence[str], records: Sequence[dict[str, str]]) -> list[list[str]]:
    return [list(columns), *[[r.get(c, "") for c in columns] for r in records]]


APOLLO_2025_RECORDS = [
    {
        "First Name": "Layla",
        "Last Name": "Saeed, CFA",
        "Title": "Chief Financial Officer – MENA",
        "Company Name": "Gulf Capital",
        "Company Name for Emails": "Gulf Capital",
        "Email": "Layla.Saeed@GulfCap.example",
        "Email Status": "Verified",
        "Primary Email Source": "Apollo",
        "Primary Email Catch-all Status": "Not Catch-all",
        "Seniority": "C suite",
        "Departments": "C-Suite, Finance",
        "Sub Departments": "Finance Executive",
        "Mobile Phone": "'+971 50 123 4567",
        "Corporate Phone": "+971 4 000 0000",
        "Do Not Call": "false",
        "# Employees": "120",
        "Industry": "financial services",
        "Keywords": "private equity, asset management",
        "Person Linkedin Url": "http://www.linkedin.com/in/layla-saeed",
        "Website": "http://www.gulfcap.example",
        "Company Linkedin Url": "http://www.linkedin.com/company/gulf-capital",
        "City": "Dubai",
        "State": "Dubai",
        "Country": "United Arab Emirates",
        "Technologies": "Salesforce, Microsoft Office 365",
        "Annual Revenue": "45000000",
        "Apollo Contact Id": "66f1a2b3c4d5e6f708192a3b",
        "Apollo Account Id": "5f0e1d2c3b4a59687766554a",
        "Apollo Record Id": "66f1a2b3c4d5e6f708192a3c",
        "Secondary Email": "layla@gmail.com",
        "Primary Intent Topic": "Wealth Management",
        "Primary Intent Score": "82",
    },
    {
        "First Name": "Bob",
        "Last Name": "Miller",
        "Title": "VP, Sales & Partnerships",
        "Company Name": "Acme, Inc.",
        "Company Name for Emails": "Acme",
        "Email": "bob@acme.com",
        "Email Status": "Verified",
        "Primary Email Catch-all Status": "Catch-all",
        "Seniority": "Vp",
        "Departments": "master_sales",
        "Work Direct Phone": "(650) 253-0000",
        "Do Not Call": "TRUE",
        "# Employees": "1,200",
        "Person Linkedin Url": "https://www.linkedin.com/in/Bob-Miller-42/",
        "Website": "acme.com",
        "Country": "United States",
        "Apollo Contact Id": "66f1a2b3c4d5e6f708192a40",
        "Apollo Account Id": "5f0e1d2c3b4a59687766554b",
    },
    {
        # No e-mail, no LinkedIn, no Apollo id, no company: nothing to identify the person by.
        "First Name": "Anonymous",
        "Title": "Consultant",
        "Email Status": "Unavailable",
    },
]

APOLLO_2024_RECORDS = [
    {
        "First Name": "Priya",
        "Last Name": "Sharma",
        "Title": "Head of Marketing",
        "Company": "Brightlane Technologies Pvt. Ltd.",
        "Company Name for Emails": "Brightlane",
        "Email": "priya@brightlane.in",
        "Email Status": "User Managed",
        "Seniority": "Head",
        "Departments": "master_marketing",
        "First Phone": "'+91 98113 42484",
        "Mobile Phone": "+91 98113 42484",
        "# Employees": "85",
        "Industry": "information technology & services",
        "Person Linkedin Url": "http://www.linkedin.com/in/priya-sharma-bl",
        "Website": "https://www.brightlane.in/",
        "City": "Bengaluru",
        "Country": "India",
        "Apollo Contact Id": "60a1b2c3d4e5f60718293a4b",
        "Apollo Account Id": "60a1b2c3d4e5f60718293a4c",
    },
    {
        "First Name": "Tom",
        "Last Name": "O'Neil",
        "Title": "Software Engineer",
        "Company": "Widgets Ltd",
        "Email": "",
        "Email Status": "Unavailable",
        "Person Linkedin Url": "",
        "Website": "widgets.co.uk",
        "Country": "United Kingdom",
        "Corporate Phone": "020 7946 0958",
    },
]

SALESNAV_RECORDS = [
    {
        "profileUrl": "https://www.linkedin.com/sales/lead/ACwAAABCDEF12345,NAME_SEARCH,aB3d",
        "fullName": "Dr. Elizabeth Warren-Hughes, PhD",
        "firstName": "Elizabeth",
        "lastName": "Warren-Hughes, PhD",
        "companyName": "Nimbus AI GmbH",
        "title": "Co-Founder & CTO",
        "companyId": "18234567",
        "companyUrl": "https://www.linkedin.com/sales/company/18234567",
        "regularCompanyUrl": "https://www.linkedin.com/company/18234567",
        "industry": "Software Development",
        "location": "Berlin, Berlin, Germany",
        "vmid": "ACwAAABCDEF12345",
        "linkedInProfileUrl": "https://www.linkedin.com/in/ACwAAABCDEF12345",
        "isPremium": "true",
        "isOpenLink": "false",
        "query": "https://www.linkedin.com/sales/search/people?query=x",
        "timestamp": "2026-03-02T10:11:12.000Z",
        "defaultProfileUrl": "https://www.linkedin.com/in/liz-warren-hughes",
    },
    {
        "profileUrl": "https://www.linkedin.com/sales/lead/ACwAAAXYZ98765,NAME_SEARCH,Zz9q",
        "fullName": "Marc Dubois 🚀",
        "firstName": "Marc",
        "lastName": "Dubois 🚀",
        "companyName": "Société Générale",
        "title": "Directeur commercial",
        "location": "Paris, Île-de-France, France",
        "vmid": "ACwAAAXYZ98765",
        "defaultProfileUrl": "",
    },
]

LINKEDIN_RECORDS = [
    {
        "linkedinProfileUrl": "https://www.linkedin.com/in/sam-okafor/",
        "firstName": "Sam",
        "lastName": "Okafor",
        "fullName": "Sam Okafor",
        "jobTitle": "Director of Operations",
        "company": "Lagos Freight Co.",
        "location": "Lagos, Nigeria",
        "connectionDegree": "2nd",
        "timestamp": "2026-03-02T10:11:12.000Z",
    },
]


def csv_text(rows: Sequence[Sequence[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def write_csv(
    path: Path,
    rows: Sequence[Sequence[str]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    path.write_bytes(csv_text(rows, delimiter).encode(encoding))
    return path


def apollo_2025(extra_columns: Sequence[str] = ()) -> list[list[str]]:
    rows = _rows(APOLLO_2025_COLUMNS, APOLLO_2025_RECORDS)
    for i, row in enumerate(rows):
        row.extend(extra_columns if i == 0 else [f"{c} value {i}" for c in extra_columns])
    return rows


def apollo_2024() -> list[list[str]]:
    return _rows(APOLLO_2024_COLUMNS, APOLLO_2024_RECORDS)


def salesnav() -> list[list[str]]:
    return _rows(SALESNAV_COLUMNS, SALESNAV_RECORDS)


def linkedin() -> list[list[str]]:
    return _rows(LINKEDIN_COLUMNS, LINKEDIN_RECORDS)
