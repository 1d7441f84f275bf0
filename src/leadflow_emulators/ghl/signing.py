"""The emulator's own webhook key pairs and GHL's two signatures over the raw body bytes.

- ``X-GHL-Signature``: Ed25519, base64 of the 64-byte signature (GHL's current scheme);
- ``X-WH-Signature``: RSA PKCS#1 v1.5 with SHA-256, base64 (GHL's legacy scheme).

With a key directory the pairs are loaded from it, or generated and written there on first start:
``webhook-ed25519-private.pem``, ``webhook-ed25519-public.pem``, ``webhook-rsa-private.pem``,
``webhook-rsa-public.pem`` (PEM; public keys as SubjectPublicKeyInfo, which GHL's SDK reads).

Example:
    >>> keys = SigningKeys.generate()
    >>> headers = keys.sign(b'{"type":"ContactCreate"}')
    >>> sorted(headers)
    ['X-GHL-Signature', 'X-WH-Signature']
    >>> keys.verify(b'{"type":"ContactCreate"}', headers)
    True
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

ED25519_PRIVATE = "webhook-ed25519-private.pem"
ED25519_PUBLIC = "webhook-ed25519-public.pem"
RSA_PRIVATE = "webhook-rsa-private.pem"
RSA_PUBLIC = "webhook-rsa-public.pem"


def _private_pem(key: Ed25519PrivateKey | RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _public_pem(key: Ed25519PublicKey | RSAPublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


@dataclass(frozen=True)
class SigningKeys:
    ed25519: Ed25519PrivateKey
    rsa: RSAPrivateKey

    @classmethod
    def generate(cls) -> SigningKeys:
        return cls(Ed25519PrivateKey.generate(), rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def in_directory(cls, directory: str | Path) -> SigningKeys:
        """Load the pairs from ``directory``, or generate them and write all four files there."""
        folder = Path(directory)
        ed_path, rsa_path = folder / ED25519_PRIVATE, folder / RSA_PRIVATE
        if ed_path.exists() and rsa_path.exists():
            ed_key = serialization.load_pem_private_key(ed_path.read_bytes(), password=None)
            rsa_key = serialization.load_pem_private_key(rsa_path.read_bytes(), password=None)
            if not isinstance(ed_key, Ed25519PrivateKey) or not isinstance(rsa_key, RSAPrivateKey):
                raise ValueError(f"{folder} holds keys of the wrong type")
            keys = cls(ed_key, rsa_key)
        else:
            keys = cls.generate()
            folder.mkdir(parents=True, exist_ok=True)
            ed_path.write_bytes(_private_pem(keys.ed25519))
            rsa_path.write_bytes(_private_pem(keys.rsa))
            ed_path.chmod(0o600)
            rsa_path.chmod(0o600)
        (folder / ED25519_PUBLIC).write_text(keys.ed25519_public_pem, encoding="ascii")
        (folder / RSA_PUBLIC).write_text(keys.rsa_public_pem, encoding="ascii")
        return keys

    @property
    def ed25519_public_pem(self) -> str:
        return _public_pem(self.ed25519.public_key())

    @property
    def rsa_public_pem(self) -> str:
        return _public_pem(self.rsa.public_key())

    def sign(self, raw: bytes) -> dict[str, str]:
        ed = base64.b64encode(self.ed25519.sign(raw)).decode("ascii")
        legacy = base64.b64encode(self.rsa.sign(raw, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")
        return {"X-GHL-Signature": ed, "X-WH-Signature": legacy}

    def verify(self, raw: bytes, headers: dict[str, str]) -> bool:
        try:
            self.ed25519.public_key().verify(base64.b64decode(headers["X-GHL-Signature"]), raw)
            self.rsa.public_key().verify(
                base64.b64decode(headers["X-WH-Signature"]), raw, padding.PKCS1v15(), hashes.SHA256()
            )
        except (InvalidSignature, KeyError, ValueError):
            return False
        return True
