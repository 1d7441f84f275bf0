"""The dashboard's generated token, kept as a SHA-256 hash in the key-value table (never the token itself)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import Connection

from leadflow.store.kv import get_value, set_value

TOKEN_HASH_KEY = "dashboard.token_sha256"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def stored_token_hash(connection: Connection) -> str | None:
    """The hash of the generated token, or None when ``leadflow serve`` has not made one yet."""
    value = get_value(connection, key=TOKEN_HASH_KEY)
    return value if isinstance(value, str) and value else None


def new_token(connection: Connection) -> str:
    """A new random token (256 bits) whose hash replaces the stored one; sign-ins made with the old one end."""
    token = secrets.token_urlsafe(32)
    set_value(connection, key=TOKEN_HASH_KEY, value=token_hash(token))
    return token
