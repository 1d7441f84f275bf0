"""What a target tells the sync engine about itself: its modules, limits, validation and upsert key.

The engine (plan, outbox, runner) is target-neutral: every module name, field name and limit comes from
the :class:`TargetSchema` the target supplies (``sync.zoho_schema`` for Zoho). Three kinds of records
exist everywhere: ``account`` (a golden company, when the target keeps companies), ``person`` (a golden
person, in one of the target's person modules) and ``tags`` (a person's owned tags).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from leadflow.sync.mapping import is_empty

Kind = Literal["account", "person", "tags"]
FieldType = Literal["text", "textarea", "double", "integer", "boolean"]

# Failures that say nothing about the record itself, whatever the target: retried by the next run unasked.
ENGINE_RETRYABLE_CODES = frozenset(
    {"TRANSIENT", "RESPONSE_LOST", "NOT_CONFIRMED", "LOCK_LOST", "CREDIT_BUDGET", "UNREACHABLE"}
)


@dataclass(frozen=True)
class FieldSpec:
    """A custom field leadflow needs in a module (the target creates it when missing)."""

    api_name: str
    label: str
    data_type: FieldType
    length: int | None = None
    unique: bool = False


@dataclass(frozen=True)
class TargetSchema:
    """A target's shape as the engine needs it; built from the target's ``[sync.<target>]`` settings.

    Example:
        >>> schema = TargetSchema(
        ...     name="crm", person_modules=("people",), new_people_module="people",
        ...     field_maps={"people": {"name": "last_name"}}, external_id_field="ext_id",
        ...     mandatory={"people": ("name",)}, text_limits={"name": 10},
        ... )
        >>> schema.problems("people", {"name": "a name longer than ten"})
        ['name is longer than 10 characters']
        >>> schema.module_for_person(None, None)
        'people'
    """

    name: str  # the target's name in the ledger (outbox, id map, locks, record_tags.target)
    person_modules: tuple[str, ...]  # where golden people live; a person stays in the one it is in
    new_people_module: str  # where a new person goes
    field_maps: Mapping[str, Mapping[str, str]]  # module -> target field -> source expression
    external_id_field: str  # unique field holding the golden id: the upsert key
    account_module: str | None = None  # where golden companies go (None: the target keeps no companies)
    account_lookup: Mapping[str, str] = field(default_factory=dict)  # person module -> its company lookup field
    sync_accounts: bool = True
    sync_nulls: bool = False
    fill_if_empty: frozenset[str] = frozenset()  # fields only written while empty at the target
    text_limits: Mapping[str, int] = field(default_factory=dict)  # field -> most characters the target takes
    mandatory: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # module -> fields it requires
    # module -> fields of which at least one must hold a value (GHL: a contact needs an e-mail or a phone)
    required_one_of: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    owned_fields: Mapping[str, FieldSpec] = field(default_factory=dict)  # custom fields leadflow creates
    duplicate_check_fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # after the external id
    cross_module_duplicates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # module -> others checked
    write_phases: tuple[Kind, ...] = ("account", "person", "tags")  # the order kinds are sent in
    batch_size: int = 100  # most records per write call
    bulk_rows: int | None = None  # most records per bulk job; None: the target has no bulk writes
    supports_tags: bool = True
    retryable_codes: frozenset[str] = frozenset()  # the target's codes that say nothing about the record
    crm_mirror: bool = False  # the store's CRM mirror (crm_records, golden crm_id/crm_module) is this target's

    def __post_init__(self) -> None:
        if self.new_people_module not in self.person_modules:
            raise ValueError(f"{self.new_people_module!r} is not one of {self.person_modules}")

    @property
    def modules(self) -> tuple[str, ...]:
        """Every module the engine writes, company module first."""
        return ((self.account_module,) if self.account_module else ()) + self.person_modules

    def module_for_person(self, linked_module: str | None, previous_module: str | None) -> str:
        """The module a person goes to: where the target already holds them, else ``new_people_module``."""
        for module in (linked_module, previous_module):
            if module in self.person_modules:
                return str(module)
        return self.new_people_module

    def problems(self, module: str, fields: Mapping[str, object]) -> list[str]:
        """Why a payload would be refused (mandatory field missing, text too long); empty when sendable."""
        found = [f"{name} is required" for name in self.mandatory.get(module, ()) if is_empty(fields.get(name))]
        either = self.required_one_of.get(module, ())
        if either and all(is_empty(fields.get(name)) for name in either):
            found.append(f"one of {', '.join(either)} is required")
        for name, limit in self.text_limits.items():
            value = fields.get(name)
            if isinstance(value, str) and len(value) > limit:
                found.append(f"{name} is longer than {limit} characters")
        return found

    def custom_field_specs(self, module: str) -> list[FieldSpec]:
        """The leadflow-owned fields ``module``'s mapping writes, the unique external-id field first."""
        ext = self.external_id_field
        mapped = self.field_maps.get(module, {})
        specs = [self.owned_fields[name] for name in mapped if name in self.owned_fields and name != ext]
        external = self.owned_fields.get(ext) or FieldSpec(ext, ext, "text", 64, True)
        return [external, *specs]

    def is_retryable(self, code: str | None) -> bool:
        """Whether a failure with ``code`` is about the call (retried unasked), not about the record."""
        return code in ENGINE_RETRYABLE_CODES or code in self.retryable_codes
