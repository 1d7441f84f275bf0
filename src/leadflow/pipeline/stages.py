"""The pipeline's stages, in order. Later stages register here as they are built."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    name: str
    summary: str


def available_stages() -> list[Stage]:
    return [
        Stage("store", "state store created and migrated (runs, source records, quarantine, cursors)"),
        Stage("ingest", "export files read into source records and normalized prospects; bad rows quarantined"),
        Stage("resolve", "prospects (+ CRM mirror) -> golden people and companies, with provenance and stable ids"),
        Stage("score", "fit, persona and engagement scores with reasons, grades, suppression, segments and owned tags"),
        Stage("plan", "desired state against what was last pushed: operations with example diffs (leadflow plan)"),
        Stage("sync", "operations through the outbox to Zoho, exactly once, within the credit budget (leadflow sync)"),
    ]
