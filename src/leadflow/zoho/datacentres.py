"""Zoho's data centres: where each one's accounts (OAuth) server and API live."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class DataCentre:
    """One Zoho data centre.

    Example:
        >>> DATA_CENTRES["eu"].api_url
        'https://www.zohoapis.eu'
    """

    code: str
    accounts_url: str
    api_url: str

    @property
    def upload_url(self) -> str:
        """Bulk write uploads go to the ``content.`` host of the same domain."""
        return self.api_url.replace("://www.", "://content.", 1)


DATA_CENTRES: dict[str, DataCentre] = {
    dc.code: dc
    for dc in (
        DataCentre("us", "https://accounts.zoho.com", "https://www.zohoapis.com"),
        DataCentre("eu", "https://accounts.zoho.eu", "https://www.zohoapis.eu"),
        DataCentre("in", "https://accounts.zoho.in", "https://www.zohoapis.in"),
        DataCentre("au", "https://accounts.zoho.com.au", "https://www.zohoapis.com.au"),
        DataCentre("jp", "https://accounts.zoho.jp", "https://www.zohoapis.jp"),
        DataCentre("ca", "https://accounts.zohocloud.ca", "https://www.zohoapis.ca"),
        DataCentre("cn", "https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"),
        DataCentre("sa", "https://accounts.zoho.sa", "https://www.zohoapis.sa"),
    )
}


def data_centre_of(url: str) -> str | None:
    """The data centre whose API or accounts host ``url`` names, ``None`` for any other host (an emulator).

    Example:
        >>> data_centre_of("https://www.zohoapis.com.au")
        'au'
    """
    host = (urlsplit(url).hostname or "").lower()
    for dc in DATA_CENTRES.values():
        for known in (dc.api_url, dc.accounts_url, dc.upload_url):
            if host == urlsplit(known).hostname:
                return dc.code
    return None


def upload_root(api_root: str) -> str:
    """The host that takes bulk uploads for an API root: ``content.zohoapis.*`` for Zoho, the root itself else.

    Example:
        >>> upload_root("https://www.zohoapis.eu")
        'https://content.zohoapis.eu'
        >>> upload_root("http://127.0.0.1:8010")
        'http://127.0.0.1:8010'
    """
    if data_centre_of(api_root) is not None and "://www." in api_root:
        return api_root.replace("://www.", "://content.", 1)
    return api_root
