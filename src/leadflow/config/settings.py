"""Settings: ``leadflow.toml`` plus ``LEADFLOW_*`` environment variables (the environment wins).

Nested sections map to environment variables with one underscore, e.g. ``[zoho] client_id`` is
``LEADFLOW_ZOHO_CLIENT_ID``. Secrets are ``SecretStr``: their ``repr`` and ``str`` never show the value.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from leadflow.config.base import Section
from leadflow.config.scoring import ScoringSettings, SegmentsSettings
from leadflow.config.sync import SyncSettings
from leadflow.config.tracking import StageSync, TrackingRules
from leadflow.errors import ConfigError

CONFIG_ENV_VAR = "LEADFLOW_CONFIG"
DEFAULT_CONFIG_FILE = "leadflow.toml"
DEFAULT_DATABASE_URL = "sqlite:///leadflow.db"

DataCentre = Literal["us", "eu", "in", "au", "jp", "ca", "cn", "sa"]


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
    allow_send_mail: bool = Field(
        False, description="Let leadflow send e-mail through Zoho (actions/send_mail); off: every send is refused"
    )


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
    rescore_delay_seconds: float = Field(
        1.0,
        ge=0,
        le=3600,
        description="A person is re-scored once no event of theirs arrived for this long (a burst costs one run)",
    )
    rescore_max_delay_seconds: float = Field(
        3.0, ge=0, le=3600, description="...but no later than this after their first waiting event"
    )
    sync_after_rescore: bool = Field(
        True,
        description="Push re-scored people's changed fields, segment tags, DND and workflow enrolments to the"
        " configured targets at once (a sync of those people only)",
    )
    lease_seconds: int = Field(
        120, ge=1, description="A worker's claim on events and actions; past it another worker takes them over"
    )
    uncertain_settle_seconds: float = Field(
        60.0,
        ge=0,
        description="An uncertain Zoho write (its worker died, its answer was lost or timed out) may still land this"
        " long after its sender gave up: an abandoned action is taken over, and an uncertain one looked up in Zoho,"
        " only once it has passed (the client's read timeout, 60 s, is a fair bound)",
    )
    action_max_attempts: int = Field(6, ge=1, description="Attempts at a Zoho action before it is marked failed")
    action_retry_seconds: float = Field(
        5.0, gt=0, description="Wait before retrying a failed action (doubling each attempt, at most 10 minutes)"
    )
    action_concurrency: int = Field(
        4, ge=1, le=10, description="Zoho actions performed at once (different people's; one person's in order)"
    )
    rules: TrackingRules = Field(default_factory=TrackingRules, description="What events write in Zoho")
    stages: StageSync = Field(default_factory=StageSync, description="Deal stages both ways (GHL <-> Zoho)")
    public_url: str = Field(
        "",
        description="Address Zoho and GHL reach the service at (e.g. https://hooks.example.com); unset: the bound "
        "http://host:port. The Zoho channel's notify_url is <public_url>/webhooks/zoho",
    )
    zoho_channel_renew_fraction: float = Field(
        0.8, gt=0, lt=1, description="Share of the channel's life (Zoho: at most one day) after which serve renews it"
    )
    reconcile_every_seconds: int = Field(
        300, ge=0, description="How often `leadflow serve` polls GHL and Zoho for what webhooks missed; 0 = never"
    )
    reconcile_overlap_seconds: int = Field(
        300, ge=0, description="Each reconcile re-reads this much before its cursor (late writes; stored once)"
    )
    reconcile_first_lookback_hours: int = Field(
        24, ge=1, description="How far back the first reconcile (no cursor yet) reads"
    )


class DashboardSettings(Section):
    token: SecretStr | None = Field(
        None,
        description="Token that opens /dashboard (Bearer header or the login form) (secret); unset: `leadflow serve`"
        " generates one, keeps only its hash in the store and prints it",
        min_length=16,
    )
    session_hours: int = Field(12, ge=1, le=24 * 30, description="How long a dashboard sign-in cookie lasts")
    refresh_seconds: int = Field(
        60,
        ge=0,
        description="A dashboard page is recomputed when older than this and the store changed (0: on every view)",
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


class ReportSettings(Section):
    currency: str = Field(
        "EUR", pattern="^[A-Z]{3}$", description="ISO 4217 code Deal amounts are shown in (the Zoho org's currency)"
    )
    zoho_org_id: str = Field(
        "", description="Zoho org id (Setup > Company Details) for links to Zoho records; empty: links without it"
    )


MergePolicy = Literal["source_priority", "most_recent", "most_complete"]


class ResolveSettings(Section):
    match_threshold: float = Field(
        0.99, gt=0, lt=1, description="Least splink match probability for two rows without a shared key to be joined"
    )
    review_threshold: float = Field(
        0.5,
        gt=0,
        lt=1,
        description="Pairs scored from this match probability up to match_threshold are not joined but listed "
        "for review (`leadflow review list`), with the pairs the namesake guard kept apart",
    )
    strong_evidence_weight: float = Field(
        22.0,
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
        ["first_name", "last_name", "email", "title", "phone_e164"],
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
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    resolve: ResolveSettings = Field(default_factory=ResolveSettings)
    scoring: ScoringSettings = Field(default_factory=ScoringSettings)
    segments: SegmentsSettings = Field(default_factory=SegmentsSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)

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
