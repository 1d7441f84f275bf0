"""Encryption at rest for secrets the store keeps (refresh tokens, client secrets, access tokens): Fernet."""

from __future__ import annotations

from typing import Self

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr

from leadflow.errors import ConfigError

GENERATE_HINT = (
    'generate one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
    " and set it as LEADFLOW_SECRET_KEY"
)


class SecretBox:
    """Encrypts and decrypts short secrets with the key from ``LEADFLOW_SECRET_KEY``.

    Example:
        >>> box = SecretBox(Fernet.generate_key().decode())
        >>> box.decrypt(box.encrypt("pit-1234"))
        'pit-1234'
    """

    def __init__(self, key: str | SecretStr, *, owner: str = "leadflow") -> None:
        raw = key.get_secret_value() if isinstance(key, SecretStr) else key
        self.owner = owner
        try:
            self._fernet = Fernet(raw.strip().encode())
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                f"LEADFLOW_SECRET_KEY is not a Fernet key (32 url-safe base64 bytes); {GENERATE_HINT}"
            ) from exc

    @classmethod
    def required(cls, key: str | SecretStr | None, *, purpose: str, owner: str | None = None) -> Self:
        """A box, or a :class:`ConfigError` explaining that ``purpose`` needs ``LEADFLOW_SECRET_KEY``."""
        if key is None or not (key.get_secret_value() if isinstance(key, SecretStr) else key):
            raise ConfigError(f"LEADFLOW_SECRET_KEY is not set: it is needed to {purpose}; {GENERATE_HINT}")
        return cls(key) if owner is None else cls(key, owner=owner)

    @classmethod
    def optional(cls, key: str | SecretStr | None, *, owner: str = "leadflow") -> Self | None:
        """A box when ``LEADFLOW_SECRET_KEY`` is set, else ``None`` (the caller keeps its secret in plain text).

        Example:
            >>> SecretBox.optional(None) is None, SecretBox.optional(Fernet.generate_key().decode()) is not None
            (True, True)
        """
        if key is None or not (key.get_secret_value() if isinstance(key, SecretStr) else key):
            return None
        return cls(key, owner=owner)

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ConfigError(
                f"a stored {self.label} secret cannot be decrypted with LEADFLOW_SECRET_KEY: the key changed;"
                f" set the old key back or run `leadflow auth {self.owner}` again"
            ) from exc

    @property
    def label(self) -> str:
        """How messages name the service whose secrets these are."""
        return {"zoho": "Zoho", "ghl": "GoHighLevel"}.get(self.owner, self.owner)
