"""Module and field metadata: the standard modules leadflow uses, plus custom fields and modules.

Field definitions drive validation (data types, lengths, picklists, uniqueness, mandatory fields) and the
``/settings/fields`` and ``/settings/modules`` responses.

Example:
    >>> meta = standard_modules()["Leads"]
    >>> meta.fields["Last_Name"].system_mandatory, meta.fields["Email"].data_type
    (True, 'email')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Field data types Zoho reports in /settings/fields and that the validator understands.
TEXT_TYPES = frozenset({"text", "textarea", "email", "phone", "website", "autonumber"})
NUMBER_TYPES = frozenset({"integer", "bigint", "double", "currency", "percent", "decimal"})
DATA_TYPES = (
    TEXT_TYPES
    | NUMBER_TYPES
    | {
        "boolean",
        "date",
        "datetime",
        "picklist",
        "multiselectpicklist",
        "lookup",
        "ownerlookup",
        "userlookup",
    }
)
DEFAULT_LENGTHS = {
    "text": 255,
    "textarea": 32000,
    "email": 100,
    "phone": 30,
    "website": 255,
    "integer": 9,
    "bigint": 18,
    "double": 16,
    "currency": 16,
    "percent": 5,
    "decimal": 16,
    "picklist": 120,
    "multiselectpicklist": 2000,
    "multiselectlookup": 2000,
    "boolean": 5,
    "date": 20,
    "datetime": 120,
    "lookup": 120,
    "ownerlookup": 120,
    "userlookup": 120,
    "autonumber": 255,
}
JSON_TYPES = {
    "integer": "integer",
    "bigint": "integer",
    "double": "double",
    "currency": "double",
    "percent": "double",
    "decimal": "double",
    "boolean": "boolean",
    "multiselectpicklist": "jsonarray",
    "multiselectlookup": "jsonarray",
    "lookup": "jsonobject",
    "ownerlookup": "jsonobject",
    "userlookup": "jsonobject",
}


@dataclass
class FieldMeta:
    """One field of a module, as ``/settings/fields`` describes it."""

    api_name: str
    data_type: str
    label: str = ""
    length: int = 0
    system_mandatory: bool = False
    unique: bool = False
    custom_field: bool = False
    read_only: bool = False
    lookup_module: str | None = None
    multi_module: tuple[str, ...] = ()
    pick_list_values: tuple[str, ...] = ()
    id: str = ""
    pick_list_extras: dict[str, dict[str, Any]] = field(default_factory=dict)  # e.g. a stage's probability

    def __post_init__(self) -> None:
        if not self.label:
            self.label = self.api_name.replace("__c", "").replace("_", " ")
        if not self.length:
            self.length = DEFAULT_LENGTHS.get(self.data_type, 255)

    @property
    def is_lookup(self) -> bool:
        return self.data_type in ("lookup", "ownerlookup", "userlookup")

    def to_json(self, module_name: str, module_id: str, version: str = "v8") -> dict[str, Any]:
        """The field as ``GET /settings/fields`` renders it in API ``version``.

        v2 and v2.1 name a lookup's module with a string (``"module": "Accounts"``); later versions with an
        object (``{"api_name", "id"}``). Properties without a value are sent as null, as Zoho does.
        """
        legacy = version in ("v2", "v2.1")
        picklist = [
            {
                "display_value": value,
                "actual_value": value,
                "sequence_number": number,
                "id": f"{self.id[:-3]}{number:03d}" if self.id else str(number),
                "type": "used",
                "colour_code": None,
                **self.pick_list_extras.get(value, {}),
            }
            for number, value in enumerate(self.pick_list_values, start=1)
        ]
        lookup: dict[str, Any] = {}
        if self.lookup_module:
            lookup = {
                "display_label": self.lookup_module,
                "api_name": self.api_name,
                "module": self.lookup_module
                if legacy
                else {"api_name": self.lookup_module, "id": module_ids().get(self.lookup_module, "")},
                "id": self.id,
                "query_details": {},
            }
        elif self.multi_module:
            # Who_Id/What_Id style fields: the target comes with $se_module on the record.
            target: Any = "se_module" if legacy else {"api_name": "se_module", "id": None}
            lookup = {"module": target, "api_name": self.api_name, "id": self.id}
        body = {
            "api_name": self.api_name,
            "field_label": self.label,
            "display_label": self.label,
            "column_name": self.api_name.upper(),
            "id": self.id,
            "data_type": self.data_type,
            "json_type": JSON_TYPES.get(self.data_type, "string"),
            "length": self.length,
            "system_mandatory": self.system_mandatory,
            "custom_field": self.custom_field,
            "read_only": self.read_only,
            "field_read_only": self.read_only,
            "visible": True,
            "sortable": True,
            "mass_update": not self.read_only,
            "unique": {"casesensitive": False} if self.unique else {},
            "pick_list_values": picklist,
            "lookup": lookup,
            "decimal_place": 2 if self.data_type in ("currency", "double", "decimal") else None,
            "created_source": "default" if not self.custom_field else "crm",
            "operation_type": {
                "web_update": not self.read_only,
                "api_create": not self.read_only,
                "web_create": not self.read_only,
                "api_update": not self.read_only,
            },
            "profiles": [
                {
                    "permission_type": "read_write" if not self.read_only else "read_only",
                    "name": "Administrator",
                    "id": "5725767000000026011",
                }
            ],
            "webhook": True,
            "quick_sequence_number": None,
            "businesscard_supported": True,
            "type": "used",
            "private": None,
            "tooltip": None,
            "crypt": None,
            "currency": {},
            "formula": {},
            "auto_number": {},
            "subform": None,
            "external": None,
            "history_tracking": None,
            "enable_colour_code": False,
            "multiselectlookup": {},
            "display_type": -1,
            "ui_type": 1,
            "sequence_number": 1,
            "separator": False,
            "textarea": {"type": "small"} if self.data_type == "textarea" else None,
            "filterable": True,
            "searchable": True,
            "virtual_field": False,
            "hipaa_compliance_enabled": False,
            "email_parser": {"fields_update_supported": False, "record_operations_supported": False},
            "association_details": None,
            "additional_column": None,
            "field_label_2": None,
        }
        return body


@dataclass
class ModuleMeta:
    """One module: its names, the field the record's display name comes from, and its fields."""

    api_name: str
    singular_label: str
    id: str
    name_field: str
    fields: dict[str, FieldMeta] = field(default_factory=dict)
    custom_module: bool = False
    default_dup_fields: tuple[str, ...] = ()
    api_writable: bool = True  # False for modules only Zoho writes (Stage_History)

    def _cached(self, key: str, compute: Any) -> list[str]:
        # Fields are only ever added, so the number of fields tells whether a cached list is current.
        cache: dict[str, tuple[int, list[str]]] = self.__dict__.setdefault("_lists", {})
        hit = cache.get(key)
        if hit is None or hit[0] != len(self.fields):
            hit = (len(self.fields), compute())
            cache[key] = hit
        return hit[1]

    def unique_fields(self) -> list[str]:
        return self._cached("unique", lambda: [name for name, meta in self.fields.items() if meta.unique])

    def mandatory_fields(self) -> list[str]:
        return self._cached("mandatory", lambda: [name for name, meta in self.fields.items() if meta.system_mandatory])

    def duplicate_check_fields(self) -> list[str]:
        """Upsert's default ``duplicate_check_fields``: the module's system field, then its unique fields."""
        names = list(self.default_dup_fields)
        names.extend(name for name in self.unique_fields() if name not in names)
        return names

    def to_json(self) -> dict[str, Any]:
        """The module as ``GET /settings/modules`` renders it."""
        return {
            "api_name": self.api_name,
            "module_name": self.api_name,
            "singular_label": self.singular_label,
            "plural_label": self.api_name.replace("_", " "),
            "id": self.id,
            "api_supported": True,
            "generated_type": "custom" if self.custom_module else "default",
            "creatable": self.api_writable,
            "editable": self.api_writable,
            "deletable": self.custom_module,
            "viewable": True,
            "convertable": self.api_name == "Leads",
            "global_search_supported": True,
            "quick_create": True,
            "visibility": 1,
            "visible": True,
            "show_as_tab": True,
            "sequence_number": _SEQUENCE.get(self.api_name, 50),
            "status": "visible",
            "feeds_required": False,
            "scoring_supported": self.api_name in ("Leads", "Contacts", "Accounts", "Deals"),
            "webform_supported": True,
            "triggers_supported": True,
            "filter_supported": True,
            "kanban_view": False,
            "kanban_view_supported": True,
            "presence_sub_menu": False,
            "isBlueprintSupported": True,
            "emailTemplate_support": True,
            "email_parser_supported": False,
            "inventory_template_supported": False,
            "arguments": [],
            "parent_module": {},
            "profiles": [{"name": "Administrator", "id": "5725767000000026011"}],
            "business_card_field_limit": 5,
            "lookup_field_properties": {"fields": []},
            "per_page": 200,
            "search_layout_fields": [],
            "has_more_profiles": False,
            "private_profile": None,
            "recycle_bin_on_delete": True,
            "zia_view": False,
            "display_field": {
                "api_name": self.name_field,
                "id": self.fields[self.name_field].id if self.name_field in self.fields else None,
            },
            "access_type": "org_based",
            "activity_badge": "Disabled",
            "sub_menu_available": False,
            "common.search_supported": True,
            "modified_time": "2026-01-01T00:00:00+00:00",
            "modified_by": {"name": "Leadflow Admin", "id": "5725767000000411001"},
        }


_SEQUENCE = {"Leads": 2, "Contacts": 3, "Accounts": 4, "Deals": 5, "Tasks": 6, "Events": 7, "Calls": 8, "Notes": 20}
_MODULE_IDS = {
    "Leads": "5725767000000002175",
    "Contacts": "5725767000000002179",
    "Accounts": "5725767000000002177",
    "Deals": "5725767000000002181",
    "Tasks": "5725767000000002193",
    "Events": "5725767000000002195",
    "Calls": "5725767000000002197",
    "Notes": "5725767000000002199",
}


def module_ids() -> dict[str, str]:
    return dict(_MODULE_IDS)


def _picklist(*values: str) -> tuple[str, ...]:
    return ("-None-", *values)


INDUSTRIES = _picklist(
    "ASP (Application Service Provider)",
    "Data/Telecom OEM",
    "ERP (Enterprise Resource Planning)",
    "Government/Military",
    "Large Enterprise",
    "ManagementISV",
    "MSP (Management Service Provider)",
    "Network Equipment Enterprise",
    "Non-management ISV",
    "Optical Networking",
    "Service Provider",
    "Small/Medium Enterprise",
    "Storage Equipment",
    "Storage Service Provider",
    "Systems Integrator",
    "Wireless Industry",
    "Communications",
    "Technology",
    "Government",
    "Manufacturing",
    "Real Estate",
    "Financial Services",
    "Healthcare",
    "Education",
    "Retail",
    "Consulting",
    "Other",
)
LEAD_SOURCES = _picklist(
    "Advertisement",
    "Cold Call",
    "Employee Referral",
    "External Referral",
    "Online Store",
    "Partner",
    "Public Relations",
    "Sales Email Alias",
    "Seminar Partner",
    "Internal Seminar",
    "Trade Show",
    "Web Download",
    "Web Research",
    "Chat",
    "Web Form",
    "Apollo",
    "Sales Navigator",
)
LEAD_STATUSES = _picklist(
    "Attempted to Contact",
    "Contact in Future",
    "Contacted",
    "Junk Lead",
    "Lost Lead",
    "Not Contacted",
    "Pre-Qualified",
    "Not Qualified",
    "New",
    "Qualified",
)
STAGES = _picklist(
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Identify Decision Makers",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
    "Closed Lost to Competition",
)
RATINGS = _picklist("Acquired", "Active", "Market Failed", "Project Cancelled", "Shut Down", "Hot", "Warm", "Cold")
SALUTATIONS = _picklist("Mr.", "Mrs.", "Ms.", "Dr.", "Prof.")


def _system_fields() -> list[FieldMeta]:
    return [
        FieldMeta("Owner", "ownerlookup", label="Owner"),
        FieldMeta("Created_By", "ownerlookup", read_only=True),
        FieldMeta("Modified_By", "ownerlookup", read_only=True),
        FieldMeta("Created_Time", "datetime", read_only=True),
        FieldMeta("Modified_Time", "datetime", read_only=True),
        FieldMeta("Tag", "text", read_only=True),
    ]


def _person_fields() -> list[FieldMeta]:
    return [
        FieldMeta("Salutation", "picklist", pick_list_values=SALUTATIONS),
        FieldMeta("First_Name", "text", length=40),
        FieldMeta("Last_Name", "text", length=80, system_mandatory=True),
        FieldMeta("Full_Name", "text", read_only=True),
        FieldMeta("Email", "email"),
        FieldMeta("Secondary_Email", "email"),
        FieldMeta("Phone", "phone"),
        FieldMeta("Mobile", "phone"),
        FieldMeta("Fax", "text", length=30),
        FieldMeta("Email_Opt_Out", "boolean"),
        FieldMeta("Lead_Source", "picklist", pick_list_values=LEAD_SOURCES),
        FieldMeta("Description", "textarea"),
        FieldMeta("Twitter", "text", length=50),
        FieldMeta("Skype_ID", "text", length=50),
        FieldMeta("Last_Activity_Time", "datetime", read_only=True),
    ]


def _activity_links() -> list[FieldMeta]:
    return [
        FieldMeta("Who_Id", "lookup", label="Contact Name", lookup_module="Contacts"),
        FieldMeta("What_Id", "lookup", label="Related To", multi_module=("Accounts", "Deals", "Leads", "Contacts")),
        FieldMeta("Description", "textarea"),
    ]


def standard_modules() -> dict[str, ModuleMeta]:
    """Fresh metadata for Leads, Contacts, Accounts, Deals, Tasks, Calls, Events and Notes."""
    specs: dict[str, tuple[str, str, tuple[str, ...], list[FieldMeta]]] = {
        "Leads": (
            "Lead",
            "Full_Name",
            ("Email",),
            [
                *_person_fields(),
                FieldMeta("Company", "text", length=200),
                FieldMeta("Designation", "text", label="Title", length=100),
                FieldMeta("Lead_Status", "picklist", pick_list_values=LEAD_STATUSES),
                FieldMeta("Industry", "picklist", pick_list_values=INDUSTRIES),
                FieldMeta("No_of_Employees", "integer", label="No. of Employees"),
                FieldMeta("Annual_Revenue", "currency"),
                FieldMeta("Rating", "picklist", pick_list_values=RATINGS),
                FieldMeta("Website", "website"),
                FieldMeta("Street", "text", length=250),
                FieldMeta("City", "text", length=100),
                FieldMeta("State", "text", length=100),
                FieldMeta("Zip_Code", "text", length=30),
                FieldMeta("Country", "text", length=100),
                FieldMeta("Converted__s", "boolean", label="Converted", read_only=True),
                FieldMeta("Converted_Date_Time", "datetime", read_only=True),
            ],
        ),
        "Contacts": (
            "Contact",
            "Full_Name",
            ("Email",),
            [
                *_person_fields(),
                FieldMeta("Account_Name", "lookup", lookup_module="Accounts"),
                FieldMeta("Title", "text", length=100),
                FieldMeta("Department", "text", length=100),
                FieldMeta("Home_Phone", "phone"),
                FieldMeta("Other_Phone", "phone"),
                FieldMeta("Assistant", "text", length=100),
                FieldMeta("Date_of_Birth", "date"),
                FieldMeta("Mailing_Street", "text", length=250),
                FieldMeta("Mailing_City", "text", length=100),
                FieldMeta("Mailing_State", "text", length=100),
                FieldMeta("Mailing_Zip", "text", length=30),
                FieldMeta("Mailing_Country", "text", length=100),
                FieldMeta("Reports_To", "lookup", lookup_module="Contacts"),
            ],
        ),
        "Accounts": (
            "Account",
            "Account_Name",
            ("Account_Name",),
            [
                FieldMeta("Account_Name", "text", length=200, system_mandatory=True),
                FieldMeta("Account_Number", "text", length=40),
                FieldMeta("Account_Site", "text", length=80),
                FieldMeta(
                    "Account_Type",
                    "picklist",
                    pick_list_values=_picklist(
                        "Analyst",
                        "Competitor",
                        "Customer",
                        "Distributor",
                        "Integrator",
                        "Investor",
                        "Other",
                        "Partner",
                        "Press",
                        "Prospect",
                        "Reseller",
                        "Supplier",
                        "Vendor",
                    ),
                ),
                FieldMeta("Parent_Account", "lookup", lookup_module="Accounts"),
                FieldMeta("Industry", "picklist", pick_list_values=INDUSTRIES),
                FieldMeta("Employees", "integer"),
                FieldMeta("Annual_Revenue", "currency"),
                FieldMeta("Rating", "picklist", pick_list_values=RATINGS),
                FieldMeta(
                    "Ownership",
                    "picklist",
                    pick_list_values=_picklist(
                        "Other", "Private", "Public", "Subsidiary", "Partnership", "Government", "Privately Held"
                    ),
                ),
                FieldMeta("Phone", "phone"),
                FieldMeta("Fax", "text", length=30),
                FieldMeta("Website", "website"),
                FieldMeta("Ticker_Symbol", "text", length=30),
                FieldMeta("SIC_Code", "integer"),
                FieldMeta("Billing_Street", "text", length=250),
                FieldMeta("Billing_City", "text", length=100),
                FieldMeta("Billing_State", "text", length=100),
                FieldMeta("Billing_Code", "text", length=30),
                FieldMeta("Billing_Country", "text", length=100),
                FieldMeta("Description", "textarea"),
                FieldMeta("Last_Activity_Time", "datetime", read_only=True),
            ],
        ),
        "Deals": (
            "Deal",
            "Deal_Name",
            ("Deal_Name",),
            [
                FieldMeta("Deal_Name", "text", length=120, system_mandatory=True),
                FieldMeta("Stage", "picklist", system_mandatory=True, pick_list_values=STAGES),
                FieldMeta("Amount", "currency"),
                FieldMeta("Closing_Date", "date"),
                FieldMeta("Account_Name", "lookup", lookup_module="Accounts"),
                FieldMeta("Contact_Name", "lookup", lookup_module="Contacts"),
                FieldMeta("Pipeline", "picklist", pick_list_values=("Standard (Standard)", "Standard")),
                FieldMeta("Probability", "integer", length=3),
                FieldMeta("Expected_Revenue", "currency", read_only=True),
                FieldMeta("Type", "picklist", pick_list_values=_picklist("Existing Business", "New Business")),
                FieldMeta("Lead_Source", "picklist", pick_list_values=LEAD_SOURCES),
                FieldMeta("Next_Step", "text", length=100),
                FieldMeta("Description", "textarea"),
                FieldMeta("Lead_Conversion_Time", "integer", read_only=True),
            ],
        ),
        "Tasks": (
            "Task",
            "Subject",
            (),
            [
                FieldMeta("Subject", "text", length=300, system_mandatory=True),
                FieldMeta("Due_Date", "date"),
                FieldMeta(
                    "Status",
                    "picklist",
                    pick_list_values=("Not Started", "Deferred", "In Progress", "Completed", "Waiting for input"),
                ),
                FieldMeta("Priority", "picklist", pick_list_values=("High", "Highest", "Low", "Lowest", "Normal")),
                FieldMeta("Closed_Time", "datetime", read_only=True),
                *_activity_links(),
            ],
        ),
        "Calls": (
            "Call",
            "Subject",
            (),
            [
                FieldMeta("Subject", "text", length=300, system_mandatory=True),
                FieldMeta(
                    "Call_Type", "picklist", system_mandatory=True, pick_list_values=("Outbound", "Inbound", "Missed")
                ),
                FieldMeta("Call_Start_Time", "datetime", system_mandatory=True),
                FieldMeta("Call_Duration", "text", length=10),
                FieldMeta("Call_Duration_in_seconds", "integer", read_only=True),
                FieldMeta(
                    "Call_Purpose",
                    "picklist",
                    pick_list_values=_picklist(
                        "Prospecting", "Administrative", "Negotiation", "Demo", "Project", "Desk"
                    ),
                ),
                FieldMeta("Call_Result", "text", length=100),
                FieldMeta("Call_Agenda", "text", length=2000),
                *_activity_links(),
            ],
        ),
        "Events": (
            "Event",
            "Event_Title",
            (),
            [
                FieldMeta("Event_Title", "text", length=255, system_mandatory=True),
                FieldMeta("Start_DateTime", "datetime", system_mandatory=True),
                FieldMeta("End_DateTime", "datetime", system_mandatory=True),
                FieldMeta("All_day", "boolean"),
                FieldMeta("Venue", "text", length=255),
                FieldMeta("Participants", "multiselectlookup", label="Participants"),
                *_activity_links(),
            ],
        ),
        "Notes": (
            "Note",
            "Note_Title",
            (),
            [
                FieldMeta("Note_Title", "text", length=120),
                FieldMeta("Note_Content", "textarea", system_mandatory=True),
                FieldMeta(
                    "Parent_Id",
                    "lookup",
                    label="Parent ID",
                    multi_module=("Leads", "Contacts", "Accounts", "Deals", "Tasks", "Calls", "Events"),
                ),
            ],
        ),
    }
    modules: dict[str, ModuleMeta] = {}
    for name, (singular, name_field, dup_fields, fields) in specs.items():
        module_id = _MODULE_IDS[name]
        all_fields = [*fields, *_system_fields()]
        meta = ModuleMeta(name, singular, module_id, name_field, default_dup_fields=dup_fields)
        base = int(module_id) + 1000
        for number, field_meta in enumerate(all_fields):
            field_meta.id = str(base + number * 1000)
            meta.fields[field_meta.api_name] = field_meta
        modules[name] = meta
    return modules


def custom_module(api_name: str, module_id: str) -> ModuleMeta:
    """A new custom module with Zoho's default ``Name`` field."""
    meta = ModuleMeta(api_name, api_name.rstrip("s"), module_id, "Name", custom_module=True)
    base = int(module_id) + 1000
    for number, field_meta in enumerate(
        [FieldMeta("Name", "text", length=120, system_mandatory=True), FieldMeta("Email", "email"), *_system_fields()]
    ):
        field_meta.id = str(base + number * 1000)
        meta.fields[field_meta.api_name] = field_meta
    return meta
