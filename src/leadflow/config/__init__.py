"""Settings: ``leadflow.toml`` plus ``LEADFLOW_*`` environment variables (the environment wins).

The package keeps one job per module: :mod:`~leadflow.config.settings` (the sections and loading),
:mod:`~leadflow.config.sync` (``[sync]`` and its per-target tables), :mod:`~leadflow.config.scoring`
(scoring and segment rules with their defaults) and :mod:`~leadflow.config.render` (``leadflow init``'s file).
"""

from leadflow.config.base import Section
from leadflow.config.render import render_default_config
from leadflow.config.scoring import (
    Band,
    BandsRule,
    EngagementSettings,
    FitSettings,
    PersonaRole,
    PersonaSettings,
    PointsRule,
    ScoringSettings,
    SegmentSpec,
    SegmentsSettings,
    SignalRule,
)
from leadflow.config.settings import (
    CONFIG_ENV_VAR,
    DEFAULT_CONFIG_FILE,
    DEFAULT_DATABASE_URL,
    DashboardSettings,
    DataCentre,
    GhlSettings,
    IngestSettings,
    LoggingSettings,
    MergePolicy,
    ReportSettings,
    ResolveSettings,
    Settings,
    TrackingSettings,
    ZohoSettings,
    config_path,
    load_settings,
)
from leadflow.config.sync import GhlSyncSettings, SyncSettings, ZohoSyncSettings

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_CONFIG_FILE",
    "DEFAULT_DATABASE_URL",
    "Band",
    "BandsRule",
    "DashboardSettings",
    "DataCentre",
    "EngagementSettings",
    "FitSettings",
    "GhlSettings",
    "GhlSyncSettings",
    "IngestSettings",
    "LoggingSettings",
    "MergePolicy",
    "PersonaRole",
    "PersonaSettings",
    "PointsRule",
    "ReportSettings",
    "ResolveSettings",
    "ScoringSettings",
    "Section",
    "SegmentSpec",
    "SegmentsSettings",
    "Settings",
    "SignalRule",
    "SyncSettings",
    "TrackingSettings",
    "ZohoSettings",
    "ZohoSyncSettings",
    "config_path",
    "load_settings",
    "render_default_config",
]
