"""``ZohoBackend``: the Zoho CRM emulator's state and rules (no HTTP here), built in layers of one job each.

``core.BackendCore`` (state, SQLite persistence, counters, limits, metadata) <- ``records.RecordsLayer``
(read, validate, write) <- ``tags.TagsLayer`` <- ``convert.ConvertLayer`` <- ``seed.SeedLayer`` <-
``ZohoBackend`` (adds the bulk jobs it owns). It implements the emulator kit's ``EmulatorBackend``
(``common.backend``), so the shared control plane drives it.

Public surface (also used by COQL and bulk, so that they behave exactly like the REST routes):

- ``ZohoBackend(db_path=None, clock=None, seed=0, limits=None, daily_credits=None, concurrency=None,
  sub_concurrency=None)``: ``limits`` is a ``ZohoLimits``; the three shortcuts override its fields
- control plane: ``reset()``, ``seed(items)`` (= ``seed_records``), ``state()`` (= ``stats()``),
  ``get_limits()``, ``set_limits(changes)`` (``ZohoLimits`` fields, plus ``reset_credits``), ``faults``,
  ``clock``, ``limits``; ``jobs`` (``bulk_jobs.BulkJobs``: uploads, bulk write/read jobs, their worker)
- time: ``backend.clock.now()`` (aware UTC datetime), ``backend.clock.advance(seconds)``; ``iso(datetime)``
- metadata: ``module(name) -> ModuleMeta`` (raises ``ZohoError`` INVALID_MODULE), ``modules()``,
  ``fields(module) -> dict[api_name, FieldMeta]`` (``data_type``, ``length``, ``lookup_module``,
  ``multi_module``, ``pick_list_values``, ``unique``, ``system_mandatory``, ``read_only``, ``custom_field``),
  ``add_field(module, spec)``, ``create_module(api_name)``
- reading: ``iter_records(module, converted="both")`` yields records in Zoho's API shape (lookups as
  ``{"name", "id"}``, every field present), ``get_record(module, id)``, ``render(module, stored, fields)``,
  ``stored_records(module)`` (raw stored dicts, read-only, fastest), ``sorted_records(...)``,
  ``find(module, field, value)`` / ``find_ids`` (indexed, case-insensitive), ``get_stored``, ``display_name``
- writing (per-record validation with Zoho's codes; the same path as the REST routes):
  ``insert(module, rows)``, ``update(module, rows)``, ``upsert(module, rows, duplicate_check_fields=None)``
  each return ``list[RecordResult]`` (``ok``, ``code``, ``message``, ``details``, ``id``, ``action``,
  ``duplicate_field``, ``to_json()``); ``delete(module, ids)``, ``deleted_records(module, kind)``
- tags: ``tags(module)``, ``create_tag``, ``rename_tag``, ``delete_tag``, ``tag_records(module, ids, names,
  remove=False, over_write=False)``; conversion: ``convert_lead(lead_id, spec)``
- batching: ``with backend.transaction(): ...`` groups writes into one SQLite commit (writes call it
  themselves; nest freely). ``backend.lock`` is the re-entrant lock every public method takes.
- limits: ``backend.credits.charge(cost)`` (raises LIMIT_EXCEEDED), ``backend.credits.headers()``,
  ``write_cost(n)``, ``coql_cost(limit)``, ``BULK_READ_COST``, ``BULK_WRITE_COST`` in ``models.limits``;
  ``backend.gate`` (concurrency: ``enter``/``leave``, ``enter_heavy``/``leave_heavy``)
- errors: ``ZohoError`` and ``render_error`` in ``zoho.exceptions``; ``RecordError``/``RecordResult`` in
  ``models.results``
- accounting for tests: ``backend.count(module, op)``, ``backend.count_request(method, path)``,
  ``backend.stats()``

A new feature's state and rules go in a new layer module (or a new object the backend owns, like
``jobs``), not into these.

Example:
    >>> backend = ZohoBackend(seed=1)
    >>> [result.code for result in backend.insert("Leads", [{"Last_Name": "Ng"}, {"First_Name": "x"}])]
    ['SUCCESS', 'MANDATORY_NOT_FOUND']
"""

from __future__ import annotations

from leadflow_emulators.common.clock import Clock
from leadflow_emulators.zoho.bulk_jobs import BulkJobs
from leadflow_emulators.zoho.models.limits import ZohoLimits
from leadflow_emulators.zoho.models.records import MAX_WRITE_RECORDS
from leadflow_emulators.zoho.models.seed import SeedLayer
from leadflow_emulators.zoho.models.surface import install

__all__ = ["MAX_WRITE_RECORDS", "ZohoBackend"]


class ZohoBackend(SeedLayer):
    """All state of one emulated Zoho org, and the bulk jobs that run against it. Thread-safe through ``lock``."""

    def __init__(
        self,
        *,
        db_path: str | None = None,
        clock: Clock | None = None,
        seed: int = 0,
        limits: ZohoLimits | None = None,
        daily_credits: int | None = None,
        concurrency: int | None = None,
        sub_concurrency: int | None = None,
    ) -> None:
        super().__init__(
            db_path=db_path,
            clock=clock,
            seed=seed,
            limits=limits,
            daily_credits=daily_credits,
            concurrency=concurrency,
            sub_concurrency=sub_concurrency,
        )
        self.jobs = BulkJobs(self)
        self.features = install(self)  # deal rules, stage history, notifications (write hooks), attachments
        self.watches = self.features.watches

    def reset(self) -> None:
        """Let running bulk jobs finish, then forget them with every record, tag, credit, counter and fault."""
        self.jobs.reset()  # outside the lock: running jobs write through it
        self.features.reset()
        super().reset()

    def close(self) -> None:
        self.jobs.close()
        super().close()
