"""Zoho CRM's shape for the sync engine: Leads, Contacts and Accounts, the ``Account_Name`` lookup, the
lengths of the standard text fields, mandatory fields, the ``Leadflow_*`` custom fields and the codes
that are about the call rather than the record.

Built from ``[sync.zoho]`` by :func:`zoho_schema`; nothing else in ``sync/`` names a Zoho module or field.
"""

from __future__ import annotations

from leadflow.config import ZohoSyncSettings
from leadflow.sync.schema import FieldSpec, TargetSchema

TARGET = "zoho"
PERSON_MODULES = ("Leads", "Contacts")
ACCOUNT_MODULE = "Accounts"
BATCH_SIZE = 100  # records per insert/update/upsert call
BULK_FILE_ROWS = 25_000  # rows per bulk write job

# The custom fields leadflow owns; any mapping target named like these is created when missing.
LEADFLOW_FIELDS: dict[str, FieldSpec] = {
    spec.api_name: spec
    for spec in (
        FieldSpec("Leadflow_ID", "Leadflow ID", "text", length=64, unique=True),
        FieldSpec("Leadflow_Fit", "Leadflow Fit", "double"),
        FieldSpec("Leadflow_Persona", "Leadflow Persona", "double"),
        FieldSpec("Leadflow_Engagement", "Leadflow Engagement", "double"),
        FieldSpec("Leadflow_Grade", "Leadflow Grade", "text", length=8),
        FieldSpec("Leadflow_Priority", "Leadflow Priority", "boolean"),
        FieldSpec("Leadflow_Suppressed", "Leadflow Suppressed", "boolean"),
        FieldSpec("Leadflow_Score_Summary", "Leadflow Score Summary", "textarea", length=2000),
        FieldSpec("Leadflow_GHL_ID", "Leadflow GHL ID", "text", length=32),
    )
}

# Zoho's lengths of the standard text fields leadflow writes by default: longer values are "invalid" and
# never sent, instead of coming back as INVALID_DATA.
TEXT_LIMITS: dict[str, int] = {
    "First_Name": 40,
    "Last_Name": 80,
    "Email": 100,
    "Designation": 100,
    "Title": 100,
    "Phone": 30,
    "Mobile": 30,
    "Company": 200,
    "Account_Name": 200,
    "Website": 255,
    "Country": 100,
    "State": 100,
    "City": 100,
    "Mailing_Country": 100,
    "Mailing_State": 100,
    "Mailing_City": 100,
    "Billing_Country": 100,
    "Leadflow_ID": 64,
    "Leadflow_Grade": 8,
    "Leadflow_Score_Summary": 2000,
    "Leadflow_GHL_ID": 32,
}

MANDATORY: dict[str, tuple[str, ...]] = {
    "Leads": ("Last_Name",),
    "Contacts": ("Last_Name",),
    "Accounts": ("Account_Name",),
}

# Zoho codes that say nothing about the record: the next run retries them without being asked.
RETRYABLE_CODES = frozenset({"TOO_MANY_REQUESTS", "INTERNAL_ERROR", "LIMIT_EXCEEDED"})


def zoho_schema(settings: ZohoSyncSettings) -> TargetSchema:
    """Zoho's schema with the mapping and guards of ``[sync.zoho]``.

    Example:
        >>> schema = zoho_schema(ZohoSyncSettings())
        >>> schema.module_for_person("Contacts", None), schema.account_lookup["Contacts"]
        ('Contacts', 'Account_Name')
    """
    modules = (*PERSON_MODULES, ACCOUNT_MODULE)
    return TargetSchema(
        name=TARGET,
        person_modules=PERSON_MODULES,
        new_people_module=settings.new_people_module,
        field_maps={module: settings.field_map(module) for module in modules},
        external_id_field=settings.external_id_field,
        account_module=ACCOUNT_MODULE,
        account_lookup={"Contacts": "Account_Name"},
        sync_accounts=settings.sync_accounts,
        sync_nulls=settings.sync_nulls,
        fill_if_empty=frozenset(settings.fill_if_empty),
        text_limits=TEXT_LIMITS,
        mandatory=MANDATORY,
        owned_fields=LEADFLOW_FIELDS,
        duplicate_check_fields={
            module: tuple(fields) for module, fields in settings.duplicate_check_fields.items() if module in modules
        },
        cross_module_duplicates={"Leads": ("Contacts",)},
        batch_size=BATCH_SIZE,
        bulk_rows=BULK_FILE_ROWS,
        retryable_codes=RETRYABLE_CODES,
        crm_mirror=True,
    )
