"""Report facts kept at write time, so a report over a million people reads a row per person (or per segment
member, or per day) instead of every event and source row.

What is kept (tables in :mod:`leadflow.store.schema.report_facts`):

- ``report_person_facts``: per person id found in any input, for all time: source rows clustered into them
  (``rows``), whether they are in Zoho, the funnel flags (contacted, engaged, replied, met, converted, bounced,
  won), their Deals' count, amount and won amount, which sources they came from and the first and last one (the
  columns of :func:`leadflow.reporting.rollup.person_rollup`, which computes the same for one view).
- ``report_person_segments``: ``scores.segments`` exploded, one row per segment and member.
- ``report_event_days``: every event counted by UTC day and type.

How it stays current: triggers on every input table (events, source rows, cluster members, CRM matches, golden
people, sync id map, GHL tags, scores, Deals; see migration ``0020_report_facts``) append what changed to
``report_facts_log`` in the writer's own transaction, so no write path (pipeline stage, tracking worker, a
hand-made UPDATE) can change an input unnoticed. :func:`refresh_report_facts` applies the log: recomputes the
facts of the people it names, recounts the day cells it names, or rebuilds everything when there is no build
yet or most people changed (a resolve). The pipeline stages that write inputs refresh when they end, the
tracking loop after each batch; and a report that finds changes waiting refreshes before it reads
(:func:`use_facts`). Facts are answered only for views without a period, owner or source filter; every other
view runs the reports' queries, which compute the same things for that view.
"""

from leadflow.reporting.facts.read import facts_disabled, use_facts
from leadflow.reporting.facts.refresh import FactsRefresh, facts_current, refresh_report_facts

__all__ = ["FactsRefresh", "facts_current", "facts_disabled", "refresh_report_facts", "use_facts"]
