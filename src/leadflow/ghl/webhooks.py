"""Verifying GoHighLevel's webhook signatures over the raw request bytes.

GHL signs each delivery with Ed25519 in ``X-GHL-Signature`` and, until the legacy scheme is retired, with
RSA-SHA256 (PKCS#1 v1.5) in ``X-WH-Signature``; both base64. The Ed25519 header is checked first; the RSA one
only when the Ed25519 header is absent. A delivery with neither header is refused: unsigned is not trusted.
The default keys are the ones GHL publishes; a test peer (the emulator) has its own pair.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from leadflow.errors import ConfigError

SIGNATURE_HEADER = "x-ghl-signature"
LEGACY_SIGNATURE_HEADER = "x-wh-signature"

# Published by HighLevel (Webhook Integration Guide: Ed25519; Webhook Authentication Guide: RSA).
GHL_ED25519_PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg=
-----END PUBLIC KEY-----
"""
GHL_RSA_PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAokvo/r9tVgcfZ5DysOSC
Frm602qYV0MaAiNnX9O8KxMbiyRKWeL9JpCpVpt4XHIcBOK4u3cLSqJGOLaPuXw6
dO0t6Q/ZVdAV5Phz+ZtzPL16iCGeK9po6D6JHBpbi989mmzMryUnQJezlYJ3DVfB
csedpinheNnyYeFXolrJvcsjDtfAeRx5ByHQmTnSdFUzuAnC9/GepgLT9SM4nCpv
uxmZMxrJt5Rw+VUaQ9B8JSvbMPpez4peKaJPZHBbU3OdeCVx5klVXXZQGNHOs8gF
3kvoV5rTnXV0IknLBXlcKKAQLZcY/Q9rG6Ifi9c+5vqlvHPCUJFT5XUGG5RKgOKU
J062fRtN+rLYZUV+BjafxQauvC8wSWeYja63VSUruvmNj8xkx2zE/Juc+yjLjTXp
IocmaiFeAO6fUtNjDeFVkhf5LNb59vECyrHD2SQIrhgXpO4Q3dVNA5rw576PwTzN
h/AMfHKIjE4xQA1SZuYJmNnmVZLIZBlQAF9Ntd03rfadZ+yDiOXCCs9FkHibELhC
HULgCsnuDJHcrGNd5/Ddm5hxGQ0ASitgHeMZ0kcIOwKDOzOU53lDza6/Y09T7sYJ
PQe7z0cvj7aE4B+Ax1ZoZGPzpJlZtGXCsu9aTEGEnKzmsFqwcSsnw3JB31IGKAyk
T1hhTiaCeIY/OwwwNUY2yvcCAwEAAQ==
-----END PUBLIC KEY-----
"""


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one delivery: ``ok``, the scheme that decided, and why it failed."""

    ok: bool
    scheme: str | None
    reason: str = ""


def load_pem(value: str, *, setting: str) -> bytes:
    """PEM text, or the path of a PEM file, as bytes; a ConfigError naming ``setting`` otherwise.

    Example:
        >>> load_pem(GHL_ED25519_PUBLIC_KEY, setting="[ghl] webhook_public_key")[:26]
        b'-----BEGIN PUBLIC KEY-----'
    """
    text = value.strip()
    if text.startswith("-----BEGIN"):
        return text.encode() + b"\n"
    path = Path(text).expanduser()
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{setting}: neither PEM text nor a readable PEM file ({path}: {exc.strerror})") from exc


class SignatureVerifier:
    """Checks ``X-GHL-Signature`` (Ed25519), else ``X-WH-Signature`` (RSA-SHA256), over the raw body.

    Example:
        >>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        >>> key = Ed25519PrivateKey.generate()
        >>> pem = key.public_key().public_bytes(serialization.Encoding.PEM,
        ...                                     serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        >>> verifier = SignatureVerifier(ed25519_pem=pem, rsa_pem=GHL_RSA_PUBLIC_KEY)
        >>> body = b'{"type":"ContactCreate"}'
        >>> verifier.verify(body, {"x-ghl-signature": base64.b64encode(key.sign(body)).decode()}).ok
        True
    """

    def __init__(self, *, ed25519_pem: str = GHL_ED25519_PUBLIC_KEY, rsa_pem: str | None = GHL_RSA_PUBLIC_KEY) -> None:
        ed_key = serialization.load_pem_public_key(load_pem(ed25519_pem, setting="[ghl] webhook_public_key"))
        if not isinstance(ed_key, Ed25519PublicKey):
            raise ConfigError("[ghl] webhook_public_key: not an Ed25519 public key")
        self._ed25519 = ed_key
        self._rsa: RSAPublicKey | None = None
        if rsa_pem:
            rsa_key = serialization.load_pem_public_key(load_pem(rsa_pem, setting="[ghl] webhook_legacy_public_key"))
            if not isinstance(rsa_key, RSAPublicKey):
                raise ConfigError("[ghl] webhook_legacy_public_key: not an RSA public key")
            self._rsa = rsa_key

    def verify(self, body: bytes, headers: Mapping[str, str]) -> Verdict:
        lowered = {key.lower(): value for key, value in headers.items()}
        signature = lowered.get(SIGNATURE_HEADER)
        if signature:
            raw = _decode(signature)
            if raw is None:
                return Verdict(False, "ed25519", "X-GHL-Signature is not base64")
            try:
                self._ed25519.verify(raw, body)
            except InvalidSignature:
                return Verdict(False, "ed25519", "X-GHL-Signature does not match the body")
            return Verdict(True, "ed25519")
        legacy = lowered.get(LEGACY_SIGNATURE_HEADER)
        if legacy:
            if self._rsa is None:
                return Verdict(False, "rsa", "X-WH-Signature only, and no legacy key is configured")
            raw = _decode(legacy)
            if raw is None:
                return Verdict(False, "rsa", "X-WH-Signature is not base64")
            try:
                self._rsa.verify(raw, body, padding.PKCS1v15(), hashes.SHA256())
            except InvalidSignature:
                return Verdict(False, "rsa", "X-WH-Signature does not match the body")
            return Verdict(True, "rsa")
        return Verdict(False, None, "no X-GHL-Signature or X-WH-Signature header")


def _decode(value: str) -> bytes | None:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
