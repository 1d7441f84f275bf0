"""Connecting a marketplace app to a GHL sub-account or agency: the consent URL and the code exchange."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

import httpx

from leadflow.ghl.auth import TOKEN_PATH, OAuthAuth, TokenGrant, token_request

CHOOSE_LOCATION_URL = "https://marketplace.gohighlevel.com/v2/oauth/chooselocation"
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8766/callback"
DEFAULT_SCOPES = (
    "contacts.readonly",
    "contacts.write",
    "locations.readonly",
    "locations/customFields.readonly",
    "locations/customFields.write",
    "locations/tags.readonly",
    "locations/tags.write",
    "opportunities.readonly",
    "opportunities.write",
    "workflows.readonly",
    "conversations.readonly",
    "conversations.write",
    "conversations/message.readonly",
    "conversations/message.write",
    "calendars.readonly",
    "calendars/events.readonly",
    "calendars/events.write",
    "users.readonly",
)


def consent_url(*, client_id: str, redirect_uri: str, scopes: Sequence[str], state: str | None = None) -> str:
    """The page where an admin picks the location and installs the app (GHL redirects back with ``code``).

    Example:
        >>> consent_url(client_id="app-1", redirect_uri="http://127.0.0.1:8766/callback", scopes=["contacts.readonly"])
        'https://marketplace.gohighlevel.com/v2/oauth/chooselocation?response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A8766%2Fcallback&client_id=app-1&scope=contacts.readonly'
    """
    query = {"response_type": "code", "redirect_uri": redirect_uri, "client_id": client_id, "scope": " ".join(scopes)}
    if state:
        query["state"] = state
    return f"{CHOOSE_LOCATION_URL}?{urlencode(query)}"


def exchange_and_save(
    http: httpx.Client, auth: OAuthAuth, *, code: str, client_secret: str, redirect_uri: str | None
) -> TokenGrant:
    """Exchange the authorization code and save the tokens (encrypted when a key is set) for ``auth``."""
    form = {
        "client_id": auth.client_id,
        "client_secret": client_secret,
        "grant_type": "authorization_code",
        "code": code,
    }
    if redirect_uri:
        form["redirect_uri"] = redirect_uri
    grant = token_request(http, auth.base_url + TOKEN_PATH, form, now=auth.clock)
    auth.save_grant(grant)
    return grant
