"""Deal stages both ways: a GHL opportunity's stage moves its Zoho Deal, a Zoho Deal's stage moves its GHL
opportunity, by ``[tracking.stages]``; leadflow's own moves coming back are recognised and not moved again.

The link Deal <-> opportunity lives in leadflow's store (``deal_links``), not in a custom field of either
system: a Deal leadflow's conversion creates gets an opportunity for the person's GHL contact in the mapped
pipeline and stage (:class:`CreateOpportunity`, queued in the transaction that records the conversion), and
the pair is linked when that opportunity is made (or found: GHL allows one open opportunity per contact and
pipeline, so an existing one is adopted). Keeping the link in the store costs no field in either system and
needs no write beyond the opportunity itself.

Every move is an action of the tracking outbox (exactly once, looked up before a retry):

- ``zoho_deal_stage`` (from a GHL ``OpportunityStageUpdate``): moves the linked Deal to the mapped Stage.
- ``ghl_opportunity_stage`` (from a Zoho Deals notification, or a reconcile poll, naming Stage): reads the
  Deal's Stage as it is now (a notification's or a poll's values may predate a move leadflow made since) and
  moves the linked opportunity to the mapped stage. GHL's own deliveries of one contact are applied in order,
  so a GHL stage change is taken as delivered.

No bounce-back: each link remembers the stage leadflow last wrote on each side and when. A change arriving
from a side equal to what leadflow wrote there within ``echo_window_seconds`` is leadflow's own change coming
back: it is absorbed (once) and not moved across. A change equal to the stage the other side is already in
changes nothing either, so duplicates (a notification and a poll of one change) are harmless.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection

from leadflow.config.tracking import StagePipeline, StageSync
from leadflow.errors import ApiError, Duplicate, InputError
from leadflow.store import deal_links as links
from leadflow.store import tracking_actions as actions_repo
from leadflow.store.sync_ledger import synced_for
from leadflow.tracking.actions import (
    ActionContext,
    ActionHandler,
    ActionPlanner,
    ActionRow,
    NewAction,
    NotYet,
    Outcome,
    PlannedEvent,
)
from leadflow.zoho.activities import RecordRef

ZOHO_STAGE = "zoho_deal_stage"
GHL_STAGE = "ghl_opportunity_stage"
CREATE_OPPORTUNITY = "ghl_opportunity"
STAGE_KINDS = (ZOHO_STAGE, GHL_STAGE, CREATE_OPPORTUNITY)
DEAL_FIELDS = ("Deal_Name", "Stage", "Pipeline", "Amount")


class OpportunityApi(Protocol):
    def pipelines(self) -> list[dict[str, Any]]: ...

    def create(
        self,
        *,
        pipeline_id: str,
        contact_id: str,
        name: str,
        stage_id: str | None = ...,
        monetary_value: float | None = ...,
    ) -> dict[str, Any]: ...

    def get(self, opportunity_id: str) -> dict[str, Any]: ...

    def move(self, opportunity_id: str, *, stage_id: str, pipeline_id: str | None = ...) -> dict[str, Any]: ...

    def search(self, *, contact_id: str | None = ..., pipeline_id: str | None = ...) -> Any: ...


@dataclass(frozen=True)
class MappedPipeline:
    """A configured pipeline with GHL's ids: ``to_zoho`` GHL stage id -> Zoho Stage, ``to_ghl`` the reverse
    (the first GHL stage named for a Zoho Stage)."""

    pipeline_id: str
    zoho_pipeline: str
    first_stage_id: str
    to_zoho: Mapping[str, str]
    to_ghl: Mapping[str, str]


class StageMap:
    """``[tracking.stages]`` resolved against GHL's pipelines (names or ids in the config, ids out).

    Example:
        >>> config = StageSync(pipelines=[StagePipeline(ghl_pipeline="Sales", stages={"New": "Qualification"})])
        >>> ghl = [{"id": "p1", "name": "Sales", "stages": [{"id": "s1", "name": "New"}]}]
        >>> StageMap(config, ghl).zoho_stage("p1", "s1")
        'Qualification'
    """

    def __init__(self, config: StageSync, ghl_pipelines: Sequence[Mapping[str, Any]]) -> None:
        self.pipelines = [self._resolve(p, ghl_pipelines) for p in config.pipelines]

    @staticmethod
    def _resolve(wanted: StagePipeline, ghl_pipelines: Sequence[Mapping[str, Any]]) -> MappedPipeline:
        pipeline = next(
            (
                p
                for p in ghl_pipelines
                if str(p.get("id")) == wanted.ghl_pipeline
                or str(p.get("name") or "").casefold() == wanted.ghl_pipeline.casefold()
            ),
            None,
        )
        if pipeline is None:
            known = ", ".join(str(p.get("name")) for p in ghl_pipelines) or "none"
            raise InputError(f"[tracking.stages] GHL pipeline {wanted.ghl_pipeline!r} not found (pipelines: {known})")
        stages = [s for s in pipeline.get("stages") or [] if isinstance(s, Mapping)]
        to_zoho: dict[str, str] = {}
        to_ghl: dict[str, str] = {}
        for ghl_stage, zoho_stage in wanted.stages.items():
            stage = next(
                (
                    s
                    for s in stages
                    if str(s.get("id")) == ghl_stage or str(s.get("name") or "").casefold() == ghl_stage.casefold()
                ),
                None,
            )
            if stage is None:
                known = ", ".join(str(s.get("name")) for s in stages)
                raise InputError(
                    f"[tracking.stages] stage {ghl_stage!r} is not in GHL pipeline {pipeline.get('name')!r}"
                    f" (stages: {known})"
                )
            to_zoho[str(stage["id"])] = zoho_stage
            to_ghl.setdefault(zoho_stage.casefold(), str(stage["id"]))
        first = str(stages[0]["id"]) if stages else ""
        return MappedPipeline(str(pipeline["id"]), wanted.zoho_pipeline, first, to_zoho, to_ghl)

    def pipeline(self, pipeline_id: str) -> MappedPipeline | None:
        return next((p for p in self.pipelines if p.pipeline_id == pipeline_id), None)

    def for_deal(self, zoho_pipeline: str | None) -> MappedPipeline | None:
        """The GHL pipeline a Deal of ``zoho_pipeline`` follows: the first naming it, else the first naming none."""
        named = (zoho_pipeline or "").casefold()
        exact = next((p for p in self.pipelines if p.zoho_pipeline and p.zoho_pipeline.casefold() == named), None)
        return exact or next((p for p in self.pipelines if not p.zoho_pipeline), None)

    def zoho_stage(self, pipeline_id: str, stage_id: str) -> str | None:
        mapped = self.pipeline(pipeline_id)
        return mapped.to_zoho.get(stage_id) if mapped else None

    def ghl_stage(self, pipeline_id: str, zoho_stage: str) -> str | None:
        mapped = self.pipeline(pipeline_id)
        return mapped.to_ghl.get(zoho_stage.casefold()) if mapped else None


def stage_planner(config: StageSync) -> ActionPlanner:
    """Stage changes -> stage moves (pure): GHL ``deal_stage_changed`` -> ``zoho_deal_stage``; a Zoho Deals
    change naming ``Stage`` -> ``ghl_opportunity_stage``. Nothing when no pipeline is configured.

    Example:
        >>> from leadflow.tracking.events import TrackedEvent
        >>> plan = stage_planner(StageSync(pipelines=[StagePipeline(ghl_pipeline="Sales")]))
        >>> event = TrackedEvent("ghl", "w", "deal_stage_changed", None, details={"opportunity_id": "o1",
        ...                      "stage_id": "s2", "pipeline_id": "p1"})
        >>> [a.kind for a in plan(PlannedEvent(event, "p1", "ghl:w:deal_stage_changed"))]
        ['zoho_deal_stage']
    """

    def plan(item: PlannedEvent) -> list[NewAction]:
        if not config.pipelines:
            return []
        event, details = item.event, item.event.details
        if event.kind == "deal_stage_changed" and details.get("opportunity_id") and details.get("stage_id"):
            payload = {
                "opportunity_id": details["opportunity_id"],
                "pipeline_id": details.get("pipeline_id"),
                "stage_id": details["stage_id"],
            }
            return [NewAction(ZOHO_STAGE, item.event_key, item.golden_person_id, payload)]
        if event.source == "zoho" and event.zoho_module == "Deals" and event.zoho_id and event.kind == "zoho_update":
            values = details.get("values") if isinstance(details.get("values"), Mapping) else {}
            assert isinstance(values, Mapping)
            if "Stage" in (details.get("affected_fields") or []) or "Stage" in values:
                payload = {"deal_id": event.zoho_id, "stage": values.get("Stage")}
                return [NewAction(GHL_STAGE, item.event_key, item.golden_person_id, payload)]
        return []

    return plan


class _StageHandler(ActionHandler):
    """What the stage handlers share: the stage map (GHL's pipelines read once), the GHL client, the clock."""

    def __init__(self, config: StageSync) -> None:
        self.config = config
        self._map: StageMap | None = None

    def ghl(self, context: ActionContext) -> OpportunityApi:
        client = context.services.get("ghl")
        if client is None:
            raise InputError("stage sync needs GoHighLevel: configure [ghl]")
        opportunities: OpportunityApi = client.opportunities
        return opportunities

    def stage_map(self, context: ActionContext) -> StageMap:
        if self._map is None:
            self._map = StageMap(self.config, self.ghl(context).pipelines())
        return self._map

    def echo(self, written: str | None, at: datetime | None, incoming: str, context: ActionContext) -> bool:
        if written is None or at is None or written.casefold() != incoming.casefold():
            return False
        return context.clock() - at <= timedelta(seconds=self.config.echo_window_seconds)

    def read(self, context: ActionContext, run: Callable[[Connection], Any]) -> Any:
        with context.engine.connect() as connection:
            return run(connection)


def _skip(reason: str, store: Callable[[Connection], None] | None = None) -> Outcome:
    return Outcome(actions_repo.SKIPPED, reason=reason, store=store)


class MoveZohoDeal(_StageHandler):
    """A GHL opportunity moved: move its linked Deal to the mapped Zoho Stage."""

    kind = ZOHO_STAGE

    def target(self, action: ActionRow, context: ActionContext) -> RecordRef:
        link = self.read(context, lambda c: links.by_opportunity(c, str(action.payload["opportunity_id"])))
        return RecordRef("Deals", link.zoho_deal_id if link else "")

    def perform(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome:
        stage_id = str(action.payload["stage_id"])
        link = self.read(context, lambda c: links.by_opportunity(c, str(action.payload["opportunity_id"])))
        if link is None:
            return _skip("the opportunity is not linked to a Zoho Deal")
        deal = link.zoho_deal_id
        if self.echo(link.ghl_written_stage_id, link.ghl_written_at, stage_id, context):
            return _skip(
                "leadflow's own move of the opportunity coming back",
                lambda c: links.absorbed_echo(c, deal_id=deal, side="ghl"),
            )
        zoho_stage = self.stage_map(context).zoho_stage(link.ghl_pipeline_id, stage_id)
        if zoho_stage is None:
            return _skip(
                "GHL stage not in [tracking.stages]", lambda c: links.saw_stages(c, deal_id=deal, ghl_stage_id=stage_id)
            )
        if link.zoho_stage and link.zoho_stage.casefold() == zoho_stage.casefold():
            return _skip(
                "the Deal is in that stage already", lambda c: links.saw_stages(c, deal_id=deal, ghl_stage_id=stage_id)
            )
        result = context.zoho.deals.move(deal, zoho_stage)
        if not result.ok:
            raise ApiError(f"Zoho refused the stage move: {result.message or result.code}", vendor_code=result.code)
        return self._moved(deal, zoho_stage, stage_id, context)

    def find(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome | None:
        link = self.read(context, lambda c: links.by_opportunity(c, str(action.payload["opportunity_id"])))
        if link is None:
            return None
        stage_id = str(action.payload["stage_id"])
        zoho_stage = self.stage_map(context).zoho_stage(link.ghl_pipeline_id, stage_id)
        deal = context.zoho.deals.get(link.zoho_deal_id, fields=["Stage"])
        if zoho_stage is None or deal is None or str(deal.get("Stage") or "").casefold() != zoho_stage.casefold():
            return None
        return self._moved(link.zoho_deal_id, zoho_stage, stage_id, context)

    def _moved(self, deal: str, zoho_stage: str, stage_id: str, context: ActionContext) -> Outcome:
        now = context.clock()
        return Outcome.done(
            deal,
            lambda c: links.wrote_zoho_stage(c, deal_id=deal, stage=zoho_stage, ghl_stage_id=stage_id, at=now),
            stage=zoho_stage,
        )


class MoveGhlOpportunity(_StageHandler):
    """A Zoho Deal moved: move its linked GHL opportunity to the mapped stage."""

    kind = GHL_STAGE

    def target(self, action: ActionRow, context: ActionContext) -> RecordRef:
        return RecordRef("Deals", str(action.payload["deal_id"]))

    def perform(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome:
        deal = target.id
        link = self.read(context, lambda c: links.by_deal(c, deal))
        if link is None:
            return _skip("the Deal is not linked to a GHL opportunity")
        # The Deal's stage now, not the one the notification or poll carried: a snapshot can be older than a
        # move leadflow made since (from GHL), and replaying it would move GHL back.
        record = context.zoho.deals.get(deal, fields=["Stage"])
        if record is None:
            return _skip("the Deal is gone from Zoho")
        if not record.get("Stage"):
            return _skip("the Deal has no Stage")
        stage = str(record["Stage"])
        if self.echo(link.zoho_written_stage, link.zoho_written_at, stage, context):
            return _skip(
                "leadflow's own move of the Deal coming back",
                lambda c: links.absorbed_echo(c, deal_id=deal, side="zoho"),
            )
        if link.zoho_stage and link.zoho_stage.casefold() == stage.casefold():
            return _skip("the Deal's stage did not change")
        stage_id = self.stage_map(context).ghl_stage(link.ghl_pipeline_id, stage)
        if stage_id is None:
            return _skip(
                "Zoho stage not in [tracking.stages]", lambda c: links.saw_stages(c, deal_id=deal, zoho_stage=stage)
            )
        if stage_id == link.ghl_stage_id:
            return _skip(
                "the opportunity is in that stage already",
                lambda c: links.saw_stages(c, deal_id=deal, zoho_stage=stage),
            )
        self.ghl(context).move(link.ghl_opportunity_id, stage_id=stage_id)
        return self._moved(deal, stage_id, stage, context)

    def find(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome | None:
        link = self.read(context, lambda c: links.by_deal(c, target.id))
        record = context.zoho.deals.get(target.id, fields=["Stage"])
        stage = record.get("Stage") if record else None
        if link is None or not stage:
            return None
        stage_id = self.stage_map(context).ghl_stage(link.ghl_pipeline_id, str(stage))
        current = self.ghl(context).get(link.ghl_opportunity_id)
        if stage_id is None or stage_id == link.ghl_stage_id or current.get("pipelineStageId") != stage_id:
            return None  # not moved by the earlier attempt (or nothing to move): perform decides
        return self._moved(target.id, stage_id, str(stage), context)

    def _moved(self, deal: str, stage_id: str, zoho_stage: str, context: ActionContext) -> Outcome:
        now = context.clock()
        return Outcome.done(
            stage_id,
            lambda c: links.wrote_ghl_stage(c, deal_id=deal, stage_id=stage_id, zoho_stage=zoho_stage, at=now),
            stage_id=stage_id,
        )


class CreateOpportunity(_StageHandler):
    """A Deal made by leadflow's conversion gets a GHL opportunity for the person's contact, linked to it."""

    kind = CREATE_OPPORTUNITY

    def target(self, action: ActionRow, context: ActionContext) -> RecordRef:
        return RecordRef("Deals", str(action.payload["deal_id"]))

    def perform(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome:
        if self.read(context, lambda c: links.by_deal(c, target.id)) is not None:
            return _skip("the Deal is linked already")
        contact, deal, pipeline = self._inputs(action, target, context)
        if pipeline is None:
            return _skip(f"no [tracking.stages] pipeline for Deals of pipeline {deal.get('Pipeline')!r}")
        stage_id = self._stage(pipeline, deal)
        try:
            opportunity = self.ghl(context).create(
                pipeline_id=pipeline.pipeline_id,
                contact_id=contact,
                name=str(deal.get("Deal_Name") or f"Deal {target.id}")[:255],
                stage_id=stage_id,
                monetary_value=float(deal["Amount"]) if deal.get("Amount") is not None else None,
            )
        except Duplicate as exc:  # one open opportunity per contact and pipeline: that one stands for the Deal
            if not exc.existing_id:
                raise
            opportunity = self.ghl(context).get(exc.existing_id)
        return self._linked(action, target.id, pipeline, opportunity, deal)

    def find(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome | None:
        contact, deal, pipeline = self._inputs(action, target, context)
        if pipeline is None:
            return None
        found = next(iter(self.ghl(context).search(contact_id=contact, pipeline_id=pipeline.pipeline_id)), None)
        return self._linked(action, target.id, pipeline, found, deal) if found else None

    def _inputs(
        self, action: ActionRow, target: RecordRef, context: ActionContext
    ) -> tuple[str, dict[str, Any], MappedPipeline | None]:
        synced = self.read(context, lambda c: synced_for(c, target="ghl", golden_ids=[action.golden_person_id]))
        found = synced.get(action.golden_person_id)
        if found is None or not found.remote_id:
            raise NotYet("the person has no GHL contact yet (sync them to GHL first)")
        deal = context.zoho.deals.get(target.id, fields=list(DEAL_FIELDS))
        if deal is None:
            raise InputError(f"Zoho has no Deal {target.id}")
        return str(found.remote_id), deal, self.stage_map(context).for_deal(str(deal.get("Pipeline") or "") or None)

    def _stage(self, pipeline: MappedPipeline, deal: Mapping[str, Any]) -> str:
        stage = str(deal.get("Stage") or "")
        return pipeline.to_ghl.get(stage.casefold()) or pipeline.first_stage_id

    def _linked(
        self,
        action: ActionRow,
        deal_id: str,
        pipeline: MappedPipeline,
        opportunity: Mapping[str, Any],
        deal: Mapping[str, Any],
    ) -> Outcome:
        opportunity_id = str(opportunity["id"])
        stage_id = str(opportunity.get("pipelineStageId") or "") or None
        golden = action.golden_person_id

        def store(connection: Connection) -> None:
            links.link(
                connection,
                zoho_deal_id=deal_id,
                ghl_opportunity_id=opportunity_id,
                ghl_pipeline_id=pipeline.pipeline_id,
                golden_person_id=golden,
                zoho_stage=str(deal.get("Stage") or "") or None,
                ghl_stage_id=stage_id,
            )

        return Outcome.done(opportunity_id, store, opportunity_id=opportunity_id, pipeline_id=pipeline.pipeline_id)


class ConvertAndLink(ActionHandler):
    """The conversion handler, plus: the Deal it creates gets its GHL opportunity (a ``ghl_opportunity`` action
    queued in the transaction that records the conversion, keyed by the Deal: once per Deal)."""

    kind = "convert"

    def __init__(self, inner: ActionHandler, config: StageSync) -> None:
        self.inner = inner
        self.kind = inner.kind
        self.config = config

    def target(self, action: ActionRow, context: ActionContext) -> RecordRef:
        return self.inner.target(action, context)

    def perform(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome:
        return self._chain(action, self.inner.perform(action, target, context))

    def find(self, action: ActionRow, target: RecordRef, context: ActionContext) -> Outcome | None:
        found = self.inner.find(action, target, context)
        return None if found is None else self._chain(action, found)

    def _chain(self, action: ActionRow, outcome: Outcome) -> Outcome:
        deal_id = outcome.result.get("deal_id")
        if outcome.state != actions_repo.DONE or not deal_id:
            return outcome
        if not self.config.pipelines or not self.config.create_opportunity:
            return outcome
        follow = NewAction(
            CREATE_OPPORTUNITY,
            action.event_key,
            action.golden_person_id,
            {"deal_id": str(deal_id)},
            key=f"{CREATE_OPPORTUNITY}:{deal_id}",
        )
        inner_store = outcome.store

        def store(connection: Connection) -> None:
            if inner_store is not None:
                inner_store(connection)
            actions_repo.enqueue(connection, actions=[follow.row()])

        return Outcome(outcome.state, outcome.remote_id, outcome.result, outcome.reason, store)


def stage_handlers(config: StageSync) -> list[ActionHandler]:
    return [MoveZohoDeal(config), MoveGhlOpportunity(config), CreateOpportunity(config)]
