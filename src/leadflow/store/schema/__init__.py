"""All tables, on one ``MetaData`` that Alembic compares against. One module per concern."""

from leadflow.store.schema.base import metadata
from leadflow.store.schema.core import kv, quarantine, runs, source_records
from leadflow.store.schema.prospects import prospects

__all__ = ["kv", "metadata", "prospects", "quarantine", "runs", "source_records"]
