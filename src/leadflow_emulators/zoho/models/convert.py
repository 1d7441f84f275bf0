"""The convert layer of the Zoho backend: a Lead becomes a Contact, an Account (found by name or created)
and optionally a Deal, as ``POST /Leads/{id}/actions/convert`` does. As in Zoho, the Lead's Notes move to the
Contact and its Tasks, Calls and Events to the Contact and the new Deal (else the Account).

Example:
    >>> from leadflow_emulators.zoho.models.backend import ZohoBackend
    >>> backend = ZohoBackend(seed=1)
    >>> [lead] = backend.insert("Leads", [{"Last_Name": "Ng", "Company": "Acme"}])
    >>> sorted(module for module, ref in backend.convert_lead(str(lead.id), {}).items() if ref)
    ['Accounts', 'Contacts']
"""

from __future__ import annotations

from typing import Any

from leadflow_emulators.common.clock import iso
from leadflow_emulators.zoho.exceptions import ZohoError
from leadflow_emulators.zoho.models.activities import ACTIVITY_MODULES
from leadflow_emulators.zoho.models.tags import TagsLayer


class ConvertLayer(TagsLayer):
    """Lead conversion (see the module docstring)."""

    # --------------------------------------------------------------- convert
    def convert_lead(self, lead_id: str, spec: dict[str, Any], *, user_id: str | None = None) -> dict[str, Any]:
        """Convert a Lead into a Contact, an Account (found by name or created) and optionally a Deal.

        Returns the ``details`` of Zoho's answer: ``{"Contacts": {...}, "Accounts": {...}, "Deals": {...}}``.
        Raises ``ZohoError`` for an unknown or already converted lead, ``RecordError`` for a bad Deal.
        """
        uid = user_id or self.directory.current_user_id
        leads = self._records["Leads"]
        with self.transaction():
            lead = leads.live.get(str(lead_id))
            if lead is None:
                raise ZohoError(400, "INVALID_DATA", "the id given seems to be invalid", {"resource_path_index": 1})
            if lead.get("Converted__s"):
                raise ZohoError(400, "ID_ALREADY_CONVERTED", "id already converted", {"resource_path_index": 1})
            account_id = self._convert_account(lead, spec.get("Accounts"), uid)
            contact_id = self._convert_contact(lead, spec.get("Contacts"), account_id, bool(spec.get("overwrite")), uid)
            deal_id = None
            if isinstance(spec.get("Deals"), dict):
                deal_row = dict(spec["Deals"])
                deal_row.pop("Contact_Role", None)
                if account_id:
                    deal_row.setdefault("Account_Name", {"id": account_id})
                deal_row.setdefault("Contact_Name", {"id": contact_id})
                deal_meta = self._modules["Deals"]
                changes = self._clean(deal_meta, deal_row, 0, creating=True)
                deal_id = self._create(deal_meta, changes, uid)["id"]
            self._carry_related(
                str(lead["id"]), contact_id, deal_id or account_id, "Deals" if deal_id else "Accounts", uid
            )
            carry = spec.get("carry_over_tags") or {}
            for module, new_id in (("Contacts", contact_id), ("Accounts", account_id), ("Deals", deal_id)):
                names = carry.get(module) if isinstance(carry, dict) else None
                if new_id and names:
                    self.tag_records(module, [new_id], [str(name) for name in names])
            self._modify(
                self._modules["Leads"],
                lead["id"],
                {"Converted__s": True, "Converted_Date_Time": iso(self.clock.now())},
                uid,
            )
            self.count("Leads", "converted")

            def ref(module: str, record_id: str | None) -> dict[str, Any] | None:
                return None if record_id is None else {"name": self.display_name(module, record_id), "id": record_id}

            return {
                "Contacts": ref("Contacts", contact_id),
                "Accounts": ref("Accounts", account_id),
                "Deals": ref("Deals", deal_id),
            }

    def _carry_related(self, lead_id: str, contact_id: str, what_id: str | None, what_module: str, uid: str) -> None:
        """What hung on the Lead moves with the conversion, as in Zoho: its Notes to the Contact; its Tasks, Calls
        and Events to the Contact (``Who_Id``) and the Deal made (else the Account) (``What_Id``)."""
        for note_id in self.find("Notes", "Parent_Id", lead_id):
            note = self._records["Notes"].live.get(note_id)
            parent = (note or {}).get("Parent_Id") or {}
            if note is not None and (parent.get("module") or {}).get("api_name") == "Leads":
                moved = {"id": contact_id, "module": {"api_name": "Contacts"}}
                self._modify(self._modules["Notes"], note_id, {"Parent_Id": moved}, uid)
        for module in ACTIVITY_MODULES:
            for activity_id in self.find(module, "What_Id", lead_id):
                activity = self._records[module].live.get(activity_id)
                if activity is None or activity.get("$se_module") != "Leads":
                    continue
                changes: dict[str, Any] = {"Who_Id": {"id": contact_id}}
                changes.update(
                    {"What_Id": {"id": what_id}, "$se_module": what_module}
                    if what_id
                    else {"What_Id": None, "$se_module": None}
                )
                self._modify(self._modules[module], activity_id, changes, uid)

    def _ref_id(self, value: Any) -> str | None:
        if isinstance(value, dict):
            value = value.get("id")
        return None if value in (None, "") else str(value)

    def _convert_account(self, lead: dict[str, Any], given: Any, uid: str) -> str | None:
        accounts = self._records["Accounts"]
        account_id = self._ref_id(given)
        if account_id is not None:
            if account_id not in accounts.live:
                raise ZohoError(400, "INVALID_DATA", "invalid data", {"api_name": "Accounts", "id": account_id})
            return account_id
        company = lead.get("Company")
        if not company:
            return None
        found = accounts.find("Account_Name", company)
        if found:
            return found[0]
        mapping = {
            "Account_Name": company,
            "Phone": lead.get("Phone"),
            "Website": lead.get("Website"),
            "Industry": lead.get("Industry"),
            "Annual_Revenue": lead.get("Annual_Revenue"),
            "Employees": lead.get("No_of_Employees"),
            "Billing_Street": lead.get("Street"),
            "Billing_City": lead.get("City"),
            "Billing_State": lead.get("State"),
            "Billing_Code": lead.get("Zip_Code"),
            "Billing_Country": lead.get("Country"),
            "Owner": lead.get("Owner"),
        }
        changes = {key: value for key, value in mapping.items() if value is not None}
        return str(self._create(self._modules["Accounts"], changes, uid)["id"])

    def _convert_contact(
        self, lead: dict[str, Any], given: Any, account_id: str | None, overwrite: bool, uid: str
    ) -> str:
        contacts = self._records["Contacts"]
        mapping = {
            "Salutation": lead.get("Salutation"),
            "First_Name": lead.get("First_Name"),
            "Last_Name": lead.get("Last_Name"),
            "Email": lead.get("Email"),
            "Secondary_Email": lead.get("Secondary_Email"),
            "Phone": lead.get("Phone"),
            "Mobile": lead.get("Mobile"),
            "Title": lead.get("Designation"),
            "Lead_Source": lead.get("Lead_Source"),
            "Description": lead.get("Description"),
            "Email_Opt_Out": lead.get("Email_Opt_Out"),
            "Mailing_Street": lead.get("Street"),
            "Mailing_City": lead.get("City"),
            "Mailing_State": lead.get("State"),
            "Mailing_Zip": lead.get("Zip_Code"),
            "Mailing_Country": lead.get("Country"),
            "Owner": lead.get("Owner"),
            "Account_Name": {"id": account_id} if account_id else None,
        }
        changes = {key: value for key, value in mapping.items() if value is not None}
        contact_id = self._ref_id(given)
        if contact_id is not None:
            if contact_id not in contacts.live:
                raise ZohoError(400, "INVALID_DATA", "invalid data", {"api_name": "Contacts", "id": contact_id})
            if overwrite:
                self._modify(self._modules["Contacts"], contact_id, changes, uid)
            elif account_id and not contacts.live[contact_id].get("Account_Name"):
                self._modify(self._modules["Contacts"], contact_id, {"Account_Name": {"id": account_id}}, uid)
            return contact_id
        return str(self._create(self._modules["Contacts"], changes, uid)["id"])
