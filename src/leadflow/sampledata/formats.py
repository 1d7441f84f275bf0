"""Header rows of the export formats the generator writes (the same ones ``leadflow ingest`` reads)."""

from __future__ import annotations

APOLLO_2024_HEADER: tuple[str, ...] = (
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

APOLLO_2025_HEADER: tuple[str, ...] = (
    "First Name", "Last Name", "Title", "Company Name", "Company Name for Emails", "Email", "Email Status",
    "Primary Email Source", "Primary Email Verification Source", "Email Confidence",
    "Primary Email Catch-all Status", "Primary Email Last Verified At", "Seniority", "Sub Departments",
    "Departments", "Contact Owner", "Work Direct Phone", "Home Phone", "Mobile Phone", "Corporate Phone",
    "Other Phone", "Stage", "Lists", "Last Contacted", "Account Owner", "# Employees", "Industry", "Keywords",
    "Person Linkedin Url", "Website", "Company Linkedin Url", "Facebook Url", "Twitter Url", "City", "State",
    "Country", "Company Address", "Company City", "Company State", "Company Country", "Company Phone",
    "Technologies", "Annual Revenue", "Total Funding", "Latest Funding", "Latest Funding Amount",
    "Last Raised At", "Subsidiary of", "Email Sent", "Email Open", "Email Bounced", "Replied", "Demoed",
    "Number of Retail Locations", "Apollo Contact Id", "Apollo Account Id", "Apollo Record Id",
    "Secondary Email", "Secondary Email Source", "Secondary Email Status", "Secondary Email Verification Source",
    "Tertiary Email", "Tertiary Email Source", "Tertiary Email Status", "Tertiary Email Verification Source",
    "Do Not Call", "Primary Intent Topic", "Primary Intent Score", "Secondary Intent Topic",
    "Secondary Intent Score", "Qualify Contact",
)  # fmt: skip

SALESNAV_HEADER: tuple[str, ...] = (
    "profileUrl", "fullName", "firstName", "lastName", "companyName", "title", "companyId", "companyUrl",
    "regularCompanyUrl", "summary", "titleDescription", "industry", "companyLocation", "location",
    "durationInRole", "durationInCompany", "pastExperienceCompanyName", "pastExperienceCompanyUrl",
    "pastExperienceCompanyTitle", "pastExperienceDate", "pastExperienceDuration", "connectionDegree",
    "profileImageUrl", "sharedConnectionsCount", "name", "vmid", "linkedInProfileUrl", "isPremium",
    "isOpenLink", "query", "timestamp", "defaultProfileUrl",
)  # fmt: skip
