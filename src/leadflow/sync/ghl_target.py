"""The sync engine's port implemented with the GoHighLevel client.

A golden person is a GHL contact whose custom field ``contact.leadflow_id`` holds the golden id; the contact id
is kept in the engine's id map. GHL writes one contact a request, so a write call loops over its rows:

* **create**: ``POST /contacts/``. When the location refuses duplicates and the email or phone is taken, GHL
  answers 400 with ``meta.contactId``: that contact is adopted (updated with our values) when it belongs to
  nobody or to this person, and reported (``OWNED_BY_ANOTHER``) when its ``leadflow_id`` names another person.
  A create that answers 422 although GHL stored the contact (a reported GHL bug) is found by email or phone
  and adopted, never created twice.
* **update**: ``PUT /contacts/{id}`` without ``tags`` (which would replace every tag a person added by hand).
* **tags**: only the owned tags, through the bulk tag endpoint (one call per tag per batch of contacts).
* **workflow enrolments** arrive as owned memberships among the tags (``lf-workflow:<id or name>``, see
  :func:`leadflow.segments.engine.workflow_membership`): adding one enrols the contacts in that workflow; removing
  one unenrols them only for segments with ``ghl_unenroll_on_exit`` (otherwise the membership is just released).
* **lookup** (reconciling a lost answer): one search by ``contact.leadflow_id`` for many golden ids at once.

Errors: a call that never connected raises :class:`TargetUnreachable`; a row whose answer is lost (no answer,
or a 500) is that row's ``WriteOutcome.lost`` and the next rows are still sent (the runner looks it up); lost
answers to ``LOST_IN_A_ROW`` rows in a row, a 503 or a 429 that outlived the retries propagate (the runner
reconciles the whole call); any other refusal is that row's failure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from leadflow.config import GhlSyncSettings, SegmentsSettings
from leadflow.errors import (
    ApiError,
    AuthError,
    ConfigError,
    Duplicate,
    NotFound,
    RateLimited,
    ResponseLost,
    TransientError,
)
from leadflow.ghl.client import GhlClient
from leadflow.ghl.contacts import UPDATABLE_FIELDS
from leadflow.ghl.fields import CustomFieldSpec, DataType
from leadflow.segments.engine import WORKFLOW_MARK
from leadflow.sync.ghl_schema import CONTACTS, ghl_schema
from leadflow.sync.schema import FieldSpec, TargetSchema
from leadflow.sync.target import CallCost, WriteMethod, WriteOutcome, reachable

CUSTOM_PREFIX = "contact."
SEARCH_IN_VALUES = 100  # golden ids looked up per search call
ENSURE_ATTEMPTS = 3
LOST_IN_A_ROW = 3  # lost answers to consecutive rows after which a write call stops sending
ItemT = TypeVar("ItemT")
_DATA_TYPES: dict[str, DataType] = {
    "text": "TEXT",
    "textarea": "LARGE_TEXT",
    "double": "NUMERICAL",
    "integer": "NUMERICAL",
    "boolean": "TEXT",  # "true" / "false": GHL's CHECKBOX needs options, and a text compares back cleanly
}


class GhlTarget:
    """GoHighLevel as a sync target.

    Example:
        >>> target = GhlTarget(GhlClient.from_settings(settings, engine), settings.sync.ghl)  # doctest: +SKIP
        >>> target.write("contacts", "upsert", [{"email": "ada@example.com", "contact.leadflow_id": "gp_1"}])
        ... # doctest: +SKIP
        [WriteOutcome(ok=True, remote_id='c1', action='insert', ...)]
    """

    def __init__(
        self, ghl: GhlClient, settings: GhlSyncSettings | None = None, *, segments: SegmentsSettings | None = None
    ) -> None:
        self.ghl = ghl
        self._schema = ghl_schema(settings or GhlSyncSettings())
        self._field_ids: dict[str, str] | None = None
        segments = segments or SegmentsSettings()
        self._membership_prefix = f"{segments.tag_prefix}{WORKFLOW_MARK}".lower()
        self._unenroll = {
            spec.ghl_workflow.strip().lower()
            for spec in segments.segment
            if spec.ghl_workflow and spec.ghl_unenroll_on_exit
        }
        self._workflow_ids: dict[str, str] | None = None

    @property
    def schema(self) -> TargetSchema:
        return self._schema

    @property
    def name(self) -> str:
        return self._schema.name

    # --- fields --------------------------------------------------------------------------------------------

    def ensure_fields(self, module: str, specs: Sequence[FieldSpec]) -> None:
        wanted = [CustomFieldSpec(spec.label, _DATA_TYPES[spec.data_type]) for spec in specs]
        # ensure() lists the fields before creating any, so asking again after a lost answer creates nothing twice;
        # each lost answer costs at most one field, hence one more try per field
        attempts = len(wanted) + ENSURE_ATTEMPTS
        for attempt in range(1, attempts + 1):
            try:
                with reachable():
                    self.ghl.fields.ensure(wanted)
                break
            except (ResponseLost, TransientError):
                if attempt == attempts:
                    raise
        self._field_ids = None
        ids = self._ids()
        missing = [spec.api_name for spec in specs if spec.api_name not in ids]
        if missing:
            raise ConfigError(
                "GoHighLevel has no contact custom field with the key(s) " + ", ".join(missing) + ": the fields"
                " leadflow created got other keys (a field of that name existed with another key?); rename the"
                " field in GHL or change [sync.ghl] to the key GHL shows in `leadflow ghl fields`"
            )

    def _ids(self) -> dict[str, str]:
        """Custom field key -> id, read once per target object (one call, only when something is written)."""
        if self._field_ids is None:
            with reachable():
                definitions = self.ghl.fields.definitions(model="contact")
            self._field_ids = {str(d["fieldKey"]): str(d["id"]) for d in definitions if d.get("fieldKey")}
        return self._field_ids

    # --- writes --------------------------------------------------------------------------------------------

    def write(self, module: str, method: WriteMethod, rows: Sequence[Mapping[str, Any]]) -> list[WriteOutcome]:
        self._check_module(module)
        return _one_by_one(rows, self._create if method == "upsert" else self._update)

    def bulk_upsert(self, module: str, rows: Sequence[Mapping[str, Any]]) -> list[WriteOutcome]:
        raise NotImplementedError("GoHighLevel has no bulk write; the schema says so (bulk_rows is None)")

    def _create(self, row: Mapping[str, Any]) -> WriteOutcome:
        golden_id = str(row.get(self._schema.external_id_field) or "")
        body = self._body(row)
        if not body.get("email") and not body.get("phone"):
            return WriteOutcome(False, code="NO_IDENTIFIER", message="a GHL contact needs an email or a phone")
        try:
            created = self.ghl.contacts.create(body)
        except Duplicate as duplicate:
            return self._adopt(duplicate.existing_id, golden_id, body, duplicate.field)
        except (AuthError, RateLimited, TransientError, ResponseLost):
            raise
        except ApiError as error:
            # GHL has been seen to answer 422 for a create it stored: look before reporting a failure.
            existing = self._find(body)
            if existing is not None and self._owner(existing) in (golden_id, None):
                return self._adopt(str(existing["id"]), golden_id, body, "email")
            return _failed(error)
        return WriteOutcome(True, remote_id=str(created.get("id") or ""), action="insert")

    def _adopt(
        self, contact_id: str | None, golden_id: str, body: Mapping[str, Any], field: str | None
    ) -> WriteOutcome:
        """Make an existing contact this person's, unless another person owns it."""
        if not contact_id:
            return WriteOutcome(False, code="DUPLICATE", message="GHL refused a duplicate without naming the contact")
        owner = self._owner(self.ghl.contacts.get(contact_id))
        if owner not in (None, golden_id):
            return WriteOutcome(
                False,
                remote_id=contact_id,
                code="OWNED_BY_ANOTHER",
                message=f"GHL contact {contact_id} has this {field or 'email or phone'} and belongs to {owner}",
                details={"contactId": contact_id, "owner": owner},
            )
        try:
            self.ghl.contacts.update(contact_id, _updatable(body))
        except (AuthError, RateLimited, TransientError, ResponseLost):
            raise
        except ApiError as error:
            return _failed(error)
        return WriteOutcome(True, remote_id=contact_id, action="update", details={"adopted": True})

    def _update(self, row: Mapping[str, Any]) -> WriteOutcome:
        contact_id = str(row["id"])
        try:
            updated = self.ghl.contacts.update(contact_id, _updatable(self._body(row)))
        except (AuthError, RateLimited, TransientError, ResponseLost):
            raise
        except NotFound as error:
            return WriteOutcome(
                False,
                remote_id=contact_id,
                code="RECORD_MISSING",
                message=f"GHL contact {contact_id} no longer exists (deleted in GHL?): {error.message}",
                details=dict(error.details),
            )
        except ApiError as error:
            return _failed(error)
        return WriteOutcome(True, remote_id=str(updated.get("id") or contact_id), action="update")

    def _body(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """A contact body: standard fields as they are, ``contact.*`` keys as custom field values by id."""
        body: dict[str, Any] = {}
        custom: list[dict[str, Any]] = []
        ids = self._ids() if any(key.startswith(CUSTOM_PREFIX) for key in row) else {}
        for key, value in row.items():
            if key in ("id", "tags"):
                continue
            if key == "dndSettings":
                dnd = dnd_settings(value)
                if dnd is not None:
                    body[key] = dnd
                continue
            if key.startswith(CUSTOM_PREFIX):
                if key not in ids:
                    raise ConfigError(f"[sync.ghl] maps to {key}, which is no contact custom field in GHL")
                custom.append({"id": ids[key], "field_value": _custom_value(value)})
            else:
                body[key] = value
        if custom:
            body["customFields"] = custom
        return body

    def _owner(self, contact: Mapping[str, Any]) -> str | None:
        field_id = self._ids().get(self._schema.external_id_field)
        for item in contact.get("customFields") or []:
            if isinstance(item, Mapping) and str(item.get("id")) == field_id:
                value = item.get("value", item.get("field_value"))
                return str(value) if value not in (None, "") else None
        return None

    def _find(self, body: Mapping[str, Any]) -> dict[str, Any] | None:
        return self.ghl.contacts.find_duplicate(email=body.get("email"), phone=body.get("phone"))

    # --- look-ups ------------------------------------------------------------------------------------------

    def lookup(
        self, module: str, *, by: str, values: Sequence[str], fields: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        self._check_module(module)
        found: dict[str, dict[str, Any]] = {}
        with reachable():
            if by == "id":
                for contact_id in values:
                    try:
                        contact = self.ghl.contacts.get(contact_id)
                    except ApiError as error:
                        if error.status in (400, 404):
                            continue
                        raise
                    found[contact_id] = self._as_row(contact)
                return found
            field_id = self._ids().get(by)
            if field_id is None:
                return found
            for start in range(0, len(values), SEARCH_IN_VALUES):
                chunk = list(values[start : start + SEARCH_IN_VALUES])
                for contact in self.ghl.contacts.search(
                    filters=[{"field": f"customFields.{field_id}", "operator": "eq", "value": chunk}]
                ):
                    row = self._as_row(contact)
                    key = row.get(by)
                    if key is not None:
                        found[str(key)] = row
        return found

    def _as_row(self, contact: Mapping[str, Any]) -> dict[str, Any]:
        """A contact as the engine's rows look: standard fields, plus ``contact.*`` keys for custom values."""
        row = {k: v for k, v in contact.items() if k != "customFields"}
        keys = {field_id: key for key, field_id in self._ids().items()}
        for item in contact.get("customFields") or []:
            if isinstance(item, Mapping) and str(item.get("id")) in keys:
                key = keys[str(item["id"])]
                value = item.get("value", item.get("field_value"))
                spec = self._schema.owned_fields.get(key)
                row[key] = _from_text(value) if spec is not None and spec.data_type == "boolean" else value
        return row

    # --- tags ----------------------------------------------------------------------------------------------

    def change_tags(self, module: str, *, add: bool, tag: str, remote_ids: Sequence[str]) -> dict[str, WriteOutcome]:
        self._check_module(module)
        if tag.lower().startswith(self._membership_prefix):
            return self._enrolment(add, tag[len(self._membership_prefix) :], remote_ids)
        with reachable():
            result = self.ghl.contacts.bulk_tags(list(remote_ids), [tag.lower()], add=add)
        outcomes: dict[str, WriteOutcome] = {}
        for contact_id in remote_ids:
            ok, message = result.by_contact.get(contact_id, (result.succeeded and not result.error_count, ""))
            outcomes[contact_id] = WriteOutcome(
                ok,
                remote_id=contact_id,
                code=None if ok else "TAG_FAILED",
                message=None if ok else message or "GHL did not confirm the tag",
            )
        return outcomes

    def _enrolment(self, add: bool, workflow: str, remote_ids: Sequence[str]) -> dict[str, WriteOutcome]:
        """Enrol contacts in (or take them out of) a workflow, one call per contact as GHL's API has it."""
        if not add and workflow.strip().lower() not in self._unenroll:
            return {rid: WriteOutcome(True, remote_id=rid, details={"left_enrolled": True}) for rid in remote_ids}
        workflow_id = self._workflow_id(workflow)
        if workflow_id is None:
            message = f"GoHighLevel has no workflow {workflow!r} (by id or name): check ghl_workflow in [segments]"
            return {rid: WriteOutcome(False, code="WORKFLOW_NOT_FOUND", message=message) for rid in remote_ids}

        def enrol(contact_id: str) -> WriteOutcome:
            try:
                if add:
                    self.ghl.contacts.add_to_workflow(contact_id, workflow_id)
                else:
                    self.ghl.contacts.remove_from_workflow(contact_id, workflow_id)
            except (AuthError, RateLimited, TransientError, ResponseLost):  # Unreachable is a TransientError
                raise
            except ApiError as error:
                return _failed(error)
            return WriteOutcome(True, remote_id=contact_id, details={"workflow": workflow_id})

        return dict(zip(remote_ids, _one_by_one(remote_ids, enrol), strict=True))

    def _workflow_id(self, workflow: str) -> str | None:
        if self._workflow_ids is None:
            with reachable():
                listed = self.ghl.location.workflows()
            self._workflow_ids = {}
            for item in listed:
                if item.get("id"):
                    self._workflow_ids[str(item["id"]).lower()] = str(item["id"])
                    self._workflow_ids.setdefault(str(item.get("name") or "").strip().lower(), str(item["id"]))
        return self._workflow_ids.get(workflow.strip().lower())

    # --- budget --------------------------------------------------------------------------------------------

    def credits_left(self) -> int | None:
        return self.ghl.usage.remaining

    def write_cost(self, rows: int, *, bulk: bool) -> CallCost:
        return CallCost(max(0, rows), max(0, rows))

    def usage(self) -> CallCost:
        sent = self.ghl.api.transport.stats.attempts
        return CallCost(sent, sent)

    # --- helpers -------------------------------------------------------------------------------------------

    def _check_module(self, module: str) -> None:
        if module != CONTACTS:
            raise ValueError(f"GoHighLevel keeps people in {CONTACTS!r}, not {module!r}")


# Which GHL channels a suppression reason closes (DND "active"): e-mail for what an address did, every channel for
# a competitor, calls and texts for Do Not Call.
DND_CHANNELS: dict[str, tuple[str, ...]] = {
    "unsubscribed": ("Email",),
    "email_bounced_hard": ("Email",),
    "spam_complaint": ("Email",),
    "role_address": ("Email",),
    "do_not_call": ("Call", "SMS"),
    "competitor": ("Email", "SMS", "Call", "WhatsApp"),
}


def dnd_settings(reasons: Any) -> dict[str, dict[str, str]] | None:
    """GHL's ``dndSettings`` for a person's suppression reasons (a list, or the "a, b" text the mapping makes);
    None when nothing is suppressed, so a DND set by hand in GHL is never lifted by leadflow.

    Example:
        >>> dnd_settings("unsubscribed, do_not_call")["Call"]
        {'status': 'active', 'message': 'leadflow: do_not_call'}
    """
    names = reasons if isinstance(reasons, list | tuple) else str(reasons or "").split(",")
    settings: dict[str, dict[str, str]] = {}
    for reason in (str(name).strip() for name in names):
        for channel in DND_CHANNELS.get(reason, ()):
            settings.setdefault(channel, {"status": "active", "message": f"leadflow: {reason}"})
    return settings or None


def _updatable(body: Mapping[str, Any]) -> dict[str, Any]:
    """What an update may carry: GHL refuses properties its update does not know (companyName is set at
    creation only) and ``tags`` would replace every tag, so neither is sent."""
    return {k: v for k, v in body.items() if k in UPDATABLE_FIELDS and k != "tags"}


def _failed(error: ApiError) -> WriteOutcome:
    return WriteOutcome(
        False,
        code=error.vendor_code or f"HTTP_{error.status}",
        message=error.message,
        details=dict(error.details),
    )


def _custom_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _from_text(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _one_by_one(items: Sequence[ItemT], send: Callable[[ItemT], WriteOutcome]) -> list[WriteOutcome]:
    """``send`` each item on its own call (GHL has no batch write), one outcome per item in order.

    An item whose answer is lost (``ResponseLost``: no answer, or a 500) gets ``WriteOutcome.lost`` (the runner
    looks it up or sends it again) and the next items are still sent; after ``LOST_IN_A_ROW`` lost answers in a
    row GHL is taken to be failing and the error stops the call (the runner then looks up the whole chunk).
    """
    outcomes: list[WriteOutcome] = []
    lost_in_a_row = 0
    for item in items:
        try:
            with reachable():
                outcome = send(item)
        except ResponseLost as lost:
            lost_in_a_row += 1
            if lost_in_a_row >= LOST_IN_A_ROW:
                raise
            outcome = WriteOutcome.lost(str(lost))
        else:
            lost_in_a_row = 0
        outcomes.append(outcome)
    return outcomes
