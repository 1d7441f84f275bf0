"""GoHighLevel's shape for the sync engine: one person module (``contacts``), no companies, owned tags through
the tag endpoints, custom fields addressed by key (``contact.leadflow_id``) and created by leadflow.

Built from ``[sync.ghl]`` by :func:`ghl_schema`; nothing else in ``sync/`` names a GHL field.
"""

from __future__ import annotations

from leadflow.config import GhlSyncSettings
from leadflow.sync.schema import FieldSpec, TargetSchema

TARGET = "ghl"
CONTACTS = "contacts"
# Contacts per engine call: per write call (GHL takes one contact a request; the target loops), per bulk tag call.
BATCH_SIZE = 100

# The custom fields leadflow owns in GHL: the key GHL derives from the name (``contact.<slug of name>``).
LEADFLOW_FIELDS: dict[str, FieldSpec] = {
    spec.api_name: spec
    for spec in (
        FieldSpec("contact.leadflow_id", "Leadflow ID", "text", length=64, unique=True),
        FieldSpec("contact.leadflow_fit", "Leadflow Fit", "double"),
        FieldSpec("contact.leadflow_persona", "Leadflow Persona", "double"),
        FieldSpec("contact.leadflow_engagement", "Leadflow Engagement", "double"),
        FieldSpec("contact.leadflow_grade", "Leadflow Grade", "text", length=8),
        FieldSpec("contact.leadflow_priority", "Leadflow Priority", "boolean"),
        FieldSpec("contact.leadflow_suppressed", "Leadflow Suppressed", "boolean"),
        FieldSpec("contact.leadflow_zoho_id", "Leadflow Zoho ID", "text", length=32),
    )
}

# GHL's lengths are not documented; these are the ones it enforces in its UI for the standard text fields.
TEXT_LIMITS: dict[str, int] = {"firstName": 100, "lastName": 100, "companyName": 255, "website": 255}


def ghl_schema(settings: GhlSyncSettings) -> TargetSchema:
    """GHL's schema with the mapping and guards of ``[sync.ghl]``.

    Example:
        >>> schema = ghl_schema(GhlSyncSettings())
        >>> schema.name, schema.person_modules, schema.account_module
        ('ghl', ('contacts',), None)
    """
    return TargetSchema(
        name=TARGET,
        person_modules=(CONTACTS,),
        new_people_module=CONTACTS,
        field_maps={CONTACTS: settings.field_map()},
        external_id_field=settings.external_id_field,
        account_module=None,
        sync_accounts=False,
        sync_nulls=settings.sync_nulls,
        fill_if_empty=frozenset(settings.fill_if_empty),
        text_limits=TEXT_LIMITS,
        required_one_of={CONTACTS: ("email", "phone")},
        owned_fields=LEADFLOW_FIELDS,
        write_phases=("person", "tags"),
        batch_size=BATCH_SIZE,
        bulk_rows=None,
        supports_tags=True,
        crm_mirror=False,
    )
