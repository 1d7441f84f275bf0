"""The CRM mirror, plan and sync stages: Zoho records into the store, golden records back out through the
sync engine."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path

import httpx
from sqlalchemy import Connection, Engine

from leadflow.config import Settings
from leadflow.log import get_logger
from leadflow.reporting.facts import refresh_report_facts
from leadflow.store.crm import MODULES as CRM_MODULES
from leadflow.store.crm import finish_load, latest_modified_time, start_load, unfinished_load
from leadflow.store.sync_memory import small_page_cache
from leadflow.store.sync_source import note_mirror_loaded
from leadflow.sync.lead_to_contact import settle_leads_matched_to_contacts
from leadflow.sync.merge_apply import merge_golden_records, merge_own_records_matched
from leadflow.sync.merge_zoho import ZohoMerger
from leadflow.sync.plan import Plan, Planner, PlanTally
from leadflow.sync.planfile import write_plan_stream
from leadflow.sync.runner import Progress, SyncRunner
from leadflow.sync.zoho_schema import zoho_schema
from leadflow.sync.zoho_target import ZohoTarget
from leadflow.zoho.client import ClientOptions, ZohoClient


def zoho_planner(settings: Settings) -> Planner:
    """The planner of a sync to Zoho with ``[sync]``, ``[sync.zoho]`` and the owned tag prefix."""
    return Planner(
        zoho_schema(settings.sync.zoho), tag_prefix=settings.segments.tag_prefix, chunk=settings.sync.chunk_records
    )


def plan_sync(settings: Settings, engine: Engine) -> Plan:
    """What a sync to Zoho would do now (no call, no write), the whole plan in memory.

    Example:
        >>> plan_sync(load_settings(), open_store("sqlite:///leadflow.db")).counts()  # doctest: +SKIP
        {'Leads create': 120, 'Leads tags added': 80, 'unchanged records': 0}
    """
    with engine.connect() as connection:
        return zoho_planner(settings).build(connection)


def write_plan_file(settings: Settings, engine: Engine, path: Path) -> PlanTally:
    """Plan the sync to Zoho straight into ``path`` (streamed: no operation is held); its tally back."""
    planner = zoho_planner(settings)
    tally = planner.new_tally()
    with small_page_cache(engine), engine.connect() as connection:
        write_plan_stream(planner.chunks(connection, tally), tally, path)
    return tally


@contextmanager
def zoho_sync(
    settings: Settings,
    engine: Engine,
    *,
    progress: Progress | None = None,
    http_client: httpx.Client | None = None,
    options: ClientOptions | None = None,
    golden_ids: Collection[str] | None = None,
) -> Iterator[SyncRunner]:
    """A sync runner writing to the Zoho org of ``[zoho]`` (closes its client at the end); with ``golden_ids``,
    it plans those people (and their companies) only.

    Example:
        >>> with zoho_sync(settings, engine) as runner:  # doctest: +SKIP
        ...     report = runner.run()
    """
    zoho = ZohoClient.from_settings(settings, engine, http_client, options=options)
    merger = ZohoMerger(zoho, settings.sync.zoho)

    def before_plan(run_id: int | None) -> Counter[str]:
        # Golden records merged since the last sync first (their records fold into one), then records leadflow
        # created for people since matched to an existing record of the same module, then Leads leadflow
        # created for people since matched to an existing Contact.
        counts = merge_golden_records(engine, merger, run_id=run_id, heartbeat=runner.renew_lock)
        counts.update(merge_own_records_matched(engine, merger, run_id=run_id, heartbeat=runner.renew_lock))
        counts.update(
            settle_leads_matched_to_contacts(
                engine,
                zoho,
                action=settings.sync.zoho.lead_matched_to_contact,
                external_id_field=settings.sync.zoho.external_id_field,
                run_id=run_id,
            )
        )
        return counts

    try:
        runner = SyncRunner(
            engine,
            ZohoTarget(zoho, settings.sync.zoho),
            settings.sync,
            progress=progress,
            tag_prefix=settings.segments.tag_prefix,
            prelude=before_plan,
            golden_ids=golden_ids,
        )
        yield runner
        refresh_report_facts(engine)  # the id map and the GHL tags feed the report facts
    finally:
        zoho.close()


# Fields the mirror keeps per module (those the org has; at most 50 per call): what resolve matches on, plus
# everything the sync writes, so "only fill if empty" sees Zoho's current value.
MIRROR_FIELDS = (
    "Email",
    "First_Name",
    "Last_Name",
    "Title",
    "Designation",
    "Phone",
    "Mobile",
    "Company",
    "Account_Name",
    "Website",
    "Industry",
    "Employees",
    "No_of_Employees",
    "Annual_Revenue",
    "City",
    "State",
    "Country",
    "Mailing_City",
    "Mailing_State",
    "Mailing_Country",
    "Billing_City",
    "Billing_Country",
    "LinkedIn",
    "LinkedIn_URL",
    "Owner",
    "Modified_Time",
)


MIRROR_CHUNK = 5_000  # records fetched, turned into mirror rows and committed at a time


def mirror_crm(settings: Settings, engine: Engine, zoho: ZohoClient) -> dict[str, int]:
    """Copy Zoho's Leads, Contacts and Accounts into ``crm_records``.

    A module's first load (nothing mirrored yet) reads it through a bulk read job when it holds more than
    ``[sync.zoho] mirror_bulk_read_above`` records, through the records API otherwise (see
    :mod:`leadflow.pipeline.crm_fetch`); later loads read only what changed since the newest ``Modified_Time``
    mirrored (the boundary itself re-read: an upsert makes that harmless).

    Records are fetched ``MIRROR_CHUNK`` at a time with no transaction open (each call books its credits in
    the store), then written in a transaction of their own. A load that stops half way is marked unfinished
    and the next run does it again from the same point, so the cursor never skips records.

    Example:
        >>> with ZohoClient.from_settings(settings, engine) as zoho:  # doctest: +SKIP
        ...     mirror_crm(settings, engine, zoho)
        {'Leads': 120, 'Contacts': 40, 'Accounts': 30}
    """
    # Imported here: the mirror's normalizers load phone metadata (~100 MB) a sync alone does not need.
    from leadflow.pipeline.crm_fetch import fetch_module, owner_names, unnamed_owner, with_owner
    from leadflow.pipeline.crm_mirror import load_crm_records

    log = get_logger(__name__)
    counts: dict[str, int] = {}
    owners: dict[str, str] | None = None
    for module in CRM_MODULES:
        fields_meta = zoho.metadata.fields(module)
        available = {str(f.get("api_name")) for f in fields_meta}
        mapped = set(settings.sync.zoho.field_map(module)) | {settings.sync.zoho.external_id_field}
        wanted = [name for name in dict.fromkeys([*MIRROR_FIELDS, *sorted(mapped)]) if name in available][:50]
        with engine.begin() as connection:
            since = _load_from(connection, module)
            start_load(connection, module=module, since=since)
        fetch = fetch_module(
            zoho,
            module,
            wanted,
            since=since,
            bulk_read_above=settings.sync.zoho.mirror_bulk_read_above,
            fields_meta=fields_meta,
        )
        written = 0
        while chunk := list(islice(fetch.records, MIRROR_CHUNK)):
            if any(unnamed_owner(record) for record in chunk):
                owners = owners if owners is not None else owner_names(zoho)
            chunk = [with_owner(record, owners or {}) for record in chunk]
            with engine.begin() as connection:
                written += load_crm_records(connection, ((module, record) for record in chunk))
        with engine.begin() as connection:
            finish_load(connection, module=module)
            note_mirror_loaded(connection, module=module)
        counts[module] = written
        log.info("crm mirror loaded", module=module, method=fetch.method, count=fetch.count, records=written)
    return counts


def _load_from(connection: Connection, module: str) -> datetime | None:
    """Where this run's load of ``module`` starts: an unfinished load's start, else the cursor (None: all)."""
    unfinished = unfinished_load(connection, module=module)
    if unfinished is not None:
        return unfinished.since
    since = latest_modified_time(connection, module=module)
    return since - timedelta(seconds=1) if since is not None else None
