"""All tables, on one ``MetaData`` that Alembic compares against. One module per concern."""

from leadflow.store.schema.base import metadata
from leadflow.store.schema.core import kv, quarantine, runs, source_records
from leadflow.store.schema.ghl import ghl_request_ledger, ghl_tokens
from leadflow.store.schema.prospects import prospects
from leadflow.store.schema.resolve import (
    cluster_members,
    crm_cluster_members,
    crm_records,
    golden_companies,
    golden_people,
)
from leadflow.store.schema.review import review_decisions, review_pairs
from leadflow.store.schema.scoring import engagement_events, record_tags, scores
from leadflow.store.schema.sync import sync_locks, sync_log, sync_outbox, sync_records
from leadflow.store.schema.tracking import dead_letters, tracking_actions, webhook_deliveries
from leadflow.store.schema.zoho import zoho_connections, zoho_credit_ledger, zoho_tokens

__all__ = [
    "cluster_members",
    "crm_cluster_members",
    "crm_records",
    "dead_letters",
    "engagement_events",
    "ghl_request_ledger",
    "ghl_tokens",
    "golden_companies",
    "golden_people",
    "kv",
    "metadata",
    "prospects",
    "quarantine",
    "record_tags",
    "review_decisions",
    "review_pairs",
    "runs",
    "scores",
    "source_records",
    "sync_locks",
    "sync_log",
    "sync_outbox",
    "sync_records",
    "tracking_actions",
    "webhook_deliveries",
    "zoho_connections",
    "zoho_credit_ledger",
    "zoho_tokens",
]
