"""The token Zoho echoes in every notification of leadflow's channel, when leadflow generated it: generated
once, kept in the store (so every process of the service and every restart checks notifications against the
same), encrypted with ``LEADFLOW_SECRET_KEY`` like the OAuth tokens.

Without a secret key the token is kept in plain text, as the OAuth access tokens are; a token kept in plain
text (no key then, or a version before encryption) is still read, and written back encrypted once a key is
set.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Engine

from leadflow.errors import ConfigError, StoreError
from leadflow.store import kv
from leadflow.store.secrets import SecretBox

TOKEN_KEY = "tracking.zoho_channel_token.{channel_id}"
ENCRYPTED = "encrypted"  # the kv value of an encrypted token: {"encrypted": <Fernet token>}
_REMEDY = "set LEADFLOW_SECRET_KEY to the key in use when it was stored, or set [tracking] zoho_channel_token"


def channel_token(engine: Engine, channel_id: str, configured: str | None, box: SecretBox | None = None) -> str:
    """The channel's token: the configured one, else the one generated for this channel earlier, else a new
    one (stored, encrypted when ``box`` is given).

    Example:
        >>> from leadflow.store import open_store
        >>> engine = open_store("sqlite://")
        >>> channel_token(engine, "1000000068001", None) == channel_token(engine, "1000000068001", None)
        True
    """
    if configured:
        return configured
    stored = stored_channel_token(engine, channel_id, box)
    if stored:
        return stored
    with engine.begin() as connection:
        kv.set_value(
            connection, key=TOKEN_KEY.format(channel_id=channel_id), value=_kept(secrets.token_urlsafe(24), box)
        )
    return stored_channel_token(engine, channel_id, box) or ""


def stored_channel_token(engine: Engine, channel_id: str, box: SecretBox | None = None) -> str | None:
    """The token generated for the channel by :func:`channel_token`, if any; one kept in plain text is written
    back encrypted when ``box`` is given. Raises ``ConfigError`` when it is encrypted and ``box`` cannot open it."""
    key = TOKEN_KEY.format(channel_id=channel_id)
    with engine.connect() as connection:
        stored = kv.get_value(connection, key=key)
    if stored is None or stored == "":
        return None
    if isinstance(stored, str):
        if box is not None:
            with engine.begin() as connection:
                kv.set_value(connection, key=key, value=_kept(stored, box))
        return stored
    return _opened(stored, box, channel_id)


def _kept(token: str, box: SecretBox | None) -> Any:
    """The kv value for ``token``: encrypted when there is a box, else the token itself."""
    return {ENCRYPTED: box.encrypt(token)} if box is not None else token


def _opened(stored: Any, box: SecretBox | None, channel_id: str) -> str:
    sealed = stored.get(ENCRYPTED) if isinstance(stored, dict) else None
    if not isinstance(sealed, str):
        raise StoreError(f"the stored token of Zoho channel {channel_id} is unreadable ({type(stored).__name__})")
    if box is None:
        raise ConfigError(f"the stored token of Zoho channel {channel_id} is encrypted: {_REMEDY}")
    try:
        return box.decrypt(sealed)
    except ConfigError as exc:
        raise ConfigError(
            f"the stored token of Zoho channel {channel_id} cannot be decrypted with LEADFLOW_SECRET_KEY: {_REMEDY}"
        ) from exc
