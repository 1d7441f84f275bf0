"""``[sync]``: the engine's settings shared by every target, with one sub-table per target's mapping and guards.

``[sync]`` holds how the engine writes (method, attempts, lock, credit reserve); ``[sync.zoho]`` and
``[sync.ghl]`` hold what each target receives (field maps, the external id field, guards). The flat keys
of the first layout (``[sync] leads = [...]``, ``LEADFLOW_SYNC_NEW_PEOPLE_MODULE``) are still read, as
``[sync.zoho]`` keys; the environment's ``LEADFLOW_SYNC_ZOHO_<KEY>`` and ``LEADFLOW_SYNC_GHL_<KEY>`` reach the
sub-tables.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from leadflow.config.base import Section


def _mapping_lines(value: list[str], *, field_pattern: str) -> list[str]:
    for line in value:
        name, sep, source = (part.strip() for part in line.partition("="))
        if not sep or not name or not source or not name.replace("_", "").replace(".", "").isalnum():
            raise ValueError(f"{line!r} is not '{field_pattern} = source'")
    return value


def _field_map(lines: list[str]) -> dict[str, str]:
    pairs = (line.partition("=") for line in lines)
    return {name.strip(): source.strip() for name, _, source in pairs}


class ZohoSyncSettings(Section):
    """What Zoho CRM receives: a field map per module, the upsert key and the guards."""

    new_people_module: Literal["Leads", "Contacts"] = Field(
        "Leads", description="Zoho module for new prospects; a person already a Contact stays a Contact"
    )
    external_id_field: str = Field(
        "Leadflow_ID", description="Unique custom field leadflow creates in each module it writes (its upsert key)"
    )
    sync_accounts: bool = Field(True, description="Create and update an Account per golden company")
    leads: list[str] = Field(
        default_factory=lambda: [
            "First_Name = first_name",
            "Last_Name = last_name",
            "Email = email",
            "Designation = title",
            "Phone = phone_e164",
            "Company = company.name | company_name",
            "Website = company.domain",
            "No_of_Employees = company.employees",
            "Annual_Revenue = company.annual_revenue",
            "Country = country",
            "State = state",
            "City = city",
            "Leadflow_Fit = score.fit",
            "Leadflow_Persona = score.persona_influence",
            "Leadflow_Engagement = score.engagement",
            "Leadflow_Grade = score.grade",
            "Leadflow_Priority = score.priority",
            "Leadflow_Score_Summary = score.summary",
            "Leadflow_GHL_ID = link.ghl",
        ],
        description=(
            "Leads fields, each 'Zoho_Field = source': a person column, company.<column>, score.<column> or"
            " link.<target> (the person's record id at another target: ghl)"
        ),
    )
    contacts: list[str] = Field(
        default_factory=lambda: [
            "First_Name = first_name",
            "Last_Name = last_name",
            "Email = email",
            "Title = title",
            "Phone = phone_e164",
            "Mailing_Country = country",
            "Mailing_State = state",
            "Mailing_City = city",
            "Leadflow_Fit = score.fit",
            "Leadflow_Persona = score.persona_influence",
            "Leadflow_Engagement = score.engagement",
            "Leadflow_Grade = score.grade",
            "Leadflow_Priority = score.priority",
            "Leadflow_Score_Summary = score.summary",
            "Leadflow_GHL_ID = link.ghl",
        ],
        description="Contacts fields, each 'Zoho_Field = source' (Account_Name is set from the company's Account)",
    )
    accounts: list[str] = Field(
        default_factory=lambda: [
            "Account_Name = name",
            "Website = domain",
            "Employees = employees",
            "Annual_Revenue = annual_revenue",
            "Billing_Country = country",
        ],
        description="Accounts fields, each 'Zoho_Field = golden_companies column'",
    )
    fill_if_empty: list[str] = Field(
        default_factory=lambda: ["Phone", "Designation", "Title", "Website"],
        description="Fields only written while empty in Zoho (people edit them by hand)",
    )
    sync_nulls: bool = Field(False, description="Write empty values over Zoho's; false means nulls are never sent")
    duplicate_check_fields: dict[str, list[str]] = Field(
        default_factory=lambda: {"Leads": ["Email"], "Contacts": ["Email"]},
        description=(
            "Per module, the fields Zoho's upsert matches on after external_id_field, so a record Zoho already"
            " holds is updated, not created twice, even when the CRM mirror is stale"
        ),
    )
    lead_matched_to_contact: Literal["convert", "merge", "report"] = Field(
        "convert",
        description=(
            "A Lead leadflow wrote for a person later matched to an existing Contact: convert (Zoho's lead"
            " conversion into that Contact, which keeps the Contact's values), merge (the same, the Contact taking"
            " the Lead's values) or report (listed in lead_conversions, nothing sent)"
        ),
    )
    mirror_bulk_read_above: int = Field(
        10_000,
        ge=0,
        description=(
            "The CRM mirror's first load of a module uses one bulk read job (50 credits per 200,000 records) when the"
            " module holds more records than this, the records API (1 credit per 200) otherwise: 10,000 is where"
            " the two cost the same; the records API cannot page past 100,000 records"
        ),
    )

    @field_validator("leads", "contacts", "accounts")
    @classmethod
    def _mapping(cls, value: list[str]) -> list[str]:
        return _mapping_lines(value, field_pattern="Zoho_Field")

    def field_map(self, module: str) -> dict[str, str]:
        """Zoho field -> source expression for ``module`` (Leads, Contacts or Accounts).

        Example:
            >>> ZohoSyncSettings().field_map("Accounts")["Account_Name"]
            'name'
        """
        return _field_map({"Leads": self.leads, "Contacts": self.contacts, "Accounts": self.accounts}[module])


class GhlSyncSettings(Section):
    """What GoHighLevel receives: the contact field map, the custom field leadflow upserts by and the guards."""

    contacts: list[str] = Field(
        default_factory=lambda: [
            "firstName = first_name",
            "lastName = last_name",
            "email = email",
            "phone = phone_e164",
            "companyName = company.name | company_name",
            "website = company.domain",
            "country = country",
            "state = state",
            "city = city",
            "contact.leadflow_fit = score.fit",
            "contact.leadflow_persona = score.persona_influence",
            "contact.leadflow_engagement = score.engagement",
            "contact.leadflow_grade = score.grade",
            "contact.leadflow_priority = score.priority",
            "contact.leadflow_zoho_id = link.zoho",
            "dndSettings = score.suppression_reasons",
        ],
        description=(
            "Contact fields, each 'ghlField = source' (a standard field of the contacts API) or"
            " 'contact.<custom field key> = source'"
        ),
    )
    external_id_field: str = Field(
        "contact.leadflow_id",
        description="Key of the contact custom field that holds the golden person id (created when missing)",
    )
    fill_if_empty: list[str] = Field(
        default_factory=lambda: ["phone", "website", "companyName"],
        description="Fields only written while empty in GoHighLevel (people edit them by hand)",
    )
    sync_nulls: bool = Field(False, description="Write empty values over GoHighLevel's; false means never")

    @field_validator("contacts")
    @classmethod
    def _mapping(cls, value: list[str]) -> list[str]:
        return _mapping_lines(value, field_pattern="ghlField")

    def field_map(self, module: str = "contacts") -> dict[str, str]:
        """GHL field -> source expression (GHL has one person module: contacts).

        Example:
            >>> GhlSyncSettings().field_map()["email"]
            'email'
        """
        if module != "contacts":
            raise KeyError(module)
        return _field_map(self.contacts)


# Keys of the first [sync] layout, now in [sync.zoho].
LEGACY_ZOHO_KEYS = tuple(ZohoSyncSettings.model_fields)
TARGET_TABLES = ("zoho", "ghl")


class SyncSettings(Section):
    """How the engine writes to every target; ``zoho`` and ``ghl`` hold what each target receives."""

    write_method: Literal["auto", "batch", "bulk"] = Field(
        "auto",
        description="auto picks batch calls or a bulk job (where the target has one) by credits and time",
    )
    credit_reserve: int = Field(
        100, ge=0, description="Credits left untouched below the daily budget, for other tools of the org"
    )
    lock_lease_seconds: int = Field(
        120, ge=5, description="A sync's lock expires this long after its last heartbeat (crashed holder)"
    )
    max_attempts: int = Field(
        5,
        ge=1,
        description=(
            "Sends of one operation (over all runs) before it is marked failed; leadflow sync --retry-failed"
            " sends failed operations again"
        ),
    )
    chunk_records: int = Field(
        2_000,
        ge=10,
        le=100_000,
        description="Golden records planned, queued and sent per chunk (bounds the memory a sync holds)",
    )
    zoho: ZohoSyncSettings = Field(default_factory=ZohoSyncSettings, description="Zoho CRM: mapping and guards")
    ghl: GhlSyncSettings = Field(default_factory=GhlSyncSettings, description="GoHighLevel: mapping and guards")

    @model_validator(mode="before")
    @classmethod
    def _target_keys(cls, data: Any) -> Any:
        """Flat keys of the first layout go to ``[sync.zoho]`` (winning over it, as the environment does);
        ``zoho_<key>`` / ``ghl_<key>`` (from ``LEADFLOW_SYNC_ZOHO_<KEY>``) go to their sub-table."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        tables: dict[str, dict[str, Any]] = {}
        for name in TARGET_TABLES:
            current = data.get(name)
            if current is None or isinstance(current, dict):
                tables[name] = dict(current or {})
            elif hasattr(current, "model_dump"):
                tables[name] = current.model_dump()
            else:
                return data  # not a table: left to the field's own validation
        moved = False
        for key in list(data):
            target, key_in_table = None, key
            if key in LEGACY_ZOHO_KEYS:
                target = "zoho"
            else:
                prefix, _, rest = key.partition("_")
                if prefix in TARGET_TABLES and rest:
                    target, key_in_table = prefix, rest
            if target is None:
                continue
            tables[target][key_in_table] = _decoded(target, key_in_table, data.pop(key))
            moved = True
        if moved:
            data.update({name: table for name, table in tables.items() if table or name in data})
        return data


def _decoded(target: str, key: str, value: Any) -> Any:
    """Lists and tables given as JSON text in the environment, decoded like pydantic-settings does for sections."""
    model = ZohoSyncSettings if target == "zoho" else GhlSyncSettings
    info = model.model_fields.get(key)
    if isinstance(value, str) and info is not None and getattr(info.annotation, "__origin__", None) in (list, dict):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
