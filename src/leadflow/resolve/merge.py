"""Field-by-field merge of a cluster's rows into one golden record, in DuckDB, with provenance per field.

Every field takes the first non-null value in an order the policy defines:

- ``source_priority``: the source kinds' order in config, then the most recent;
- ``most_recent``: the latest observed value, then source priority;
- ``most_complete``: the value from the row with the most filled fields, then source priority.

Fields listed in ``fill_only_if_empty`` keep the CRM record's value whenever it has one (a person may have
edited it in Zoho); other sources only fill them when the CRM is empty. ``email`` prefers verified addresses.

A person's company (``company_name`` and the golden ``company_id``) always follows that rule, whatever the policy:
for a person already in Zoho the CRM says where they work (a Contact's Account lookup, a Lead's Company and
Website); exports only fill it when the CRM has none. Employment evidence in an export never moves a CRM person
to another company, so the records leadflow writes come back through the mirror unchanged. Likewise a golden
company linked to a Zoho Account takes the Account's values first; people's rows only fill what it lacks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from leadflow.resolve.columns import COMPANY_FIELDS, PERSON_FIELDS

EMAIL_STATUS_RANK = (
    "CASE email_status WHEN 'verified' THEN 0 WHEN 'catch_all' THEN 1 WHEN 'unverified' THEN 1 "
    "WHEN 'unknown' THEN 2 WHEN 'invalid' THEN 4 ELSE 3 END"
)


# Fields whose CRM value wins under every policy (see the module docstring): where a person works.
CRM_OWNED_FIELDS: tuple[str, ...] = ("company_name",)


@dataclass(frozen=True)
class MergePolicy:
    policy: str = "source_priority"
    source_priority: tuple[str, ...] = ("crm", "apollo", "salesnav", "linkedin", "mapped")
    fill_only_if_empty: tuple[str, ...] = ("first_name", "last_name", "email", "title", "phone_e164")

    def _order(self, *, crm_first: bool, email: bool, first: str | None = None) -> str:
        rank = "source_rank"
        recent = "-coalesce(observed_at, 0)"
        if self.policy == "most_recent":
            parts = [recent, rank]
        elif self.policy == "most_complete":
            parts = ["-completeness", rank, recent]
        elif self.policy == "source_priority":
            parts = [rank, recent]
        else:
            raise ValueError(f"unknown merge policy {self.policy!r}")
        if email:
            parts.insert(0, EMAIL_STATUS_RANK)
        if crm_first:  # before the email status too: "only fill if empty" means the CRM's value, verified or not
            parts.insert(0, "CASE WHEN crm_id IS NOT NULL THEN 0 ELSE 1 END")
        if first:
            parts.insert(0, first)
        # an ORDER BY list of plain columns: sorting a million rows by a LIST value is several times slower
        return ", ".join(f"({p})::DOUBLE" for p in [*parts, "idx"])

    def order_key(self, field: str) -> str:
        """The DuckDB ORDER BY expressions rows are ordered by for ``field`` (first wins); none is ever NULL."""
        return self._order(crm_first=self._crm_first(field), email=field == "email")

    def _crm_first(self, field: str) -> bool:
        return field in self.fill_only_if_empty or field in CRM_OWNED_FIELDS

    def rank_column(self, field: str) -> str:
        """The precomputed rank column (see :meth:`rank_columns`) that orders ``field``."""
        if field == "email":
            return "ord_email"
        return "ord_crm_first" if self._crm_first(field) else "ord_default"

    def rank_columns(self, *, with_email: bool = True, first: str | None = None) -> str:
        """SELECT items ranking every row once per ordering (an integer per row is cheaper than list keys);
        ``first``, an SQL expression, orders rows before the policy does (Accounts before people's rows)."""
        orders = {
            "ord_default": self._order(crm_first=False, email=False, first=first),
            "ord_crm_first": self._order(crm_first=True, email=False, first=first),
        }
        if with_email:
            orders["ord_email"] = self.order_key("email")
        return ", ".join(f"row_number() OVER (ORDER BY {key}) AS {name}" for name, key in orders.items())

    def source_rank_sql(self) -> str:
        cases = " ".join(f"WHEN '{kind}' THEN {i}" for i, kind in enumerate(self.source_priority))
        return f"CASE source_kind {cases} ELSE {len(self.source_priority)} END"


PROVENANCE_SQL = """(CASE WHEN crm_id IS NOT NULL
    THEN json_object('crm_module', crm_module, 'crm_id', crm_id)
    ELSE json_object('source_kind', source_kind, 'file_name', file_name, 'row_number', row_number) END)::VARCHAR"""


def merged_select(fields: Sequence[str], policy: MergePolicy, group: str) -> str:
    """SELECT list that merges ``fields`` over rows grouped by ``group`` and builds the provenance JSON."""
    parts = [f"{group}"]
    for field in fields:
        key = policy.rank_column(field)
        parts.append(f'arg_min("{field}", {key}) FILTER (WHERE "{field}" IS NOT NULL) AS "{field}"')
        parts.append(f'arg_min(prov, {key}) FILTER (WHERE "{field}" IS NOT NULL) AS "{field}__prov"')
    return ", ".join(parts)


def source_item(prov: str, fields: Sequence[str]) -> str:
    """SQL for one provenance item: the source object ``prov`` (JSON text) with those of ``fields`` that are filled,
    e.g. ``{"source_kind": "apollo", "file_name": "a.csv", "row_number": 9, "fields": ["email"]}``; NULL if none is."""
    names = ", ".join(f"""CASE WHEN "{f}" IS NOT NULL THEN '{f}' END""" for f in fields)
    filled = f"list_filter([{names}], lambda x: x IS NOT NULL)"
    return f"CASE WHEN len({filled}) > 0 THEN {_with_fields(prov, filled)} END"


def _with_fields(prov: str, names: str) -> str:
    """SQL text: the source object ``prov`` (JSON text) with a ``"fields"`` member holding the list ``names``."""
    return f"""substr({prov}, 1, length({prov}) - 1) || ',"fields":' || to_json({names})::VARCHAR || '}}'"""


def single_source_provenance(fields: Sequence[str]) -> str:
    """Provenance of a record taken whole from one row (its ``prov`` column): that source with every filled field.

    The shape (see :func:`grouped_provenance`) names each source once with the fields it gave; the values
    themselves are the record's columns, so they are not repeated.
    """
    return f"'[' || coalesce({source_item('prov', fields)}, '') || ']'"


def grouped_provenance(relation: str, key: str, fields: Sequence[str]) -> str:
    """SELECT ``key``, ``provenance`` over ``relation`` (which has a ``<field>__prov`` column per field): a JSON list
    of the sources that gave a value, each once, with the fields it gave, e.g.
    ``[{"source_kind": "apollo", "file_name": "a.csv", "row_number": 9, "fields": ["email", "title"]},
    {"crm_module": "Leads", "crm_id": "900", "fields": ["first_name"]}]``, sources in the order of their first field.
    """
    names = ", ".join(f"'{f}'" for f in fields)
    provs = ", ".join(f'"{f}__prov"' for f in fields)
    return f"""SELECT {key}, '[' || string_agg({_with_fields("prov", "names")}, ',' ORDER BY first_position) || ']'
                 AS provenance
               FROM (SELECT {key}, prov, list(name ORDER BY position) AS names, min(position) AS first_position
                     FROM (SELECT {key}, unnest([{names}]) AS name, unnest([{provs}]) AS prov,
                                  unnest(range({len(fields)})) AS position FROM {relation})
                     WHERE prov IS NOT NULL GROUP BY ALL)
               GROUP BY {key}"""


def provenance_sources(provenance: Any) -> list[dict[str, Any]]:
    """The sources listed in a stored provenance value (JSON text or already decoded)."""
    return list(json.loads(provenance) if isinstance(provenance, str) else provenance or ())


def field_source(provenance: Any, field: str) -> dict[str, Any] | None:
    """The source (file and row, or CRM module and id) that gave ``field``, from a stored provenance value.

    Example:
        >>> field_source('[{"source_kind": "apollo", "file_name": "a.csv", "row_number": 9, "fields": ["title"]}]',
        ...              "title")
        {'source_kind': 'apollo', 'file_name': 'a.csv', 'row_number': 9}
    """
    for source in provenance_sources(provenance):
        if field in source.get("fields", ()):
            return {k: v for k, v in source.items() if k != "fields"}
    return None


PERSON_MERGE_FIELDS: tuple[str, ...] = (*PERSON_FIELDS, "company_name")
COMPANY_MERGE_FIELDS: tuple[str, ...] = (
    *(f for f in COMPANY_FIELDS if f not in ("company_key", "company_domain")),
    "country",
)
