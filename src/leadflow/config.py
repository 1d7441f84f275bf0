"""Settings: ``leadflow.toml`` plus ``LEADFLOW_*`` environment variables (the environment wins).

Nested sections map to environment variables with one underscore, e.g. ``[zoho] client_id`` is
``LEADFLOW_ZOHO_CLIENT_ID``. Secrets are ``SecretStr``: their ``repr`` and ``str`` never show the value.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from leadflow.errors import ConfigError

CONFIG_ENV_VAR = "LEADFLOW_CONFIG"
DEFAULT_CONFIG_FILE = "leadflow.toml"
DEFAULT_DATABASE_URL = "sqlite:///leadflow.db"

DataCentre = Literal["us", "eu", "in", "au", "jp", "ca", "cn", "sa"]


class Section(BaseModel):
    """A ``[section]`` of leadflow.toml: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


class ZohoSettings(Section):
    data_centre: DataCentre = Field("us", description="Zoho data centre of the org: us, eu, in, au, jp, ca, cn, sa")
    api_base_url: str | None = Field(
        None, description="Override of the API host (an emulator or a proxy), e.g. http://127.0.0.1:8010"
    )
    accounts_url: str | None = Field(None, description="Override of the accounts (OAuth) server")
    auth: Literal["oauth", "proxy", "token"] = Field(
        "oauth",
        description="oauth (refresh token), proxy (an auth proxy holds credentials) or token (static)",
    )
    client_id: str = Field("", description="OAuth client id from the Zoho API console")
    client_secret: SecretStr | None = Field(None, description="OAuth client secret (secret)")
    refresh_token: SecretStr | None = Field(None, description="OAuth refresh token (secret)")
    access_token: SecretStr | None = Field(None, description="Static access token, for auth = token (secret)")
    api_version: str = Field("v8", description="CRM API version used in paths: v8 (default), v7, v2.1, v2")
    daily_credit_budget: int = Field(
        50_000, ge=0, description="Stop before spending more API credits than this in a rolling 24 hours"
    )
    concurrency: int = Field(10, ge=1, le=100, description="Most API calls in flight at once (the org's limit)")


class GhlSettings(Section):
    api_base_url: str = Field(
        "https://services.leadconnectorhq.com", description="GoHighLevel API v2 base URL (an emulator's URL in tests)"
    )
    auth: Literal["pit", "oauth"] = Field(
        "pit", description="pit: a sub-account Private Integration Token; oauth: a marketplace app (leadflow auth ghl)"
    )
    token: SecretStr | None = Field(None, description="Private Integration Token, pit-... (secret)")
    client_id: str = Field("", description="Marketplace app client id (auth = oauth)")
    client_secret: SecretStr | None = Field(None, description="Marketplace app client secret (secret)")
    location_id: str = Field("", description="GHL sub-account (location) id")
    company_id: str = Field("", description="Agency (company) id, to mint location tokens from an agency token")
    webhook_public_key: str = Field(
        "", description="Ed25519 key for X-GHL-Signature: PEM text or a PEM file path (empty: GHL's published key)"
    )
    webhook_legacy_public_key: str = Field(
        "", description="RSA key for legacy X-WH-Signature: PEM text or a PEM file path (empty: GHL's published key)"
    )
    daily_request_budget: int = Field(
        200_000, ge=1, description="Requests leadflow may send per location per 24 hours (GHL allows 200,000)"
    )


class SyncSettings(Section):
    new_people_module: Literal["Leads", "Contacts"] = Field(
        "Leads", description="Zoho module for new prospects; a person already a Contact stays a Contact"
    )
    external_id_field: str = Field(
        "Leadflow_ID", description="Unique custom field leadflow creates in each module it writes (its upsert key)"
    )
    sync_accounts: bool = Field(True, description="Create and update an Account per golden company")
    leads: list[str] = Field(
        default_factory=lambda: [
            "First_Name = first_name",
            "Last_Name = last_name",
            "Email = email",
            "Designation = title",
            "Phone = phone_e164",
            "Company = company.name | company_name",
            "Website = company.domain",
            "No_of_Employees = company.employees",
            "Annual_Revenue = company.annual_revenue",
            "Country = country",
            "State = state",
            "City = city",
            "Leadflow_Fit = score.fit",
            "Leadflow_Persona = score.persona_influence",
            "Leadflow_Engagement = score.engagement",
            "Leadflow_Grade = score.grade",
            "Leadflow_Priority = score.priority",
            "Leadflow_Score_Summary = score.summary",
        ],
        description="Leads fields, each 'Zoho_Field = source': a person column, company.<column> or score.<column>",
    )
    contacts: list[str] = Field(
        default_factory=lambda: [
            "First_Name = first_name",
            "Last_Name = last_name",
            "Email = email",
            "Title = title",
            "Phone = phone_e164",
            "Mailing_Country = country",
            "Mailing_State = state",
            "Mailing_City = city",
            "Leadflow_Fit = score.fit",
            "Leadflow_Persona = score.persona_influence",
            "Leadflow_Engagement = score.engagement",
            "Leadflow_Grade = score.grade",
            "Leadflow_Priority = score.priority",
            "Leadflow_Score_Summary = score.summary",
        ],
        description="Contacts fields, each 'Zoho_Field = source' (Account_Name is set from the company's Account)",
    )
    accounts: list[str] = Field(
        default_factory=lambda: [
            "Account_Name = name",
            "Website = domain",
            "Employees = employees",
            "Annual_Revenue = annual_revenue",
            "Billing_Country = country",
        ],
        description="Accounts fields, each 'Zoho_Field = golden_companies column'",
    )
    fill_if_empty: list[str] = Field(
        default_factory=lambda: ["Phone", "Designation", "Title", "Website"],
        description="Fields only written while empty in Zoho (people edit them by hand)",
    )
    sync_nulls: bool = Field(False, description="Write empty values over Zoho's; false means nulls are never sent")
    write_method: Literal["auto", "batch", "bulk"] = Field(
        "auto", description="auto picks batch upsert (100 per call) or bulk write by credits and time"
    )
    credit_reserve: int = Field(
        100, ge=0, description="Credits left untouched below the daily budget, for other tools of the org"
    )
    lock_lease_seconds: int = Field(
        120, ge=5, description="A sync's lock expires this long after its last heartbeat (crashed holder)"
    )
    max_attempts: int = Field(
        5, ge=1, description="Sends of one operation within a run before it waits for the next run"
    )
    mirror_bulk_read_above: int = Field(
        10_000,
        ge=0,
        description=(
            "The CRM mirror's first load of a module uses one bulk read job (50 credits per 200,000 records) when the"
            " module holds more records than this, the records API (1 credit per 200) otherwise: 10,000 is where"
            " the two cost the same; the records API cannot page past 100,000 records"
        ),
    )

    @field_validator("leads", "contacts", "accounts")
    @classmethod
    def _mapping_lines(cls, value: list[str]) -> list[str]:
        for line in value:
            field, sep, source = (part.strip() for part in line.partition("="))
            if not sep or not field.replace("_", "").isalnum() or not source:
                raise ValueError(f"{line!r} is not 'Zoho_Field = source'")
        return value

    def field_map(self, module: str) -> dict[str, str]:
        """Zoho field -> source expression for ``module`` (Leads, Contacts or Accounts).

        Example:
            >>> SyncSettings().field_map("Accounts")["Account_Name"]
            'name'
        """
        lines = {"Leads": self.leads, "Contacts": self.contacts, "Accounts": self.accounts}[module]
        pairs = (line.partition("=") for line in lines)
        return {field.strip(): source.strip() for field, _, source in pairs}


class TrackingSettings(Section):
    webhook_tolerance_seconds: int = Field(
        300, ge=1, description="A GHL delivery whose timestamp is further from now than this is refused (replays)"
    )
    max_body_bytes: int = Field(1_000_000, ge=1_024, description="Larger webhook bodies are refused with 413")
    max_concurrent_intake: int = Field(
        64, ge=1, description="Deliveries stored at once; past that the intake answers 429 with Retry-After"
    )
    zoho_channel_id: str = Field("", description="Channel id of the Zoho notification channel leadflow enables")
    zoho_channel_token: SecretStr | None = Field(
        None, description="Token Zoho echoes in every notification of the channel (secret)"
    )
    zoho_workflow_secret: SecretStr | None = Field(
        None, description="Shared secret of Zoho workflow-rule webhooks (X-Leadflow-Secret header or ?secret=)"
    )


class LoggingSettings(Section):
    level: Literal["debug", "info", "warning", "error"] = Field(
        "warning", description="Least severe level logged (--log-level overrides it)"
    )
    json_output: bool | None = Field(
        None,
        alias="json",
        description="JSON lines instead of text (--log-json forces it); unset means JSON when not a TTY",
    )

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class IngestSettings(Section):
    chunk_rows: int = Field(
        20_000, ge=100, le=1_000_000, description="Rows read, normalized and written per transaction"
    )
    default_country: str | None = Field(
        None,
        min_length=2,
        max_length=2,
        description="ISO 3166 alpha-2 region for phone numbers without +country when a row has no country",
    )


# --- scoring and segments (issue 6) -------------------------------------------------------------------------


class PointsRule(Section):
    """A dimension scored from one value looked up in a table of points (matching ignores case)."""

    max_points: float = Field(gt=0, description="Most points this dimension can give")
    points: dict[str, float] = Field(description="Points per value; values not listed get `other`")
    other: float = Field(0.0, description="Points for a known value that is not listed")


class Band(Section):
    min: float | None = Field(None, description="Lowest value in the band (inclusive); unset means no lower bound")
    max: float | None = Field(None, description="Highest value in the band (inclusive); unset means no upper bound")
    points: float = Field(description="Points for a value in this band")


class BandsRule(Section):
    """A numeric dimension scored by the first band that holds the value."""

    max_points: float = Field(gt=0, description="Most points this dimension can give")
    bands: list[Band] = Field(description="Bands checked in order; a value in no band gets 0 points")


class SignalRule(Section):
    """A list dimension (technologies, keywords): each listed item found adds its points, up to max_points."""

    max_points: float = Field(gt=0, description="Most points all matches together can give")
    points: dict[str, float] = Field(description="Points per item found in the company's list (matching ignores case)")


def _fit_industry() -> PointsRule:
    return PointsRule(
        max_points=30,
        points={
            "computer software": 30,
            "information technology & services": 28,
            "internet": 25,
            "financial services": 20,
            "marketing & advertising": 20,
            "telecommunications": 18,
            "management consulting": 15,
            "staffing & recruiting": 12,
            "hospital & health care": 10,
            "retail": 8,
            "government administration": 0,
        },
        other=6,
    )


def _fit_employees() -> BandsRule:
    return BandsRule(
        max_points=25,
        bands=[
            Band(min=None, max=10, points=3),
            Band(min=11, max=50, points=12),
            Band(min=51, max=200, points=25),
            Band(min=201, max=1000, points=22),
            Band(min=1001, max=5000, points=14),
            Band(min=5001, max=None, points=6),
        ],
    )


def _fit_revenue() -> BandsRule:
    return BandsRule(
        max_points=15,
        bands=[
            Band(min=None, max=1_000_000, points=2),
            Band(min=1_000_000, max=10_000_000, points=8),
            Band(min=10_000_000, max=100_000_000, points=15),
            Band(min=100_000_000, max=1_000_000_000, points=12),
            Band(min=1_000_000_000, max=None, points=6),
        ],
    )


def _fit_country() -> PointsRule:
    return PointsRule(
        max_points=15,
        points={"US": 15, "CA": 12, "GB": 13, "IE": 11, "DACH": 12, "Nordics": 11, "Benelux": 10, "FR": 9, "AU": 9},
        other=3,
    )


def _regions() -> dict[str, list[str]]:
    return {
        "DACH": ["DE", "AT", "CH"],
        "Nordics": ["SE", "NO", "DK", "FI", "IS"],
        "Benelux": ["BE", "NL", "LU"],
    }


def _fit_technologies() -> SignalRule:
    return SignalRule(
        max_points=10,
        points={"salesforce": 4, "hubspot": 4, "zoho crm": 5, "outreach": 3, "salesloft": 3, "gong": 3, "slack": 1},
    )


def _fit_keywords() -> SignalRule:
    return SignalRule(max_points=5, points={"saas": 2, "b2b": 2, "sales": 1, "crm": 2, "lead generation": 2})


class FitSettings(Section):
    """Account Fit: how well the company matches the customers you sell to."""

    industry: PointsRule = Field(default_factory=_fit_industry, description="Industry of the company")
    employees: BandsRule = Field(default_factory=_fit_employees, description="Number of employees")
    revenue: BandsRule = Field(default_factory=_fit_revenue, description="Annual revenue (in the file's currency)")
    country: PointsRule = Field(
        default_factory=_fit_country, description="Country (ISO code) or a region name from `regions`"
    )
    technologies: SignalRule = Field(default_factory=_fit_technologies, description="Technologies the company uses")
    keywords: SignalRule = Field(default_factory=_fit_keywords, description="Keywords describing the company")
    regions: dict[str, list[str]] = Field(
        default_factory=_regions, description="Region names usable in `country.points` and segment rules"
    )
    competitor_domains: list[str] = Field(
        default_factory=lambda: ["competitor.example"],
        description="Domains of competitors: their people are capped at competitor_cap and suppressed",
    )
    competitor_cap: float = Field(0.0, ge=0, le=100, description="Highest fit a competitor can get")
    free_mail_only_cap: float = Field(
        20.0, ge=0, le=100, description="Highest fit for a person with only a free-mail address and no company domain"
    )
    excluded_countries: list[str] = Field(
        default_factory=list, description="Countries you cannot sell to (ISO codes or region names)"
    )
    excluded_country_cap: float = Field(0.0, ge=0, le=100, description="Highest fit in an excluded country")
    min_coverage: float = Field(
        0.4, ge=0, le=1, description="Share of the fit points that must be known; below it the record is unscored"
    )


def _persona_seniority() -> PointsRule:
    return PointsRule(
        max_points=50,
        points={
            "owner": 50,
            "founder": 50,
            "c suite": 50,
            "partner": 42,
            "vp": 45,
            "head": 38,
            "director": 34,
            "manager": 24,
            "senior": 14,
            "entry": 6,
            "intern": 1,
        },
        other=10,
    )


def _persona_department() -> PointsRule:
    # Departments as the normalize step writes them (normalize/titles.toml); Apollo's labels match too.
    return PointsRule(
        max_points=25,
        points={
            "executive": 25,
            "sales": 25,
            "marketing": 20,
            "operations": 15,
            "customer_success": 12,
            "product": 12,
            "it": 12,
            "data": 10,
            "engineering": 10,
            "finance": 10,
            "procurement": 8,
            "consulting": 6,
            "hr": 4,
            "legal": 3,
            "design": 3,
            "other": 2,
        },
        other=5,
    )


class PersonaRole(Section):
    name: str = Field(description="Persona name (as the normalize step writes it) used in segment rules")
    points: float = Field(description="Points for a person in this role")
    title_keywords: list[str] = Field(
        default_factory=list, description="Words in a title that mean this role when the record has no persona"
    )


def _persona_roles() -> list[PersonaRole]:
    # Names follow the normalize step's persona vocabulary (economic_buyer, decision_maker, champion, user).
    return [
        PersonaRole(
            name="economic buyer",
            points=25,
            title_keywords=["ceo", "founder", "co founder", "owner", "president", "chief", "managing director", "cro"],
        ),
        PersonaRole(
            name="decision maker",
            points=22,
            title_keywords=["vp", "vice president", "svp", "evp", "head of", "head", "director"],
        ),
        PersonaRole(
            name="champion",
            points=18,
            title_keywords=["manager", "lead", "revops", "revenue operations", "sales operations", "enablement"],
        ),
        PersonaRole(name="technical buyer", points=14, title_keywords=["cto", "cio", "architect", "it manager"]),
        PersonaRole(
            name="user",
            points=8,
            title_keywords=["account executive", "sdr", "bdr", "representative", "associate", "analyst", "specialist"],
        ),
    ]


class PersonaSettings(Section):
    """Persona Influence: how much this person can move a deal."""

    seniority: PointsRule = Field(default_factory=_persona_seniority, description="Seniority (Apollo's vocabulary)")
    department: PointsRule = Field(default_factory=_persona_department, description="Department")
    role_max_points: float = Field(25.0, gt=0, description="Most points the persona role can give")
    role_other: float = Field(3.0, description="Points for a title that matches no role")
    unknown_personas: list[str] = Field(
        default_factory=lambda: ["unknown"], description="Persona values that mean the persona is not known"
    )
    roles: list[PersonaRole] = Field(
        default_factory=_persona_roles, description="Persona roles, checked in order against persona, then title"
    )
    min_coverage: float = Field(
        0.3, ge=0, le=1, description="Share of the persona points that must be known; below it the record is unscored"
    )


def _event_points() -> dict[str, float]:
    return {
        "email_sent": 0,
        "email_opened": 2,
        "email_clicked": 6,
        "email_replied": 25,
        "form_filled": 20,
        "meeting_booked": 40,
        "call_connected": 15,
        "website_visit": 2,
        "email_bounced_soft": -2,
        "email_bounced_hard": -20,
        "unsubscribed": -40,
        "spam_complaint": -50,
    }


class EngagementSettings(Section):
    """Engagement: what the person did, recent events counting more."""

    points: dict[str, float] = Field(
        default_factory=_event_points,
        description="Points per event type; negative events lower the score and do not fade",
    )
    half_life_days: float = Field(21.0, gt=0, description="Days after which a positive event counts half")
    daily_cap: int = Field(3, ge=1, description="Most events of one type per day that count")
    daily_caps: dict[str, int] = Field(
        default_factory=lambda: {"email_opened": 2, "website_visit": 2},
        description="Per event type overrides of daily_cap",
    )
    lookback_days: int = Field(365, ge=1, description="Events older than this are ignored")
    floor: float = Field(0.0, ge=0, le=100, description="The lowest engagement score")


class ScoringSettings(Section):
    """Scores, grades and suppression. Each score is 0-100 or unscored when too little is known."""

    fit_grade_min: dict[str, float] = Field(
        default_factory=lambda: {"A": 75.0, "B": 55.0, "C": 35.0},
        description="Lowest fit for grade letters A, B, C (anything lower is D)",
    )
    engagement_grade_min: dict[str, float] = Field(
        default_factory=lambda: {"1": 50.0, "2": 25.0, "3": 5.0},
        description="Lowest engagement for digits 1, 2, 3 (lower or no events is 4)",
    )
    priority_grades: list[str] = Field(
        default_factory=lambda: ["A1", "A2", "B1"], description="Grades sales should act on now"
    )
    priority_min_persona: float = Field(
        40.0, ge=0, le=100, description="Lowest persona influence for the priority flag (unscored persona passes)"
    )
    suppress_events: list[str] = Field(
        default_factory=lambda: ["unsubscribed", "email_bounced_hard", "spam_complaint"],
        description="Event types that put a person in the suppression set for good",
    )
    suppress_do_not_call: bool = Field(True, description="Suppress people marked Do Not Call")
    suppress_role_addresses: bool = Field(True, description="Suppress role addresses (info@, sales@ ...)")
    suppress_competitors: bool = Field(True, description="Suppress people at competitor domains")
    fit: FitSettings = Field(
        default_factory=FitSettings, description="Account Fit: how well the company matches who you sell to"
    )
    persona: PersonaSettings = Field(
        default_factory=PersonaSettings, description="Persona Influence: how much this person can move a deal"
    )
    engagement: EngagementSettings = Field(
        default_factory=EngagementSettings, description="Engagement: what the person did, recent events counting more"
    )

    @field_validator("fit_grade_min", "engagement_grade_min")
    @classmethod
    def _thresholds(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        keys = ["A", "B", "C"] if info.field_name == "fit_grade_min" else ["1", "2", "3"]
        if sorted(value) != sorted(keys):
            raise ValueError(f"give exactly the keys {', '.join(keys)}")
        ordered = [value[key] for key in keys]
        if ordered != sorted(ordered, reverse=True):
            raise ValueError(f"thresholds must fall from {keys[0]} to {keys[-1]}")
        return {key: value[key] for key in keys}

    @field_validator("priority_grades")
    @classmethod
    def _grades(cls, value: list[str]) -> list[str]:
        bad = [grade for grade in value if len(grade) != 2 or grade[0] not in "ABCD" or grade[1] not in "1234"]
        if bad:
            raise ValueError(f"not grades (A1 ... D4): {bad}")
        return value


class SegmentSpec(Section):
    name: str = Field(description="Segment name, shown in previews and exports")
    rule: str = Field(description='Who is in it, e.g. fit >= 70 and country in ["DE", "FR"]')
    zoho_tags: list[str] = Field(default_factory=list, description="Tags set in Zoho (the owned prefix is added)")
    ghl_tags: list[str] = Field(default_factory=list, description="Tags set in GoHighLevel (the owned prefix is added)")
    custom_field: str | None = Field(None, description="Optional Zoho field set to custom_value for members")
    custom_value: str | None = Field(None, description="Value written to custom_field")
    outreach: bool = Field(True, description="An outreach segment never holds a suppressed person")


def _default_segments() -> list[SegmentSpec]:
    return [
        SegmentSpec(
            name="hot",
            rule='grade in ["A1", "A2", "B1"] and persona in ["economic buyer", "decision maker", "champion"]',
            zoho_tags=["hot"],
            ghl_tags=["hot"],
            custom_field="Lead_Segment",
            custom_value="Hot",
        ),
        SegmentSpec(
            name="nurture",
            rule="fit >= 55 and (engagement is null or engagement < 25)",
            zoho_tags=["nurture"],
            ghl_tags=["nurture"],
            custom_field="Lead_Segment",
            custom_value="Nurture",
        ),
        SegmentSpec(
            name="champions-dach",
            rule='persona == "champion" and country in ["DACH"] and fit >= 35',
            zoho_tags=["dach-champion"],
            ghl_tags=["dach-champion"],
        ),
        SegmentSpec(
            name="do-not-contact",
            rule="suppressed",
            zoho_tags=["do-not-contact"],
            ghl_tags=["do-not-contact"],
            outreach=False,
        ),
    ]


class SegmentsSettings(Section):
    """Segments: rules over scores and fields that become tags in Zoho and GoHighLevel."""

    tag_prefix: str = Field(
        "lf-", min_length=1, description="Prefix of the tags leadflow owns; tags without it are never touched"
    )
    segment: list[SegmentSpec] = Field(
        default_factory=_default_segments, description="One [[segments.segment]] table per segment, in priority order"
    )

    @field_validator("segment")
    @classmethod
    def _unique_names(cls, value: list[SegmentSpec]) -> list[SegmentSpec]:
        names = [spec.name for spec in value]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"segment names must be unique: {duplicates}")
        return value


MergePolicy = Literal["source_priority", "most_recent", "most_complete"]


class ResolveSettings(Section):
    match_threshold: float = Field(
        0.99, gt=0, lt=1, description="Least splink match probability for two rows without a shared key to be joined"
    )
    strong_evidence_weight: float = Field(
        18.0,
        description="Match weight above which a pair is joined even when the rows hold different verified "
        "emails at one domain (namesakes at one company are real, so this is high)",
    )
    train_min_rows: int = Field(
        2000, ge=0, description="Fewer candidate rows than this: keep the built-in m/u probabilities, do not train"
    )
    seed: int = Field(42, description="Seed of the random sampling that estimates u probabilities (repeatable runs)")
    max_pairs_for_u: float = Field(
        2e6, gt=0, description="Random pairs sampled to estimate u probabilities (more: slower, more accurate)"
    )
    duckdb_memory_limit: str = Field(
        "2GB", description="Most memory DuckDB may use while resolving; it spills to a temporary folder beyond it"
    )
    backend: Literal["duckdb", "spark"] = Field(
        "duckdb",
        description="Where splink trains and scores pairs: duckdb (in process) or spark (needs "
        "pip install 'leadflow[spark]'; for volumes past one machine); both give the same clusters",
    )
    spark_master: str = Field(
        "local[2]", min_length=1, description="Spark master URL when backend = spark: local[N] or a cluster's master"
    )
    spark_shuffle_partitions: int = Field(
        4, ge=1, description="Spark shuffle partitions (small for one machine, about 2-3 per cluster core beyond it)"
    )
    spark_driver_memory: str = Field(
        "2g", min_length=1, description="Memory of the Spark driver (a new local session only), e.g. 2g"
    )
    spark_checkpoint_dir: str = Field(
        "",
        description="Folder (or HDFS/S3 URL) where Spark writes splink's intermediate tables as Parquet; "
        "empty: keep them in memory",
    )
    merge_policy: MergePolicy = Field(
        "source_priority",
        description="How a golden field is chosen among a cluster's values: "
        "source_priority, most_recent, most_complete",
    )
    source_priority: list[str] = Field(
        ["crm", "apollo", "salesnav", "linkedin", "mapped"],
        description="Source kinds from most to least trusted (used by source_priority and to break ties)",
    )
    fill_only_if_empty: list[str] = Field(
        ["first_name", "last_name", "title", "phone_e164"],
        description="Fields that keep the CRM's value when a person edited it in Zoho; other sources only fill blanks",
    )


class Settings(BaseSettings):
    """Everything leadflow can be told. Build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="LEADFLOW_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="forbid",
        validate_default=True,
    )

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="State store: sqlite:///FILE (default) or postgresql+psycopg://user@host/db",
    )
    secret_key: SecretStr | None = Field(
        None, description="Key that encrypts tokens at rest (secret); set LEADFLOW_SECRET_KEY, not the file"
    )
    zoho: ZohoSettings = Field(default_factory=ZohoSettings)
    ghl: GhlSettings = Field(default_factory=GhlSettings)
    tracking: TrackingSettings = Field(default_factory=TrackingSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    resolve: ResolveSettings = Field(default_factory=ResolveSettings)
    scoring: ScoringSettings = Field(default_factory=ScoringSettings)
    segments: SegmentsSettings = Field(default_factory=SegmentsSettings)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL: {value!r}") from exc
        backend = url.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database {backend!r}: use sqlite:///FILE or postgresql+psycopg://...")
        if backend == "postgresql" and url.get_driver_name() not in ("psycopg", "psycopg2"):
            raise ValueError("use the psycopg driver: postgresql+psycopg://user@host/db")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if settings_cls.model_config.get("toml_file"):
            sources.append(TomlConfigSettingsSource(settings_cls))
        return tuple(sources)


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The config file in use: the argument, else ``$LEADFLOW_CONFIG``, else ``./leadflow.toml``."""
    if explicit is not None:
        return Path(explicit)
    return Path(os.environ.get(CONFIG_ENV_VAR, DEFAULT_CONFIG_FILE))


def load_settings(path: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Read settings from the config file (if it exists) and the environment.

    Raises :class:`ConfigError` with a one-line message naming the file, key and reason.

    Example:
        >>> settings = load_settings("/nonexistent/leadflow.toml")
        >>> settings.zoho.api_version
        'v8'
    """
    file = config_path(path)
    settings_cls: type[Settings] = Settings
    if file.exists():
        try:
            with file.open("rb") as handle:
                tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: not valid TOML: {exc}") from exc
        settings_cls = type("FileSettings", (Settings,), {"model_config": {**Settings.model_config, "toml_file": file}})
    try:
        return settings_cls(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, file if file.exists() else None)) from exc


def _describe(exc: ValidationError, file: Path | None) -> str:
    problems = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        key = _key_name(loc)
        reason = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            reason = "unknown key"
        elif error["type"] == "value_error":
            pass
        elif "input" in error and not isinstance(error["input"], dict) and not _is_secret_key(loc):
            reason = f"{reason} (got {error['input']!r})"
        problems.append(f"{key}: {reason}")
    where = str(file) if file else "environment"
    return f"{where}: " + "; ".join(problems)


def _key_name(loc: list[str]) -> str:
    if len(loc) == 1:
        return loc[0]
    return f"[{'.'.join(loc[:-1])}] {loc[-1]}"


def _is_secret_key(loc: list[str]) -> bool:
    name = loc[-1] if loc else ""
    return any(word in name for word in ("secret", "token", "key", "password"))


def render_default_config() -> str:
    """A commented ``leadflow.toml`` holding every setting at its default.

    Secrets and unset values are written commented out: they belong in the environment.
    """
    lines = [
        "# leadflow configuration. Every setting is shown with its default.",
        "# Any key can also be set in the environment, which wins over this file:",
        "#   top-level keys as LEADFLOW_<KEY>, section keys as LEADFLOW_<SECTION>_<KEY>",
        "#   (e.g. [zoho] client_id is LEADFLOW_ZOHO_CLIENT_ID).",
        "# Keep secrets (marked 'secret') in the environment, not in this file.",
        "",
    ]
    lines += _render_fields(Settings, None, prefix="LEADFLOW_")
    for name, info in Settings.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            section = info.get_default(call_default_factory=True)
            lines += _render_table(annotation, section, path=name, prefix=f"LEADFLOW_{name.upper()}_")
    return "\n".join(lines) + "\n"


def _render_table(
    model: type[BaseModel],
    value: BaseModel | None,
    *,
    path: str,
    prefix: str,
    array: bool = False,
    comment: str | None = None,
) -> list[str]:
    """One ``[path]`` (or ``[[path]]``) table: its plain keys, then dicts as sub-tables, then nested models.

    Lists of models directly under a section become ``[[path]]`` tables; deeper ones are written inline.
    """
    lines = [""]
    if comment:
        lines.append(f"# {comment}")
    lines.append(f"[[{path}]]" if array else f"[{path}]")
    lines += _render_fields(model, value, prefix=prefix, with_comments=not array or comment is not None)
    for name, info in model.model_fields.items():
        key = _toml_key(info.alias or name)
        current = getattr(value, name) if value is not None else info.get_default(call_default_factory=True)
        if isinstance(current, dict) and current and _model_of(info.annotation) is None:
            lines += ["", f"# {info.description}" if info.description else "", f"[{path}.{key}]"]
            lines += [f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in current.items()]
    for name, info in model.model_fields.items():
        key = _toml_key(info.alias or name)
        current = getattr(value, name) if value is not None else info.get_default(call_default_factory=True)
        sub = _model_of(info.annotation)
        if sub is None or (isinstance(current, list) and "." in path):
            continue
        if isinstance(current, list):
            for index, item in enumerate(current):
                lines += _render_table(
                    sub,
                    item,
                    path=f"{path}.{key}",
                    prefix=prefix,
                    array=True,
                    comment=info.description if index == 0 else None,
                )
        else:
            lines += _render_table(sub, current, path=f"{path}.{key}", prefix=prefix, comment=info.description)
    return [line for index, line in enumerate(lines) if line or index == 0 or lines[index - 1]]


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, itself or as list items; None for plain values."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args: tuple[Any, ...] = tuple(getattr(annotation, "__args__", ()))
    if getattr(annotation, "__origin__", None) is list and len(args) == 1:
        item = args[0]
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
    return None


def _render_fields(
    model: type[BaseModel], value: BaseModel | None, *, prefix: str, with_comments: bool = True
) -> list[str]:
    lines: list[str] = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        key = info.alias or name
        default = getattr(value, name) if value is not None else info.get_default(call_default_factory=True)
        sub = _model_of(annotation)
        if isinstance(default, dict) and default and sub is None:
            continue  # written as a sub-table after the plain keys
        if sub is not None and not (isinstance(default, list) and value is not None and _is_nested(model)):
            continue
        if info.description and with_comments:
            lines.append(f"# {info.description}")
        is_secret = "SecretStr" in str(annotation)
        if is_secret:
            lines.append(f"# {key} = ...  (set {prefix}{name.upper()})")
        elif default is None:
            lines.append(f"# {key} =")
        elif isinstance(default, list) and default and sub is not None:
            lines.append(f"{_toml_key(key)} = [")
            lines += [f"    {_toml_value(item)}," for item in default]
            lines.append("]")
        else:
            lines.append(f"{_toml_key(key)} = {_toml_value(default)}")
    return lines


def _is_nested(model: type[BaseModel]) -> bool:
    """Models below a section write their lists of models inline (only sections get ``[[...]]`` tables)."""
    return not any(_model_of(info.annotation) is model for info in Settings.model_fields.values())


def _toml_key(key: str) -> str:
    import tomlkit

    return tomlkit.key(key).as_string()


def _toml_value(value: Any) -> str:
    """A value as inline TOML: dicts become inline tables (keys quoted when needed), floats stay floats."""
    import tomlkit

    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, BaseModel):
        return _toml_value(value.model_dump(exclude_none=True))
    if isinstance(value, str) and '"' in value and "'" not in value and "\n" not in value:
        return f"'{value}'"  # a literal string keeps rules with quotes readable
    return str(tomlkit.item(value).as_string())
