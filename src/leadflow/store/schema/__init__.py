"""All tables, on one ``MetaData`` that Alembic compares against. One module per concern."""

from leadflow.store.schema.base import metadata
from leadflow.store.schema.core import kv, quarantine, runs, source_records
from leadflow.store.schema.deals import crm_deal_stages, crm_deals
from leadflow.store.schema.ghl import ghl_request_ledger, ghl_tokens
from leadflow.store.schema.merges import golden_merges, record_merges
from leadflow.store.schema.prospects import prospects
from leadflow.store.schema.report_facts import (
    report_event_days,
    report_facts_log,
    report_facts_state,
    report_person_facts,
    report_person_segments,
)
from leadflow.store.schema.resolve import (
    cluster_members,
    crm_cluster_members,
    crm_records,
    golden_companies,
    golden_people,
)
from leadflow.store.schema.review import review_decisions, review_pairs
from leadflow.store.schema.scoring import engagement_events, record_tags, scores
from leadflow.store.schema.sync import lead_conversions, sync_locks, sync_log, sync_outbox, sync_records
from leadflow.store.schema.tracking import dead_letters, deal_links, tracking_actions, webhook_deliveries
from leadflow.store.schema.zoho import zoho_connections, zoho_credit_ledger, zoho_tokens

__all__ = [
    "cluster_members",
    "crm_cluster_members",
    "crm_deal_stages",
    "crm_deals",
    "crm_records",
    "dead_letters",
    "deal_links",
    "engagement_events",
    "ghl_request_ledger",
    "ghl_tokens",
    "golden_companies",
    "golden_merges",
    "golden_people",
    "kv",
    "lead_conversions",
    "metadata",
    "prospects",
    "quarantine",
    "record_merges",
    "record_tags",
    "report_event_days",
    "report_facts_log",
    "report_facts_state",
    "report_person_facts",
    "report_person_segments",
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
