"""The stages in order, as one call: ingest, mirror the CRM, resolve, score and segment, plan and sync.

Each stage still reads its input from the store and writes its output there (any one can be rerun alone with
its own command); this module only runs them one after another and reports what each did.

Example:
    >>> result = run(settings, engine, files=[Path("apollo.csv")])  # doctest: +SKIP
    >>> result.sync.counts["Leads created"]  # doctest: +SKIP
    120
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx
    from sqlalchemy import Engine

    from leadflow.config import Settings
    from leadflow.pipeline.ingest import IngestReport
    from leadflow.pipeline.resolve import ResolveReport
    from leadflow.pipeline.score import ScoreOutcome
    from leadflow.sync.runner import SyncReport

STAGES = ("ingest", "mirror", "resolve", "score", "sync")


@dataclass(frozen=True)
class StageProgress:
    """How far a stage is: ``done`` of ``total`` (None: not known yet) counted in ``unit``.

    ``stage`` is one of :data:`STAGES`, or ``sync <phase>`` (``sync Leads``, ``sync tags``...) for the sync's
    phases. Every stage reports once when it starts (``done == 0``) and once when it ends (``done == total``).
    """

    stage: str
    done: int
    total: int | None
    unit: str  # "bytes", "records", "people"
    note: str = ""  # what the stage is doing now ("matching 12,000 records"), for stages without a count


ProgressCallback = Callable[[StageProgress], None]


@dataclass
class PipelineResult:
    """What each stage did; a stage that was not run is None (``mirrored`` is then empty)."""

    ingest: IngestReport | None
    resolve: ResolveReport
    score: ScoreOutcome
    sync: SyncReport | None
    mirrored: dict[str, int] = field(default_factory=dict)
    ghl_sync: SyncReport | None = None  # the sync to GoHighLevel, when it was one of the targets
    zoho_links: SyncReport | None = None  # the Zoho pass after GHL's that writes the new GHL contact ids


def run(
    settings: Settings,
    engine: Engine,
    *,
    files: Sequence[Path] = (),
    against_crm: bool = True,
    sync: bool = True,
    progress: ProgressCallback | None = None,
    http_client: httpx.Client | None = None,
    targets: Sequence[str] = ("zoho",),
    ghl_http_client: httpx.Client | None = None,
) -> PipelineResult:
    """Run the stages in order on the store ``engine`` with ``settings``.

    - ``files``: exports to ingest first (none: start from what the store holds).
    - ``against_crm``: mirror Zoho's Leads, Contacts and Accounts (incrementally) and resolve against them.
    - ``sync``: plan and push the result to Zoho through the outbox (False stops after scoring).
    - ``http_client``: the client the Zoho calls go through (tests); one is made from ``[zoho]`` otherwise.
    - ``targets``: where the sync writes, in this order (``zoho``, ``ghl``); ``ghl_http_client`` as for Zoho.

    A stage that fails raises (its run is recorded as failed in the store); the stages after it do not run.
    """
    from leadflow.pipeline.ingest import ingest_files
    from leadflow.pipeline.resolve import run_resolve
    from leadflow.pipeline.score import run_score_stage

    report = progress or _ignore
    ingested = None
    if files:
        ingested = ingest_files(engine, list(files), progress=_ingest_progress(files, report))
    mirrored: dict[str, int] = {}
    if against_crm:
        mirrored = _mirror(settings, engine, report, http_client)
    report(StageProgress("resolve", 0, None, "people"))
    resolved = run_resolve(
        engine,
        settings.resolve,
        against_crm=against_crm,
        on_step=lambda text: report(StageProgress("resolve", 0, None, "people", note=text)),
    )
    people = int(resolved.stats.get("golden_people", 0))
    report(StageProgress("resolve", people, people, "people"))
    report(StageProgress("score", 0, None, "people"))
    scored = run_score_stage(
        engine, settings, on_step=lambda text: report(StageProgress("score", 0, None, "people", note=text))
    )
    report(StageProgress("score", scored.records, scored.records, "people"))
    synced = _sync(settings, engine, report, http_client) if sync and "zoho" in targets else None
    to_ghl = _sync_ghl(settings, engine, report, ghl_http_client) if sync and "ghl" in targets else None
    # GHL's contact ids exist only now: one more (cheap) Zoho pass writes the cross-links, so the next run has
    # nothing left to do
    links = _sync(settings, engine, report, http_client) if synced is not None and to_ghl is not None else None
    return PipelineResult(
        ingest=ingested,
        resolve=resolved,
        score=scored,
        sync=synced,
        mirrored=mirrored,
        ghl_sync=to_ghl,
        zoho_links=links,
    )


def push(
    settings: Settings,
    engine: Engine,
    *,
    targets: Sequence[str] = ("zoho",),
    progress: ProgressCallback | None = None,
) -> tuple[SyncReport | None, SyncReport | None]:
    """Plan and sync what the store holds now (scores, tags, suppression) to ``targets``, without ingesting,
    mirroring, resolving or scoring first: e.g. after the tracking worker re-scored people. Returns the Zoho and
    the GoHighLevel reports (None for a target not asked for)."""
    report = progress or _ignore
    to_zoho = _sync(settings, engine, report, None) if "zoho" in targets else None
    to_ghl = _sync_ghl(settings, engine, report, None) if "ghl" in targets else None
    return to_zoho, to_ghl


def _ingest_progress(files: Sequence[Path], report: ProgressCallback) -> Callable[[Path, int, int], None]:
    total = sum(path.stat().st_size for path in files)
    done: dict[Path, int] = {}
    report(StageProgress("ingest", 0, total, "bytes"))

    def ingested(path: Path, read: int, _size: int) -> None:
        done[path] = read
        report(StageProgress("ingest", min(sum(done.values()), total), total, "bytes"))

    return ingested


def _mirror(
    settings: Settings, engine: Engine, report: ProgressCallback, http_client: httpx.Client | None
) -> dict[str, int]:
    from leadflow.pipeline.deal_mirror import mirror_deals
    from leadflow.pipeline.sync import mirror_crm
    from leadflow.zoho.client import ZohoClient

    report(StageProgress("mirror", 0, None, "records"))
    with ZohoClient.from_settings(settings, engine, http_client) as zoho:
        mirrored = mirror_crm(settings, engine, zoho)
        mirrored["Deals"] = mirror_deals(settings, engine, zoho)
    total = sum(mirrored.values())
    report(StageProgress("mirror", total, total, "records"))
    return mirrored


def _sync(settings: Settings, engine: Engine, report: ProgressCallback, http_client: httpx.Client | None) -> SyncReport:
    from leadflow.pipeline.sync import zoho_sync

    def phase_progress(phase: str, done: int, total: int) -> None:
        report(StageProgress(f"sync {phase}", done, max(total, done), "records"))

    with zoho_sync(settings, engine, progress=phase_progress, http_client=http_client) as runner:
        return runner.run()


def _sync_ghl(
    settings: Settings, engine: Engine, report: ProgressCallback, http_client: httpx.Client | None
) -> SyncReport:
    from leadflow.pipeline.ghl_sync import ghl_sync

    def phase_progress(phase: str, done: int, total: int) -> None:
        report(StageProgress(f"GHL {phase}", done, max(total, done), "records"))

    with ghl_sync(settings, engine, progress=phase_progress, http_client=http_client) as runner:
        return runner.run()


def _ignore(_progress: StageProgress) -> None:
    return None
