"""Web addresses of a person's records in Zoho CRM and GoHighLevel, from config: pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from leadflow.config import Settings

# Zoho's web UI host per data centre (the API hosts are in zoho/datacentres.py).
ZOHO_WEB_HOSTS = {
    "us": "crm.zoho.com",
    "eu": "crm.zoho.eu",
    "in": "crm.zoho.in",
    "au": "crm.zoho.com.au",
    "jp": "crm.zoho.jp",
    "ca": "crm.zohocloud.ca",
    "cn": "crm.zoho.com.cn",
    "sa": "crm.zoho.sa",
}
GHL_WEB = "https://app.gohighlevel.com"


@dataclass(frozen=True)
class RecordLinks:
    """What the addresses need: Zoho's data centre and org id (``[report] zoho_org_id``; without it the address
    has no org part and Zoho opens the user's default org), and the GHL location."""

    zoho_data_centre: str = "us"
    zoho_org_id: str = ""
    ghl_location_id: str = ""

    def zoho(self, module: str | None, record_id: str | None) -> str | None:
        """The Zoho record's page, or None without a module and id.

        Example:
            >>> RecordLinks("eu", "20071234").zoho("Contacts", "5725767000000430001")
            'https://crm.zoho.eu/crm/org20071234/tab/Contacts/5725767000000430001'
        """
        if not module or not record_id:
            return None
        host = ZOHO_WEB_HOSTS.get(self.zoho_data_centre, ZOHO_WEB_HOSTS["us"])
        org = f"org{quote(self.zoho_org_id, safe='')}/" if self.zoho_org_id else ""
        return f"https://{host}/crm/{org}tab/{quote(module, safe='')}/{quote(record_id, safe='')}"

    def ghl(self, contact_id: str | None) -> str | None:
        """The GHL contact's page, or None without a contact id or a location.

        Example:
            >>> RecordLinks(ghl_location_id="loc1").ghl("c9")
            'https://app.gohighlevel.com/v2/location/loc1/contacts/detail/c9'
        """
        if not contact_id or not self.ghl_location_id:
            return None
        location = quote(self.ghl_location_id, safe="")
        return f"{GHL_WEB}/v2/location/{location}/contacts/detail/{quote(contact_id, safe='')}"


def record_links(
    settings: Settings | None = None,
    *,
    zoho_data_centre: str | None = None,
    zoho_org_id: str | None = None,
    ghl_location_id: str | None = None,
) -> RecordLinks:
    """The link builder for these settings (``[zoho] data_centre``, ``[report] zoho_org_id``, ``[ghl]
    location_id``); a keyword given overrides the setting.

    Example:
        >>> record_links(zoho_data_centre="in", ghl_location_id="L").zoho("Leads", "1")
        'https://crm.zoho.in/crm/tab/Leads/1'
    """
    return RecordLinks(
        zoho_data_centre or (settings.zoho.data_centre if settings else "us"),
        zoho_org_id if zoho_org_id is not None else (settings.report.zoho_org_id if settings else ""),
        ghl_location_id if ghl_location_id is not None else (settings.ghl.location_id if settings else ""),
    )
