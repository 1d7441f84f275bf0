"""All tables, on one ``MetaData`` that Alembic compares against. One module per concern."""

from leadflow.store.schema.base import metadata
from leadflow.store.schema.core import kv, quarantine, runs, source_records
from leadflow.store.schema.prospects import prospects
from leadflow.store.schema.resolve import cluster_members, crm_records, golden_companies, golden_people
from leadflow.store.schema.scoring import engagement_events, record_tags, scores

__all__ = [
    "cluster_members",
    "crm_records",
    "engagement_events",
    "golden_companies",
    "golden_people",
    "kv",
    "metadata",
    "prospects",
    "quarantine",
    "record_tags",
    "runs",
    "scores",
    "source_records",
]
