"""Encryption at rest for Zoho secrets (refresh token, client secret, cached access tokens): the store's
:class:`~leadflow.store.secrets.SecretBox`, its messages naming Zoho."""

from __future__ import annotations

from pydantic import SecretStr

from leadflow.store.secrets import GENERATE_HINT
from leadflow.store.secrets import SecretBox as StoreSecretBox

__all__ = ["GENERATE_HINT", "SecretBox"]


class SecretBox(StoreSecretBox):
    """The store's secret box for Zoho's secrets (``leadflow auth zoho`` is what replaces them).

    Example:
        >>> from cryptography.fernet import Fernet
        >>> box = SecretBox(Fernet.generate_key().decode())
        >>> box.decrypt(box.encrypt("1000.abc"))
        '1000.abc'
    """

    def __init__(self, key: str | SecretStr, *, owner: str = "zoho") -> None:
        super().__init__(key, owner=owner)
