"""``[scoring]`` and ``[segments]``: the rules and their defaults (data, not code)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field, ValidationInfo, field_validator

from leadflow.config.base import Section


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

    as_of: datetime | None = Field(
        None,
        description="Score as of this moment, not now (engagement fades with time): a demo's fixed week, a"
        " reproducible backfill; unset: now",
    )

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

    @field_validator("as_of")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

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
    ghl_workflow: str | None = Field(
        None, description="GoHighLevel workflow (id or name) a person is enrolled in once, on entering the segment"
    )
    ghl_unenroll_on_exit: bool = Field(
        False, description="Remove the person from ghl_workflow when they leave the segment (else they stay)"
    )
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
